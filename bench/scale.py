"""Scale: N trackers in one stack, created and deleted at once, under the service's rate limits.

Each stack (N dataset groups, each with an EventTracker) is synthesized, then deployed and
destroyed on the local cloud with the tight rate limits of `localcloud.personalize.rate_limits.TIGHT_LIMITS`
(CreateEventTracker 2/s with a burst of 2, DescribeEventTracker 5/s, ...) and the `demo` delays
(a tracker is ACTIVE 2 s after its create, gone 1.3 s after its delete). Measured:

- create phase: from the first CreateEventTracker request to the last tracker's CREATE_COMPLETE,
  against its floor (N - burst) / rate + the time to ACTIVE: the time a perfect client would take
  (the phase starts at the service, so the Lambda cold starts before it do not count);
- delete phase: from the first DeleteEventTracker request to the last DELETE_COMPLETE, against
  its floor: every tracker needs one Describe that finds it gone, (N - burst) / rate of
  DescribeEventTracker after the time to be gone;
- calls refused by a rate limit (throttled) per tracker, over both phases, by operation.

    python -m bench.scale [--sizes 10 50 100]
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from localcloud.cloudformation.assembly import find_stack
from localcloud.endpoint import Endpoint
from localcloud.personalize import DELAY_PRESETS, Personalize
from localcloud.personalize.rate_limits import TIGHT_LIMITS

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"
TRACKER_TYPE = "Custom::PersonalizeEventTracker"


def synthesize(trackers: int, outdir: Path) -> None:
    env = {**os.environ, "BENCH_KIND": "construct", "BENCH_TRACKERS": str(trackers), "CDK_OUTDIR": str(outdir)}
    subprocess.run([sys.executable, str(BENCH / "apps" / "synth_app.py")], env=env, check=True, capture_output=True)


def floors(trackers: int) -> tuple[float, float]:
    delays = DELAY_PRESETS["demo"]
    create, describe = TIGHT_LIMITS["CreateEventTracker"], TIGHT_LIMITS["DescribeEventTracker"]
    to_active = delays.tracker_pending + delays.tracker_in_progress
    to_gone = delays.tracker_delete_pending + delays.tracker_delete_in_progress
    create_floor = max(0.0, trackers - create["burst"]) / create["rate"] + to_active
    delete_floor = max(0.0, trackers - describe["burst"]) / describe["rate"] + to_gone
    return create_floor, delete_floor


def measure(trackers: int) -> dict[str, Any]:
    service = Personalize(delays=DELAY_PRESETS["demo"])
    service.set_faults(rate_limits=TIGHT_LIMITS)
    events: list[tuple[float, str, str]] = []  # (time, logical id, status) of the trackers

    def progress(stack: str, logical_id: str, resource_type: str, status: str, reason: str) -> None:
        if resource_type == TRACKER_TYPE:
            events.append((time.time(), logical_id, status))  # the emulator's clock

    with tempfile.TemporaryDirectory(prefix="bench-scale-") as outdir:
        synthesize(trackers, Path(outdir))
        with Endpoint(personalize=service) as endpoint:
            engine = endpoint.cloudformation.engine
            engine.listen(progress)
            engine.deploy(find_stack(Path(outdir), "Bench"))
            created_calls = len(service.calls)
            engine.destroy("Bench")

    def phase(operation: str, end: str) -> float:
        first = min(call.at for call in service.calls if call.operation == operation)
        last = max(at for at, _, status in events if status == end)
        return last - first

    complete = [status for _, _, status in events if status in ("CREATE_COMPLETE", "DELETE_COMPLETE")]
    assert len(complete) == 2 * trackers, f"not every tracker was created and deleted: {len(complete)}"
    throttled_create = collections.Counter(c.operation for c in service.calls[:created_calls] if c.rate_limited)
    throttled_delete = collections.Counter(c.operation for c in service.calls[created_calls:] if c.rate_limited)
    create_floor, delete_floor = floors(trackers)
    create_s = phase("CreateEventTracker", "CREATE_COMPLETE")
    delete_s = phase("DeleteEventTracker", "DELETE_COMPLETE")
    return {
        "trackers": trackers,
        "create_s": create_s,
        "create_floor_s": create_floor,
        "create_ratio": create_s / create_floor,
        "delete_s": delete_s,
        "delete_floor_s": delete_floor,
        "delete_ratio": delete_s / delete_floor,
        "throttled_per_tracker": (sum(throttled_create.values()) + sum(throttled_delete.values())) / trackers,
        "throttled_create": dict(throttled_create),
        "throttled_delete": dict(throttled_delete),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 50, 100])
    args = parser.parse_args()
    rows = []
    header = ("trackers", 8), ("create s", 10), ("floor", 8), ("x floor", 9), ("delete s", 10), ("floor", 8)
    print("".join(f"{name:>{width}}" for name, width in header) + f"{'throttled/tracker':>19}")
    for trackers in args.sizes:
        row = measure(trackers)
        rows.append(row)
        print(
            f"{trackers:>8}{row['create_s']:>10.1f}{row['create_floor_s']:>8.1f}{row['create_ratio']:>9.2f}"
            f"{row['delete_s']:>10.1f}{row['delete_floor_s']:>8.1f}{row['throttled_per_tracker']:>19.2f}"
        )
        print(f"{'':>8}throttled while creating {row['throttled_create']}, deleting {row['throttled_delete']}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "scale.json").write_text(json.dumps({"limits": TIGHT_LIMITS, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
