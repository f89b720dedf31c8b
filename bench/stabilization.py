"""Stabilization latency on the local cloud: this handler beside its peers, in one run.

For a tracker that becomes ACTIVE (or is gone) W seconds after the call, each handler is
invoked as Lambda would invoke it; measured are the seconds from the state change (the
emulator's own timeline) to the answer's arrival at the ResponseURL, and the DescribeEventTracker
calls per wait. Peers: a 5 s fixed interval (the CDK Provider framework's cadence), crhelper's
scheduled polling (rate(1 minute), fired at its nominal rate), and crhelper's default Delete
sleep. All runs of one handler go at once, 0.3 s apart; the handlers mostly sleep.

    python -m bench.stabilization [--runs 5] [--waits 1 5 30]

Run i of each wait W lasts W + i seconds, so the state change falls at every phase of a poller's
cycle; the tables name the nominal W.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.schedules import Schedules
from localcloud import lambda_runtime
from localcloud.cloudformation.response_server import ResponseServer
from localcloud.personalize import Delays, Personalize
from localcloud.personalize.http import Emulator
from personalize_event_tracker._provider import HANDLER, HANDLER_PACKAGE, staged_asset

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"
FUNCTION_TIMEOUT = 900
STACK_ID = "arn:aws:cloudformation:us-east-1:123456789012:stack/Bench/00000000-0000-0000-0000-000000000000"


@dataclass
class Peer:
    name: str
    label: str
    operations: tuple[str, ...]
    make_asset: Callable[[Path], None]
    scheduled: bool = False
    handler: str = HANDLER


def _product_asset(target: Path, *, replace: dict[str, dict[str, str]] | None = None) -> None:
    """The product's asset, with text replaced in its handler modules: {module file: {old: new}}."""
    shutil.copytree(staged_asset(), target, dirs_exist_ok=True)
    for module, replacements in (replace or {}).items():
        path = target / HANDLER_PACKAGE / module
        text = path.read_text()
        for old, new in replacements.items():
            assert old in text, f"the handler's {module} no longer contains {old!r}"
            text = text.replace(old, new)
        path.write_text(text)


def _crhelper_polling_asset(target: Path) -> None:
    _product_asset(target)  # for its crhelper
    shutil.copyfile(BENCH / "peers" / "crhelper_polling.py", target / "index.py")


PEERS = [
    Peer("this", "this handler (inline, 0.5 s doubling to 2 s)", ("Create", "Delete"), _product_asset),
    Peer(
        "fixed5",
        "fixed 5 s interval (Provider framework cadence)",
        ("Create", "Delete"),
        lambda target: _product_asset(
            target,
            replace={
                "waiting.py": {
                    "POLL_FIRST_INTERVAL = 0.5": "POLL_FIRST_INTERVAL = 5.0",
                    "POLL_MAX_INTERVAL = 2.0": "POLL_MAX_INTERVAL = 5.0",
                }
            },
        ),
    ),
    Peer(
        "crhelper-poll",
        "crhelper scheduled polling (rate 1 minute)",
        ("Create", "Delete"),
        _crhelper_polling_asset,
        scheduled=True,
        handler="index.handler",
    ),
    Peer(
        "crhelper-sleep",
        "crhelper default Delete sleep (120 s)",
        ("Delete",),
        lambda target: _product_asset(target, replace={"answers.py": {", sleep_on_delete=0)": ")"}}),
    ),
]


@dataclass
class Run:
    peer: str
    operation: str
    wait: float
    latency: float  # seconds from the state change to the answer's arrival
    describes: int
    status: str


# Run i of a scenario waits W + i * PHASE_STEP: state changes fall at every phase of a poller's
# cycle (0-4 s, a 5 s interval's whole period) instead of always on its beat.
PHASE_STEP = 1.0


def _delays(operation: str, wait: float) -> Delays:
    pending = min(0.2, wait / 4)
    if operation == "Create":
        return Delays(
            dataset_group_pending=0.0,
            dataset_group_in_progress=0.05,
            tracker_pending=pending,
            tracker_in_progress=wait - pending,
        )
    return Delays(
        dataset_group_pending=0.0,
        dataset_group_in_progress=0.05,
        tracker_pending=0.0,
        tracker_in_progress=0.05,
        tracker_delete_pending=pending,
        tracker_delete_in_progress=wait - pending,
    )


