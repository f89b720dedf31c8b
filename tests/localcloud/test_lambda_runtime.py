"""The local cloud's Lambda: awslambdaric against our Runtime API, environments kept warm.

A tiny function stands in for the provider: what is asserted is what Lambda does with any
function (reuse, concurrency, crashes, timeouts, Init errors), never how long anything took.
"""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from localcloud import lambda_runtime
from localcloud.lambda_runtime import Environments
from localcloud.lambda_runtime.environment import _Output

FUNCTION = """
import os, pathlib, sys, time

CALLS = []  # module state: kept between the invocations one environment serves
print("init of", os.getpid(), flush=True)
if os.environ.get("FAIL_INIT"):
    raise RuntimeError("Init failed on purpose")


def handler(event, context):
    CALLS.append(event.get("n"))
    print("invocation", event.get("n"), "in", os.getpid())
    if event.get("raise"):
        raise ValueError("the handler raised")
    if event.get("exit"):
        os._exit(3)
    if event.get("hang"):
        time.sleep(3600)
    if event.get("together"):
        # wait until every invocation of the group has started: none of them can share an environment
        room = pathlib.Path(event["together"])
        (room / context.aws_request_id).touch()
        for _ in range(6000):
            if len(list(room.iterdir())) >= event["of"]:
                break
            time.sleep(0.01)
    return {"pid": os.getpid(), "calls": list(CALLS), "arn": context.invoked_function_arn,
            "remaining": context.get_remaining_time_in_millis(), "name": os.environ["AWS_LAMBDA_FUNCTION_NAME"]}
"""


@pytest.fixture
def code(tmp_path: Path) -> Path:
    directory = tmp_path / "code"
    directory.mkdir()
    (directory / "app.py").write_text(FUNCTION)
    return directory


@pytest.fixture
def service() -> Iterator[Environments]:
    with Environments() as environments:
        yield environments


def call(service: Environments, code: Path, event: dict[str, object], **options: object) -> lambda_runtime.Invocation:
    kwargs: dict[str, object] = {"handler": "app.handler", "timeout_seconds": 120, "service": service, **options}
    return lambda_runtime.invoke(code, event, **kwargs)  # type: ignore[arg-type]


def alive(pid: int) -> bool:
    # a killed child stays a zombie until reaped: ps shows what is really running
    state = subprocess.run(["ps", "-o", "stat=", "-p", str(pid)], capture_output=True, text=True).stdout.strip()
    return bool(state) and not state.startswith("Z")


def test_one_environment_serves_invocations_one_after_another_and_keeps_module_state(service, code):
    first = call(service, code, {"n": 1})
    second = call(service, code, {"n": 2})

    assert (first.status, second.status) == ("success", "success")
    assert first.result["pid"] == second.result["pid"] == first.pid == second.pid
    assert second.result["calls"] == [1, 2]  # what the first invocation left behind is still there
    assert service.started == 1
    # Lambda's lines around each invocation; Init's output once, before the first
    assert first.output.count("init of") == 1 and "init of" not in second.output
    assert "Init Duration" in first.output.splitlines()[-1] and "Init Duration" not in second.output
    for invocation in (first, second):
        request_id = invocation.outcome.request_id
        lines = invocation.output.splitlines()
        assert f"START RequestId: {request_id} Version: $LATEST" in lines
        assert lines[-2] == f"END RequestId: {request_id}"
        assert lines[-1].startswith(f"REPORT RequestId: {request_id}\tDuration: ")


def test_the_runtime_gets_lambdas_context(service, code):
    invocation = call(service, code, {"n": 1}, function_name="provider-fn", region="eu-west-1")

    assert invocation.result["arn"] == "arn:aws:lambda:eu-west-1:123456789012:function:provider-fn"
    assert invocation.result["name"] == "provider-fn"
    assert 0 < invocation.result["remaining"] <= 120_000


