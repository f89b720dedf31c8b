"""Environments started by the zygote: Python ones forked from a warm template that has imported
boto3, each still a process of its own with Lambda's isolation; and no environment, Python's or
Node.js's, outlives the process that started it, however that process ends."""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from localcloud import lambda_runtime
from localcloud.lambda_runtime import Environments, pool
from localcloud.statedir import running

REPOSITORY = Path(__file__).resolve().parents[2]
HANG_GUARD_SECONDS = 120.0  # only against a hang: nothing here measures a duration

FUNCTION = """
import os, random, sys, tempfile

PRELOADED = "boto3" in sys.modules  # before the function imports anything: what its Init was given
import boto3
import helper  # a module of the task root: nothing may be written beside it (-B)

SHARED = []


def handler(event, context):
    SHARED.append(event.get("n"))
    return {
        "preloaded": PRELOADED, "boto3": getattr(boto3, "MARK", "the runtime's"), "pid": os.getpid(),
        "ppid": os.getppid(), "variables": dict(os.environ), "path0": sys.path[0], "cwd": os.getcwd(),
        "tmp": tempfile.gettempdir(), "random": random.random(), "shared": SHARED,
        "user_site": sys.flags.no_user_site, "writes_bytecode": not sys.dont_write_bytecode,
    }


def spawns(event, context):
    return subprocess_pid()


def subprocess_pid():
    import subprocess
    return subprocess.Popen(["sleep", "3600"]).pid
"""


@pytest.fixture
def code(tmp_path: Path) -> Path:
    directory = tmp_path / "code"
    directory.mkdir()
    (directory / "app.py").write_text(FUNCTION)
    (directory / "helper.py").write_text("")
    return directory


@pytest.fixture
def service() -> Iterator[Environments]:
    with Environments() as environments:
        yield environments


def call(service: Environments, code: Path, **options: object) -> lambda_runtime.Invocation:
    n = options.pop("n", 1)
    kwargs: dict[str, object] = {"handler": "app.handler", "timeout_seconds": 60, "service": service, **options}
    invocation = lambda_runtime.invoke(code, {"n": n}, **kwargs)  # type: ignore[arg-type]
    assert invocation.status == "success", invocation.output
    return invocation


def threads_of(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("Threads:")))


def wait_gone(pids: list[int]) -> list[int]:
    """The pids still running once each has ended, or the hang guard has passed (a pidfd is readable
    once its process has ended, parent or not)."""
    pidfds = {}
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):  # ended already
            pidfds[os.pidfd_open(pid)] = pid
    try:
        waiting = set(pidfds)
        while waiting:
            ready, _, _ = select.select(list(waiting), [], [], HANG_GUARD_SECONDS)
            if not ready:
                break
            waiting -= set(ready)
        return [pid for pid in pids if running(pid)]
    finally:
        for pidfd in pidfds:
            os.close(pidfd)


def test_python_environments_are_forks_of_a_warm_template_each_isolated_as_lambdas(service, code):
    # two functions of the same code: two environments, from one zygote
    first = call(service, code, function_name="one", environment={"SETTING": "one"})
    second = call(service, code, function_name="two", n=2)

    one, two = first.result, second.result
    assert one["preloaded"] and two["preloaded"]  # boto3 was imported before Init: the template's
    assert one["ppid"] == two["ppid"] != os.getpid() and threads_of(one["ppid"]) == 1  # forked from one thread
    assert len({one["pid"], two["pid"]}) == 2 == service.started
    assert (one["shared"], two["shared"]) == ([1], [2])  # module state is each one's own
    assert one["random"] != two["random"]  # re-seeded after the fork
    # the variables are Lambda's and the function's, replaced wholly: nothing of the zygote's or ours
    assert one["variables"]["SETTING"] == "one" and "SETTING" not in two["variables"]
    assert one["variables"]["AWS_LAMBDA_FUNCTION_NAME"] == "one" and two["variables"]["_HANDLER"] == "app.handler"
    assert not {"PYTEST_CURRENT_TEST", "VIRTUAL_ENV", "HOME", "PYTHONPATH"} & set(one["variables"])
    # each has a temporary directory of its own, gone with it
    assert one["tmp"] != two["tmp"] and one["variables"]["TMPDIR"] == one["tmp"] and Path(one["tmp"]).is_dir()
    # as `python -s -B -m awslambdaric` runs: the task root first on the path and the working directory,
    # no user site, no bytecode written into the task root
    assert one["path0"] == one["cwd"] == str(code)
    assert (one["user_site"], one["writes_bytecode"]) == (1, False) and not (code / "__pycache__").exists()
    # what reaches the host is still each process's own: its pid, its output, its memory
    assert first.pid == one["pid"] and "Max Memory Used: 0 MB" not in first.output

    service.shutdown()
    assert not Path(one["tmp"]).exists() and not Path(two["tmp"]).exists()


