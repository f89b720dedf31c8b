"""The local cloud's Lambda: the provider function's cold start and warm invocation through
awslambdaric, and N cold starts at once (what a stack of N trackers asks for), in wall time and
in the CPU the environments spent; then a trivial handler's cold start and warm invocation on each
runtime, Python's (awslambdaric) beside Node.js's (our bootstrap).

    python -m bench.lambda_runtime [--runs 10] [--together 50]

The provider's event is a malformed Create, answered FAILED without a call to the service: what is
measured is the runtime and the handler's Init, not Personalize.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from localcloud import lambda_runtime
from localcloud.cloudformation.response_server import ResponseServer
from localcloud.lambda_runtime import Environments
from personalize_event_tracker._provider import HANDLER, staged_asset

TICKS = os.sysconf("SC_CLK_TCK")
# a handler that does nothing, per runtime: the runtime's own cost, Init and invocation
TRIVIAL = {
    "python3.13": ("index.py", "def handler(event, context):\n    return event\n"),
    "nodejs24.x": ("index.js", "exports.handler = async (event) => event;\n"),
}


def cpu_seconds(pid: int) -> float:
    """user + system time of a live process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


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


def trivial(runtime: str, runs: int) -> tuple[list[float], list[float], list[float]]:
    """A trivial handler's cold starts (wall, and CPU in the environment) and warm invocations."""
    file_name, source = TRIVIAL[runtime]
    cold, cold_cpu, warm = [], [], []
    with tempfile.TemporaryDirectory() as directory:
        code = Path(directory)
        (code / file_name).write_text(source)
        for _ in range(runs):
            with Environments() as service:
                started = time.perf_counter()
                first = lambda_runtime.invoke(code, {"n": 0}, runtime=runtime, timeout_seconds=60, service=service)
                cold.append(time.perf_counter() - started)
                cold_cpu.append(cpu_seconds(first.pid))
                assert first.status == "success", first.output
                for n in range(5):
                    started = time.perf_counter()
                    lambda_runtime.invoke(code, {"n": n}, runtime=runtime, timeout_seconds=60, service=service)
                    warm.append(time.perf_counter() - started)
    return cold, cold_cpu, warm


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--together", type=int, default=50)
    args = parser.parse_args()
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

        cold, cold_cpu, warm = [], [], []
        for _ in range(args.runs):
            with Environments() as service:
                started = time.perf_counter()
                first = invoke(service)
                cold.append(time.perf_counter() - started)
                cold_cpu.append(cpu_seconds(first.pid))
                for _ in range(5):
                    started = time.perf_counter()
                    invoke(service)
                    warm.append(time.perf_counter() - started)

        with Environments() as service:
            pids: list[int] = []
            threads = [threading.Thread(target=lambda: pids.append(invoke(service).pid)) for _ in range(args.together)]
            started = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            together = time.perf_counter() - started
            together_cpu = sum(cpu_seconds(pid) for pid in set(pids))
            environments = service.started

    print(
        f"cold start (first invocation, Init included): median {statistics.median(cold) * 1000:.0f} ms wall, "
        f"{statistics.median(cold_cpu) * 1000:.0f} ms CPU in the environment ({args.runs} runs)"
    )
    print(f"warm invocation: median {statistics.median(warm) * 1000:.1f} ms wall ({len(warm)} invocations)")
    print(
        f"{args.together} invocations at once: {together:.1f} s wall, {environments} environments, "
        f"{together_cpu:.1f} s CPU in them; {os.cpu_count()} cores"
    )
    print(f"a trivial handler ({args.runs} cold starts, 5 warm invocations after each):")
    for runtime, label in (("python3.13", "Python 3.13, awslambdaric"), ("nodejs24.x", "Node.js 24, our bootstrap")):
        cold, cold_cpu, warm = trivial(runtime, args.runs)
        print(
            f"  {label}: cold start median {statistics.median(cold) * 1000:.0f} ms wall, "
            f"{statistics.median(cold_cpu) * 1000:.0f} ms CPU in the environment; "
            f"warm invocation median {statistics.median(warm) * 1000:.1f} ms wall"
        )


if __name__ == "__main__":
    main()
