"""The project itself: `make test` in a fresh clone (pip's and npm's caches warm, nothing of this
checkout's venvs, node_modules or test cache). `make test` once set up is bench/suite.py's.

    python -m bench.project
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPOSITORY = BENCH.parent


def timed(command: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, capture_output=True, env={**os.environ, "CI": "true"})
    return time.perf_counter() - started


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-clone-") as parent:
        clone = Path(parent) / "clone"
        subprocess.run(["git", "clone", "--quiet", str(REPOSITORY), str(clone)], check=True)
        fresh = timed(["make", "test"], clone)
    result = {"fresh_clone_make_test_s": fresh}
    print(f"`make test` in a fresh clone: {fresh:.0f} s")
    (BENCH / "results").mkdir(exist_ok=True)
    (BENCH / "results" / "project.json").write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