def test_a_function_that_sets_python_startup_variables_or_shadows_a_preloaded_module_gets_a_fresh_interpreter(
    service, code, tmp_path
):
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "extra_module.py").write_text("")
    with_path = call(service, code, function_name="with-path", environment={"PYTHONPATH": str(extra)})
    bundled = tmp_path / "bundled"
    bundled.mkdir()
    (bundled / "app.py").write_text(FUNCTION)
    (bundled / "helper.py").write_text("")
    (bundled / "boto3").mkdir()
    (bundled / "boto3" / "__init__.py").write_text('MARK = "bundled"\n')
    shadowed = call(service, bundled, function_name="bundled")
    plain = call(service, code, function_name="plain")

    # PYTHONPATH is read as an interpreter starts: a fork could not honour it
    assert not with_path.result["preloaded"] and with_path.result["variables"]["PYTHONPATH"] == str(extra)
    # the task root's boto3, not the template's, as a fresh interpreter would import it
    assert (shadowed.result["preloaded"], shadowed.result["boto3"]) == (False, "bundled")
    assert (plain.result["preloaded"], plain.result["boto3"]) == (True, "the runtime's")


# botocore's data files a client reads as it is made, relative to botocore's data directory
READS_DATA = """
import botocore.loaders

READ = []
_load_file = botocore.loaders.JSONFileLoader.load_file


def load_file(self, file_path):
    data = _load_file(self, file_path)
    if data is not None:  # a file that exists, read and parsed
        READ.append(file_path)
    return data


botocore.loaders.JSONFileLoader.load_file = load_file
import boto3


def handler(event, context):
    READ.clear()
    boto3.client(event["service"], region_name="us-east-1")
    return sorted(path.split("/botocore/data/")[1] for path in READ if "/botocore/data/" in path)
"""


def test_a_forked_environments_first_client_starts_from_the_sdk_data_the_zygote_parsed(service, tmp_path):
    code = tmp_path / "reads"
    code.mkdir()
    (code / "app.py").write_text(READS_DATA)

    def reads(service_name: str, name: str, variables: dict[str, str] | None = None) -> list[str]:
        invocation = lambda_runtime.invoke(
            code,
            {"service": service_name},
            handler="app.handler",
            timeout_seconds=60,
            service=service,
            function_name=name,
            environment=variables or {},
        )
        assert invocation.status == "success", invocation.output
        return list(invocation.result)

    # the provider's service: endpoints, partitions, defaults and its models were parsed before the fork
    assert reads("personalize", "preparsed") == []
    # another service's models are read as usual; what every client reads is not
    other = reads("s3", "other")
    assert "s3/2006-03-01/service-2" in other and all(path.startswith("s3/") for path in other), other
    # botocore searching other paths (AWS_DATA_PATH) reads every file itself
    extra = tmp_path / "models"
    extra.mkdir()
    own = reads("personalize", "own-path", {"AWS_DATA_PATH": str(extra)})
    assert {"endpoints", "partitions", "personalize/2018-05-22/service-2"} <= set(own)


def test_what_an_environment_leaves_running_ends_with_it(service, code):
    started = lambda_runtime.invoke(code, {}, handler="app.spawns", timeout_seconds=60, service=service)
    sleeper = started.result
    assert running(sleeper)

    service.shutdown()

    assert wait_gone([started.pid, sleeper]) == []


