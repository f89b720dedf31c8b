"""Where synthesis time goes: import, construction per tracker, and app.synth(), for this
construct and the native CfnEventTracker, with the jsii round trips each phase makes and the
functions cProfile finds heaviest while the trackers are built.

Each (kind, N) runs in a fresh interpreter, as `python app.py` does:

    python -m bench.synthesis_profile [--sizes 1 50] [--runs 3]

Writes bench/results/synthesis_profile.json; bench.report puts its summary in RESULTS.md.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
KINDS = ["construct", "native"]
TOP_FUNCTIONS = 12


def _count_round_trips() -> Counter[str]:
    """Count every request the Python side sends to the jsii kernel, by kind (create, get, invoke...)."""
    from jsii._kernel.providers import process

    counts: Counter[str] = Counter()
    send = process._NodeProcess.send

    def counting_send(self: Any, request: Any, response_type: Any) -> Any:
        counts[type(request).__name__.removesuffix("Request").lower()] += 1
        return send(self, request, response_type)

    process._NodeProcess.send = counting_send  # type: ignore[method-assign]
    return counts


def measure_in_this_process(kind: str, trackers: int, outdir: str) -> dict[str, Any]:
    """One synthesis, phase by phase. Runs in a fresh interpreter (see main)."""
    started = time.perf_counter()
    counts = _count_round_trips()
    import aws_cdk as cdk
    from aws_cdk import aws_personalize as personalize

    if kind == "construct":
        from personalize_event_tracker import EventTracker
    imported = time.perf_counter()
    app = cdk.App(outdir=outdir)
    stack = cdk.Stack(app, "Bench")
    trips_before = counts.copy()
    groups = [personalize.CfnDatasetGroup(stack, f"Group{i}", name=f"bench-{i}") for i in range(trackers)]
    arns = [group.attr_dataset_group_arn for group in groups]
    trips_groups = counts.copy()
    profiler = cProfile.Profile()
    built_groups = time.perf_counter()
    profiler.enable()
    for index, arn in enumerate(arns):
        if kind == "construct":
            EventTracker(stack, f"Tracker{index}", dataset_group_arn=arn, event_tracker_name=f"tracker-{index}")
        else:
            native = personalize.CfnEventTracker(
                stack, f"Tracker{index}", dataset_group_arn=arn, name=f"tracker-{index}"
            )
            cdk.CfnOutput(
                stack,
                f"TrackingId{index}",
                value=native.attr_tracking_id,
                export_name=f"Bench-Tracker{index}-TrackingId",
            )
    profiler.disable()
    constructed = time.perf_counter()
    trips_trackers = counts.copy()
    app.synth()
    synthesized = time.perf_counter()
    stats = pstats.Stats(profiler)
    top = sorted(
        (
            {"function": "{}:{}({})".format(*function), "calls": row[1], "own_s": row[2], "cumulative_s": row[3]}
            for function, row in stats.stats.items()  # type: ignore[attr-defined]
        ),
        key=lambda entry: entry["cumulative_s"],
        reverse=True,
    )
    return {
        "import_s": imported - started,
        "app_and_groups_s": built_groups - imported,
        "construction_s": constructed - built_groups,
        "synth_s": synthesized - constructed,
        "round_trips_per_tracker": {
            name: (trips_trackers[name] - trips_groups[name]) / trackers
            for name in sorted(set(trips_trackers) | set(trips_groups))
            if trips_trackers[name] != trips_groups[name]
        },
        "round_trips_synth": sum((counts - trips_trackers).values()),
        "round_trips_groups": sum((trips_groups - trips_before).values()),
        "top_functions": [entry for entry in top if "bench" not in entry["function"]][:TOP_FUNCTIONS],
    }


def run_fresh(kind: str, trackers: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-profile-") as outdir:
        result = subprocess.run(
            [sys.executable, "-m", "bench.synthesis_profile", "--child", kind, str(trackers), outdir],
            cwd=BENCH.parent,
            env={**os.environ},
            check=True,
            capture_output=True,
            text=True,
        )
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 50])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", nargs=3, metavar=("KIND", "N", "OUTDIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, trackers, outdir = args.child
        print(json.dumps(measure_in_this_process(kind, int(trackers), outdir)))
        return
    runs: dict[str, list[dict[str, Any]]] = {}
    for _ in range(args.runs):  # interleaved, as in bench.synthesis
        for trackers in args.sizes:
            for kind in KINDS:
                runs.setdefault(f"{kind}/{trackers}", []).append(run_fresh(kind, trackers))
    summary: dict[str, Any] = {}
    phases = ["import_s", "app_and_groups_s", "construction_s", "synth_s"]
    print(f"{'kind/N':<16}" + "".join(f"{phase:>18}" for phase in phases) + f"{'ms/tracker':>12}{'trips/tracker':>15}")
    for key, samples in runs.items():
        trackers = int(key.split("/")[1])
        medians = {phase: statistics.median(sample[phase] for sample in samples) for phase in phases}
        last = samples[-1]
        per_tracker_ms = medians["construction_s"] / trackers * 1000
        trips = sum(last["round_trips_per_tracker"].values())
        summary[key] = {
            **medians,
            "construction_ms_per_tracker": per_tracker_ms,
            "round_trips_per_tracker": last["round_trips_per_tracker"],
            "round_trips_synth": last["round_trips_synth"],
            "top_functions": last["top_functions"],
        }
        print(
            f"{key:<16}"
            + "".join(f"{medians[phase]:>18.3f}" for phase in phases)
            + f"{per_tracker_ms:>12.2f}{trips:>15.1f}"
        )
    for key, entry in summary.items():
        print(f"\n{key}: round trips per tracker {entry['round_trips_per_tracker']}")
        for function in entry["top_functions"][:8]:
            print(f"  {function['cumulative_s']:8.3f} s cum {function['calls']:>6} calls  {function['function']}")
    (BENCH / "results").mkdir(exist_ok=True)
    (BENCH / "results" / "synthesis_profile.json").write_text(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
