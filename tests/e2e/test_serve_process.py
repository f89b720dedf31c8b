"""A real `python -m localcloud serve`: a second one refused on its port or its directory, and a
SIGTERM that ends the process, and its functions, while a stack waits on a custom resource."""

from __future__ import annotations

import ctypes
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from localcloud import background, cli
from localcloud.local_env import local_client
from localcloud.statedir import holder, running

REPOSITORY = Path(__file__).resolve().parents[2]
GUARD_SECONDS = 120.0  # only against a hang: nothing here measures a duration
EXIT_GUARD_SECONDS = 30.0  # generous: the server stops in a few seconds

# A custom resource's function that says its pid, then never answers.
BLOCKED = """
import os, time


def handler(event, context):
    with open(os.environ["PID_FILE"] + ".part", "w") as file:
        file.write(str(os.getpid()))
    os.rename(os.environ["PID_FILE"] + ".part", os.environ["PID_FILE"])
    time.sleep(3600)
"""


def wait_until(condition: Callable[[], object]) -> None:
    deadline = time.monotonic() + GUARD_SECONDS
    while not condition():
        assert time.monotonic() < deadline, "never happened"
        time.sleep(0.1)


def start_serve(state: Path, output: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """`python -m localcloud serve` on a free port, its output (both streams) to `output`."""
    with output.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "localcloud", "serve", "--port", "0", "--state-dir", str(state)],
            cwd=REPOSITORY,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def blocked_stack(pid_file: Path) -> str:
    return json.dumps(
        {
            "Resources": {
                "Provider": {
                    "Type": "AWS::Lambda::Function",
                    "Properties": {
                        "FunctionName": "blocked-provider",
                        "Runtime": "python3.13",
                        "Handler": "index.handler",
                        "Role": "arn:aws:iam::123456789012:role/provider",
                        "Timeout": 900,
                        "Code": {"ZipFile": BLOCKED},
                        "Environment": {"Variables": {"PID_FILE": str(pid_file)}},
                    },
                },
                "Thing": {
                    "Type": "Custom::Thing",
                    "Properties": {"ServiceToken": {"Fn::GetAtt": ["Provider", "Arn"]}},
                },
            }
        }
    )


def test_sigterm_while_a_custom_resource_waits_ends_the_process_and_its_functions(tmp_path, capsys):
    state, pid_file, output = tmp_path / "state", tmp_path / "function.pid", tmp_path / "serve.out"
    server = start_serve(state, output)
    function = 0
    try:
        wait_until(lambda: background.running(state) or server.poll() is not None)
        cloud = background.require(state)
        cfn = local_client("cloudformation", cloud.url)
        cfn.create_stack(StackName="Blocked", TemplateBody=blocked_stack(pid_file))
        wait_until(pid_file.exists)
        function = int(pid_file.read_text())
        assert running(function)

        # a second server is refused, naming the first, on its directory and on its port; nothing is touched
        before = {path: path.read_bytes() for path in state.rglob("*") if path.is_file() and path.name != "lock"}
        port = int(cloud.url.rsplit(":", 1)[1])
        assert cli.main(["serve", "--port", "0", "--state-dir", str(state)]) == 1
        assert cli.main(["serve", "--port", str(port), "--state-dir", str(tmp_path / "other")]) == 1
        refusals = capsys.readouterr().err.splitlines()
        assert refusals == [
            f"FAILED: the state directory {state} is in use by another local cloud (pid {server.pid}): stop it "
            f"with `python -m localcloud down --state-dir {state}`, or give this one another --state-dir",
            f"FAILED: port {port} on 127.0.0.1 is in use by pid {server.pid} (python): stop that process, or give "
            "this local cloud another --port (0 picks a free one)",
        ]
        assert {path: path.read_bytes() for path in before} == before
        assert not (tmp_path / "other").exists()

        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=EXIT_GUARD_SECONDS) == 0
        assert not running(function)  # its Lambda environment went with it
    finally:  # what a failure of this test would leave running
        if server.poll() is None:
            server.kill()
            server.wait()
        if function and running(function):
            os.kill(function, signal.SIGKILL)

    assert output.read_text().splitlines()[-1] == "Local cloud stopped."
    assert holder(state) is None and background.running(state) is None
    # the operation the stop interrupted is still in progress in the state, for the next start to conclude
    stacks = json.loads((state / "cloudformation" / "stacks.json").read_text())
    assert stacks["Blocked"]["status"] == "CREATE_IN_PROGRESS"
    events = (state / "cloudformation" / "stacks-events.jsonl").read_text().splitlines()
    last = json.loads(events[-1])
    assert (last["LogicalResourceId"], last["ResourceStatus"]) == ("Thing", "CREATE_IN_PROGRESS")


def test_a_sigterm_the_kernel_hands_to_another_thread_stops_the_server_too(tmp_path):
    # The kernel gives a process's signal to any thread that does not block it; Python runs the
    # handler only in the main thread, once that runs. A server blocked on a lock with no timeout
    # never stopped when its SIGTERM landed on one of its many other threads.
    state, output = tmp_path / "state", tmp_path / "serve.out"
    server = start_serve(state, output)
    try:
        wait_until(lambda: background.running(state) or server.poll() is not None)
        others = sorted(int(tid) for tid in os.listdir(f"/proc/{server.pid}/task") if int(tid) != server.pid)
        assert others, "the server runs threads besides its main one"
        libc = ctypes.CDLL(None, use_errno=True)
        # to one of them that still runs: a thread of a request can end between the listing and the signal
        hit = next((tid for tid in others if libc.tgkill(server.pid, tid, signal.SIGTERM) == 0), None)
        assert hit is not None, os.strerror(ctypes.get_errno())
        assert server.wait(timeout=EXIT_GUARD_SECONDS) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    assert output.read_text().splitlines()[-1] == "Local cloud stopped."


def test_a_shell_whose_aws_profile_names_no_profile_changes_nothing(tmp_path):
    # moto's backends make boto3 clients as they are imported, on the first request to their
    # service: with the shell's AWS_PROFILE naming no profile, the first such request failed.
    state = tmp_path / "state"
    shell = {**os.environ, "AWS_PROFILE": "production-that-is-not-here", "AWS_DEFAULT_PROFILE": "nor-this"}
    server = start_serve(state, tmp_path / "serve.out", env=shell)
    try:
        wait_until(lambda: background.running(state) or server.poll() is not None)
        url = background.require(state).url
        parameter = local_client("ssm", url).get_parameter(Name="/cdk-bootstrap/hnb659fds/version")
        assert parameter["Parameter"]["Value"].isdigit()
        assert (
            local_client("sqs", url)
            .create_queue(QueueName="after-the-profile")["QueueUrl"]
            .endswith("/after-the-profile")
        )
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=EXIT_GUARD_SECONDS) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
