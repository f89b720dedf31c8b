"""The local cloud's Lambda: cold starts and warm invocations, one at a time and fifty at once.

    python -m bench.lambda_runtime [--runs 10] [--together 50]

Measured, for a trivial handler on each runtime (Python's `def handler(event, context): return 1`
through awslambdaric, Node.js's `async () => 1` through our bootstrap) and for the provider (the
bundled asset, whose Init imports boto3 and makes its clients):

- a cold start as Lambda reports it, the REPORT line's `Init Duration` plus the first invocation's
  `Duration`, and in wall time from the call to its answer; the CPU the environment spent on it;
- a warm invocation's wall time;
- fifty provider invocations at once (what a stack of fifty trackers asks for): wall time, and the
  CPU spent in the environments and in the processes that started them (the runtime's helpers,
  whatever this process's children are besides the environments).

The provider's event is a malformed Create, answered FAILED without a call to the service: what is
measured is the runtime and the handler's Init, not Personalize.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from localcloud import lambda_runtime
from localcloud.cloudformation.response_server import ResponseServer
from localcloud.lambda_runtime import Environments
from personalize_event_tracker._provider import HANDLER, staged_asset

TICKS = os.sysconf("SC_CLK_TCK")
# a handler that does nothing, per runtime: the runtime's own cost, Init and invocation
TRIVIAL = {
    "python3.13": ("index.py", "def handler(event, context):\n    return 1\n"),
    "nodejs24.x": ("index.js", "exports.handler = async () => 1;\n"),
}
REPORTED = re.compile(r"\tDuration: ([\d.]+) ms.*\tInit Duration: ([\d.]+) ms")


def cpu_seconds(pid: int) -> float:
    """user + system time of a live process (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def children() -> set[int]:
    """This process's children, whichever of its threads started them."""
    found: set[int] = set()
    for task in Path("/proc/self/task").iterdir():
        with contextlib.suppress(OSError):  # a thread that has ended since
            found |= {int(pid) for pid in (task / "children").read_text().split()}
    return found


def reported_ms(invocation: lambda_runtime.Invocation) -> float:
    """A cold start as Lambda's REPORT line gives it: Init Duration plus the invocation's Duration."""
    found = REPORTED.search(invocation.output.splitlines()[-1])
    assert found is not None, invocation.output
    return float(found[1]) + float(found[2])


@dataclass
class Figures:
    reported: list[float] = field(default_factory=list)  # ms, Init Duration + Duration
    wall: list[float] = field(default_factory=list)  # ms, the cold start from the call to its answer
    cpu: list[float] = field(default_factory=list)  # ms, in the environment
    warm: list[float] = field(default_factory=list)  # ms, a warm invocation's wall time

    def line(self, label: str) -> str:
        return (
            f"{label}: cold start median {statistics.median(self.reported):.0f} ms reported "
            f"(Init Duration + Duration; min {min(self.reported):.0f}, max {max(self.reported):.0f}), "
            f"{statistics.median(self.wall):.0f} ms wall, {statistics.median(self.cpu):.0f} ms CPU in the "
            f"environment; warm invocation median {statistics.median(self.warm):.1f} ms wall"
        )


def cold_and_warm(runs: int, invoke: Callable[[Environments], lambda_runtime.Invocation]) -> Figures:
    """`runs` cold starts, each in environments of its own, and five warm invocations after each."""
    figures = Figures()
    for _ in range(runs):
        with Environments() as service:
            started = time.perf_counter()
            first = invoke(service)
            figures.wall.append((time.perf_counter() - started) * 1000)
            figures.reported.append(reported_ms(first))
            figures.cpu.append(cpu_seconds(first.pid) * 1000)
            for _ in range(5):
                started = time.perf_counter()
                invoke(service)
                figures.warm.append((time.perf_counter() - started) * 1000)
    return figures


def trivial(runtime: str, runs: int) -> Figures:
    file_name, source = TRIVIAL[runtime]
    with tempfile.TemporaryDirectory() as directory:
        code = Path(directory)
        (code / file_name).write_text(source)

        def invoke(service: Environments) -> lambda_runtime.Invocation:
            result = lambda_runtime.invoke(code, {}, runtime=runtime, timeout_seconds=60, service=service)
            assert result.status == "success" and result.result == 1, result.output
            return result

        with Environments() as warming:  # what the runtime starts once per process, started before measuring
            invoke(warming)
        return cold_and_warm(runs, invoke)


def event(responses: ResponseServer) -> dict[str, Any]:
    request = {
        "RequestType": "Create",
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/Bench/1",
        "RequestId": str(uuid.uuid4()),
        "LogicalResourceId": "Tracker",
        "ResourceType": "Custom::PersonalizeEventTracker",
        "ResourceProperties": {"ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:p", "Name": "x"},
    }
    request["ResponseURL"] = responses.url_for(request)
    return request


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--together", type=int, default=50)
    args = parser.parse_args()
    trivial_figures = {runtime: trivial(runtime, args.runs) for runtime in TRIVIAL}
    asset = staged_asset()
    with ResponseServer() as responses:
        environment = {
            "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "SSL_CERT_FILE": str(responses.certificate_file),
        }

        def invoke(service: Environments) -> lambda_runtime.Invocation:
            result = lambda_runtime.invoke(
                asset, event(responses), handler=HANDLER, timeout_seconds=60, environment=environment, service=service
            )
            assert result.status == "success", result.output
            return result

        provider = cold_and_warm(args.runs, invoke)

        with Environments() as service:
            pids: list[int] = []
            threads = [threading.Thread(target=lambda: pids.append(invoke(service).pid)) for _ in range(args.together)]
            helpers = children()
            helpers_before = sum(cpu_seconds(pid) for pid in helpers)
            started = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            together = time.perf_counter() - started
            together_cpu = sum(cpu_seconds(pid) for pid in set(pids))
            helpers_cpu = sum(cpu_seconds(pid) for pid in helpers) - helpers_before
            environments = service.started

    print(f"{os.cpu_count()} cores; {args.runs} cold starts per figure, 5 warm invocations after each")
    print(trivial_figures["python3.13"].line("a trivial handler, Python 3.13 (awslambdaric)"))
    print(trivial_figures["nodejs24.x"].line("a trivial handler, Node.js 24 (our bootstrap)"))
    print(provider.line("the provider (boto3, Python 3.13)"))
    print(
        f"{args.together} provider invocations at once: {together:.1f} s wall, {environments} environments, "
        f"{together_cpu:.1f} s CPU in them, {helpers_cpu:.1f} s in the runtime's helpers"
    )


if __name__ == "__main__":
    main()