def _scenario(
    peer: Peer,
    asset: Path,
    operation: str,
    wait: float,
    runs: int,
    responses: ResponseServer,
    start_delay: float,
    nominal: float,
) -> list[Run]:
    service = Personalize(delays=_delays(operation, wait))
    results: list[Run] = []
    with Emulator(service) as emulator:
        environment = {
            **emulator.client_environment(),
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "SSL_CERT_FILE": str(responses.certificate_file),
        }

        def invoke(event: dict[str, Any]) -> None:
            lambda_runtime.invoke(
                asset, event, handler=peer.handler, timeout_seconds=FUNCTION_TIMEOUT, environment=environment
            )

        schedules = Schedules(lambda payload: invoke(json.loads(payload)))
        environment.update(schedules.client_environment())
        with schedules:
            client = emulator.client()
            groups = [client.create_dataset_group(name=f"bench-{i}")["datasetGroupArn"] for i in range(runs)]
            time.sleep(0.2)
            existing: list[str] = []
            if operation == "Delete":
                existing = [
                    client.create_event_tracker(name=f"t{i}", datasetGroupArn=g)["eventTrackerArn"]
                    for i, g in enumerate(groups)
                ]
                time.sleep(0.5)
            threads = []
            lock = threading.Lock()

            def one(index: int) -> None:
                time.sleep(start_delay + 0.3 * index)
                event: dict[str, Any] = {
                    "RequestType": operation,
                    "StackId": STACK_ID,
                    "RequestId": str(uuid.uuid4()),
                    "LogicalResourceId": f"Tracker{index}",
                    "ResourceType": "Custom::PersonalizeEventTracker",
                    "ResourceProperties": {
                        "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:provider",
                        "DatasetGroupArn": groups[index],
                        "Name": f"bench-{index}",
                    },
                }
                if operation == "Delete":
                    event["PhysicalResourceId"] = existing[index]
                event["ResponseURL"] = responses.url_for(event)
                invoke(event)
                answer = responses.wait_for_answer(event["ResponseURL"], timeout=FUNCTION_TIMEOUT)
                assert answer is not None, f"{peer.name} {operation} W={wait}: no answer"
                arn = existing[index] if operation == "Delete" else answer.body["PhysicalResourceId"]
                timeline = service.timelines[arn]
                wanted = "ACTIVE" if operation == "Create" else None
                changed = [at for at, status in timeline if status == wanted][-1]
                started = timeline[-3][0] if operation == "Delete" else timeline[0][0]
                describes = sum(
                    1
                    for c in service.calls
                    if c.operation == "DescribeEventTracker" and c.target == arn and c.at >= started
                )
                with lock:
                    results.append(
                        Run(
                            peer.name,
                            operation,
                            nominal,
                            answer.received_at - changed,
                            describes,
                            answer.body["Status"],
                        )
                    )

            for index in range(runs):
                threads.append(threading.Thread(target=one, args=(index,)))
                threads[-1].start()
            for thread in threads:
                thread.join()
            # the scheduled peer's last poll may still be removing its rule
            time.sleep(1.0 if peer.scheduled else 0)
    return results


def measure(runs: int, waits: list[float]) -> list[Run]:
    measured: list[Run] = []
    with ResponseServer() as responses, tempfile.TemporaryDirectory(prefix="bench-assets-") as assets:
        for peer in PEERS:
            asset = Path(assets) / peer.name
            peer.make_asset(asset)
            scenarios = [(operation, wait) for operation in peer.operations for wait in waits]
            print(f"{peer.label}: {len(scenarios)} scenarios x {runs} runs, at once", flush=True)
            outcome: list[list[Run]] = []

            def run_once(
                operation: str,
                wait: float,
                phase: int,
                order: int,
                peer: Peer = peer,
                asset: Path = asset,
                outcome: list[list[Run]] = outcome,
            ) -> None:
                actual = wait + phase * PHASE_STEP
                outcome.append(_scenario(peer, asset, operation, actual, 1, responses, order * 0.15, nominal=wait))

            jobs = [(operation, wait, phase) for operation, wait in scenarios for phase in range(runs)]
            threads = [threading.Thread(target=run_once, args=(*job, order)) for order, job in enumerate(jobs)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            for result in outcome:
                measured += result
    return measured


def summarize(measured: list[Run]) -> list[dict[str, Any]]:
    rows = []
    keys = sorted(
        {(r.peer, r.operation, r.wait) for r in measured},
        key=lambda k: ([p.name for p in PEERS].index(k[0]), k[1] != "Create", k[2]),
    )
    for peer, operation, wait in keys:
        runs = [r for r in measured if (r.peer, r.operation, r.wait) == (peer, operation, wait)]
        latencies = [r.latency for r in runs]
        describes = [r.describes for r in runs]
        rows.append(
            {
                "peer": peer,
                "operation": operation,
                "wait": wait,
                "runs": len(runs),
                "median": statistics.median(latencies),
                "max": max(latencies),
                "describes": statistics.median(describes),
                "describe_budget": 3 + wait / 2,
                "all_success": all(r.status == "SUCCESS" for r in runs),
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--waits", type=float, nargs="+", default=[1, 5, 30])
    args = parser.parse_args()
    measured = measure(args.runs, args.waits)
    rows = summarize(measured)
    print(f"{'peer':<16}{'op':<8}{'W s':>6}{'median s':>10}{'max s':>8}{'Describe':>10}")
    for row in rows:
        print(
            f"{row['peer']:<16}{row['operation']:<8}{row['wait']:>6g}{row['median']:>10.2f}{row['max']:>8.2f}"
            f"{row['describes']:>10g}"
        )
    RESULTS.mkdir(exist_ok=True)
    labels = {peer.name: peer.label for peer in PEERS}
    (RESULTS / "stabilization.json").write_text(
        json.dumps({"rows": rows, "labels": labels, "runs": [asdict(r) for r in measured]}, indent=1)
    )


if __name__ == "__main__":
    main()
