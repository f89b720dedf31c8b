"""Synthesis cost: `python app.py` wall time and template bytes, this construct vs the native
CfnEventTracker vs AwsCustomResource, for 1, 10 and 50 trackers, interleaved in one run (every
kind and size once per round), with the minimum, median and maximum of each.

    python -m bench.synthesis [--runs 7] [--sizes 1 10 50]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
KINDS = ["construct", "native", "awscustomresource"]


def synthesize(kind: str, trackers: int) -> tuple[float, int]:
    with tempfile.TemporaryDirectory(prefix="bench-synth-") as outdir:
        env = {**os.environ, "BENCH_KIND": kind, "BENCH_TRACKERS": str(trackers), "CDK_OUTDIR": outdir}
        started = time.perf_counter()
        subprocess.run([sys.executable, str(BENCH / "apps" / "synth_app.py")], env=env, check=True, capture_output=True)
        wall = time.perf_counter() - started
        return wall, len((Path(outdir) / "Bench.template.json").read_bytes())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 10, 50])
    args = parser.parse_args()
    walls: dict[tuple[str, int], list[float]] = {}
    sizes: dict[tuple[str, int], int] = {}
    for _ in range(args.runs):  # interleaved: every kind and size once per round
        for trackers in args.sizes:
            for kind in KINDS:
                wall, size = synthesize(kind, trackers)
                walls.setdefault((kind, trackers), []).append(wall)
                sizes[(kind, trackers)] = size
    rows: list[dict[str, Any]] = []
    print(f"{'kind':<20}{'trackers':>9}{'min s':>8}{'median s':>10}{'max s':>8}{'bytes':>9}{'median/native':>15}")
    for trackers in args.sizes:
        native = statistics.median(walls[("native", trackers)])
        for kind in KINDS:
            samples = walls[(kind, trackers)]
            median = statistics.median(samples)
            rows.append(
                {
                    "kind": kind,
                    "trackers": trackers,
                    "runs": len(samples),
                    "min": min(samples),
                    "median": median,
                    "max": max(samples),
                    "bytes": sizes[(kind, trackers)],
                    "wall_ratio": median / native,
                }
            )
            print(
                f"{kind:<20}{trackers:>9}{min(samples):>8.2f}{median:>10.2f}{max(samples):>8.2f}"
                f"{sizes[(kind, trackers)]:>9}{median / native:>15.2f}"
            )
    low, high = min(args.sizes), max(args.sizes)
    per_tracker = {kind: (sizes[(kind, high)] - sizes[(kind, low)]) / (high - low) for kind in KINDS}
    for kind in KINDS:
        ratio = per_tracker[kind] / per_tracker["native"]
        print(f"bytes per extra tracker, {kind}: {per_tracker[kind]:.0f} ({ratio:.2f}x native)")
    (BENCH / "results").mkdir(exist_ok=True)
    (BENCH / "results" / "synthesis.json").write_text(
        json.dumps({"rows": rows, "bytes_per_tracker": per_tracker}, indent=1)
    )


if __name__ == "__main__":
    main()