def test_invocations_at_once_get_an_environment_each_and_one_by_one_share_one(service, code, tmp_path):
    room = tmp_path / "room"
    room.mkdir()
    results: list[lambda_runtime.Invocation] = []
    threads = [
        threading.Thread(
            target=lambda n=n: results.append(call(service, code, {"n": n, "together": str(room), "of": 4}))
        )
        for n in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [r.status for r in results] == ["success"] * 4
    assert len({r.pid for r in results}) == 4 == service.started
    assert len(service.idle()) == 4

    one_by_one = [call(service, code, {"n": n}) for n in range(4)]

    assert service.started == 4  # the warm ones took them: no new environment
    assert {r.pid for r in one_by_one} <= {r.pid for r in results}


def test_the_concurrency_limit_makes_invocations_wait_for_an_environment(code):
    with Environments(concurrency_limit=1) as limited:
        results: list[lambda_runtime.Invocation] = []
        threads = [threading.Thread(target=lambda n=n: results.append(call(limited, code, {"n": n}))) for n in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert [r.status for r in results] == ["success"] * 3
        assert limited.started == 1
        assert sorted(results[-1].result["calls"]) == [0, 1, 2]


def test_a_handler_error_is_reported_and_the_environment_stays(service, code):
    failed = call(service, code, {"n": 1, "raise": True})
    after = call(service, code, {"n": 2})

    assert (failed.status, failed.exit_code) == ("error", None)
    assert failed.outcome.error is not None
    assert failed.outcome.error["errorType"] == "ValueError"
    assert "[ERROR] ValueError: the handler raised" in failed.output
    assert after.status == "success" and after.pid == failed.pid


def test_a_runtime_that_exits_is_replaced(service, code):
    crashed = call(service, code, {"n": 1, "exit": True})
    after = call(service, code, {"n": 2})

    assert (crashed.status, crashed.exit_code) == ("exit", 3)
    assert "Error: Runtime exited with error: exit status 3" in crashed.output
    assert "Error Type: Runtime.ExitError" in crashed.output.splitlines()[-1]
    assert not alive(crashed.pid)
    assert after.status == "success" and after.pid != crashed.pid and after.result["calls"] == [2]


def test_a_timeout_kills_its_environment(service, code):
    timed_out = call(service, code, {"n": 1, "hang": True}, timeout_seconds=1)

    assert (timed_out.status, timed_out.exit_code) == ("timeout", None)
    assert "Task timed out after 1.00 seconds" in timed_out.output
    assert timed_out.output.splitlines()[-1].endswith("\tStatus: timeout")
    assert not alive(timed_out.pid)
    assert service.idle() == [] and service.processes() == []


def test_an_init_error_fails_the_invocation_with_it(service, code):
    failed = call(service, code, {"n": 1}, environment={"FAIL_INIT": "1"})

    assert (failed.status, failed.exit_code) == ("error", 1)  # awslambdaric reports it, then exits
    assert failed.outcome.error is not None
    assert failed.outcome.error["errorMessage"] == "Init failed on purpose"
    assert "RuntimeError: Init failed on purpose" in failed.output
    assert not alive(failed.pid)
    assert service.idle() == []


def test_a_missing_handler_module_is_lambdas_import_error(service, code):
    failed = call(service, code, {"n": 1}, handler="nowhere.handler")

    assert (failed.status, failed.exit_code) == ("error", 1)
    assert failed.outcome.error is not None
    assert failed.outcome.error["errorType"] == "Runtime.ImportModuleError"


def test_a_configuration_or_code_change_gets_a_new_environment(service, code, tmp_path):
    before = call(service, code, {"n": 1}, environment={"SETTING": "a"})
    changed = call(service, code, {"n": 2}, environment={"SETTING": "b"})
    moved = tmp_path / "code-v2"
    moved.mkdir()
    (moved / "app.py").write_text(FUNCTION)
    new_code = call(service, moved, {"n": 3}, environment={"SETTING": "b"})

    assert len({before.pid, changed.pid, new_code.pid}) == 3
    assert not alive(before.pid) and not alive(changed.pid)  # the old configurations' are retired
    assert [e.process.pid for e in service.idle()] == [new_code.pid]


def test_idle_environments_are_reclaimed(code):
    with Environments(idle_seconds=0) as eager:
        invocation = call(eager, code, {"n": 1})
        assert eager.reclaim() == 1
        assert not alive(invocation.pid)
        assert eager.idle() == []


def test_shutdown_leaves_no_process(code, tmp_path):
    room = tmp_path / "room"
    room.mkdir()
    with Environments() as environments:
        threads = [
            threading.Thread(target=call, args=(environments, code, {"n": n, "together": str(room), "of": 2}))
            for n in range(2)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        pids = environments.processes()
        assert len(pids) == 2
    assert not any(alive(pid) for pid in pids)
    assert environments.processes() == []
    with pytest.raises(lambda_runtime.EnvironmentsShutDown, match="shut down"):
        call(environments, code, {"n": 3})


def test_another_python3_runtime_runs_here_and_its_first_environment_says_so(service, code, tmp_path):
    first = call(service, code, {"n": 1}, function_name="older", runtime="python3.12")
    warm = call(service, code, {"n": 2}, function_name="older", runtime="python3.12")
    moved = tmp_path / "code-v2"
    moved.mkdir()
    (moved / "app.py").write_text(FUNCTION)
    new_code = call(service, moved, {"n": 3}, function_name="older", runtime="python3.12")

    assert [r.status for r in (first, warm, new_code)] == ["success"] * 3
    note = "localcloud: this function's runtime python3.12 runs on Python 3.13 here"
    assert first.output.splitlines()[0] == note  # before Init's output
    assert note not in warm.output and note not in new_code.output  # once for the function
    assert note not in call(service, code, {"n": 4}, function_name="current").output  # python3.13: nothing to say


def test_a_runtime_neither_python3_nor_nodejs_is_refused(service, code):
    with pytest.raises(lambda_runtime.UnsupportedRuntime, match=r"not java21"):
        call(service, code, {"n": 1}, runtime="java21")
    assert service.started == 0


def test_exits_and_timeouts_are_reported_in_lambdas_words(service, code):
    crashed = call(service, code, {"n": 1, "exit": True})
    timed_out = call(service, code, {"n": 2, "hang": True}, timeout_seconds=1)

    assert crashed.outcome.error == {
        "errorType": "Runtime.ExitError",
        "errorMessage": f"RequestId: {crashed.outcome.request_id} Error: Runtime exited with error: exit status 3",
    }
    assert timed_out.outcome.error == {
        "errorType": "Sandbox.Timedout",
        "errorMessage": f"RequestId: {timed_out.outcome.request_id} Error: Task timed out after 1.00 seconds",
    }


def test_an_environments_output_is_closed_once(monkeypatch):
    # An environment that ended during its invocation is finished then, and again when it is
    # closed: the second time must not close what has taken its descriptor's number since. Which
    # number the next open gets depends on the worker's other threads, so the closes are counted
    # rather than a file opened at the freed number.
    real_close = os.close
    closed_here: list[int] = []

    def counting_close(fd: int) -> None:
        if threading.get_ident() == test_thread:
            closed_here.append(fd)
        real_close(fd)

    test_thread = threading.get_ident()
    read_end, write_end = os.pipe()
    output = _Output(read_end)
    os.write(write_end, b"last words\n")
    os.close(write_end)
    monkeypatch.setattr(os, "close", counting_close)
    assert [line for _, line in output.finish()] == ["last words"]
    assert output.finish() == []
    assert closed_here == [read_end]


def test_the_runtime_venv_has_the_runtime_interface_client():
    python = str(lambda_runtime.runtime_python())
    subprocess.run([python, "-I", "-c", "import awslambdaric, boto3"], check=True, env={**os.environ})
