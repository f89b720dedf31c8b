"""The project itself: `make test` in a fresh clone (pip's and npm's caches warm, nothing of this
checkout's venvs, node_modules or test cache). `make test` once set up is bench/suite.py's.
With `runs`, that many clones one after another, and the median (a run's time varies by a
third on this machine).

    python -m bench.project [runs]
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPOSITORY = BENCH.parent


def timed(command: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, capture_output=True, env={**os.environ, "CI": "true"})
    return time.perf_counter() - started


def fresh_clone_make_test() -> float:
    with tempfile.TemporaryDirectory(prefix="bench-clone-") as parent:
        clone = Path(parent) / "clone"
        subprocess.run(["git", "clone", "--quiet", str(REPOSITORY), str(clone)], check=True)
        return timed(["make", "test"], clone)


def main() -> None:
    runs = [fresh_clone_make_test() for _ in range(int(sys.argv[1]) if len(sys.argv) > 1 else 1)]
    result = {"fresh_clone_make_test_s": statistics.median(runs), "runs": runs}
    each = ", ".join(f"{run:.0f}" for run in runs)
    print(f"`make test` in a fresh clone: {result['fresh_clone_make_test_s']:.0f} s ({each} s)")
    (BENCH / "results").mkdir(exist_ok=True)
    (BENCH / "results" / "project.json").write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