def test_environments_die_with_their_zygote_and_the_next_invocation_gets_a_new_one(service, code, monkeypatch):
    # a zygote of this test's own, not the one this process's other environments come from: the same
    # runtime Python, named by another path
    runtime = lambda_runtime.runtime_python()
    monkeypatch.setenv("LOCALCLOUD_RUNTIME_PYTHON", str(runtime.parent / ".." / runtime.parent.name / runtime.name))
    before = call(service, code)
    (code / "index.js").write_text("exports.handler = async () => process.pid;\n")
    node_pid = lambda_runtime.invoke(code, {}, runtime="nodejs24.x", function_name="node", service=service).result
    zygote = before.result["ppid"]

    os.kill(zygote, signal.SIGKILL)  # nothing of it runs again: what ends its children is the kernel's

    assert wait_gone([before.pid, node_pid, zygote]) == []
    after = call(service, code)
    assert after.pid != before.pid and after.result["ppid"] != zygote and after.result["preloaded"]
    # the dead zygote's temporary directories went with it
    assert not Path(before.result["tmp"]).parent.exists()


def test_an_environment_started_while_the_environments_shut_down_does_not_escape(code, monkeypatch):
    started, release = threading.Event(), threading.Event()
    pids: list[int] = []

    class Gated(lambda_runtime.Environment):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)  # type: ignore[arg-type]
            pids.append(self.process.pid)
            started.set()
            release.wait(HANG_GUARD_SECONDS)

    monkeypatch.setattr(pool, "Environment", Gated)
    environments = Environments()
    outcome: list[BaseException | lambda_runtime.Invocation] = []

    def invoke() -> None:
        try:
            outcome.append(lambda_runtime.invoke(code, {}, handler="app.handler", service=environments))
        except RuntimeError as error:
            outcome.append(error)

    thread = threading.Thread(target=invoke)
    thread.start()
    assert started.wait(HANG_GUARD_SECONDS)
    environments.shutdown()  # while the environment's process is up, before the pool has it
    release.set()
    thread.join(HANG_GUARD_SECONDS)

    assert len(outcome) == 1 and isinstance(outcome[0], RuntimeError) and "shut down" in str(outcome[0])
    assert not running(pids[0])


# A stand-in for the local cloud's server: it starts a Python environment busy in a handler that
# sleeps (with a child of its own), an idle Python one and an idle Node.js one, says their pids,
# and waits to be killed.
SERVER = """
import json, os, sys, threading
from pathlib import Path
from localcloud import lambda_runtime

code, fifo = Path(sys.argv[1]), sys.argv[2]
service = lambda_runtime.Environments()
idle = lambda_runtime.invoke(code, {}, handler="app.handler", function_name="idle", service=service)
node = lambda_runtime.invoke(
    code, {}, handler="index.handler", runtime="nodejs24.x", function_name="node", service=service
)
options = {"handler": "app.busy", "function_name": "busy", "timeout_seconds": 900, "service": service}
busy = threading.Thread(
    target=lambda_runtime.invoke, args=(code, {}), kwargs={**options, "environment": {"FIFO": fifo}}, daemon=True
)
busy.start()
with open(fifo) as said:  # the busy handler says its pid and its child's, then sleeps
    busy_pids = json.load(said)
print(json.dumps({"environments": [idle.pid, node.pid, busy_pids[0]], "left": busy_pids[1]}), flush=True)
threading.Event().wait()
"""

BUSY = """
import json, os, subprocess, time


def handler(event, context):
    return os.getpid()


def busy(event, context):
    sleeper = subprocess.Popen(["sleep", "3600"])
    with open(os.environ["FIFO"], "w") as fifo:
        json.dump([os.getpid(), sleeper.pid], fifo)
    time.sleep(3600)
"""


def test_no_environment_outlives_a_server_killed_by_sigkill(tmp_path):
    code = tmp_path / "code"
    code.mkdir()
    (code / "app.py").write_text(BUSY)
    (code / "index.js").write_text("exports.handler = async () => process.pid;\n")
    fifo = tmp_path / "said"
    os.mkfifo(fifo)
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(code), str(fifo)],
        cwd=REPOSITORY,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        ready, _, _ = select.select([server.stdout], [], [], HANG_GUARD_SECONDS)
        assert ready, "the server never said its environments' pids"
        said = json.loads(server.stdout.readline())
        pids = [*said["environments"], said["left"]]
        zygote = int(Path(f"/proc/{said['environments'][0]}/stat").read_text().rsplit(")", 1)[1].split()[1])
        assert all(running(pid) for pid in [*pids, zygote])

        server.send_signal(signal.SIGKILL)
        server.wait()

        assert wait_gone([*pids, zygote]) == []
    finally:
        server.kill()
        server.wait()
