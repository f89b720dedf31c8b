"""The test suite's own figures: `make check` and `make test` once set up, each run three times
(their time varies from run to run by a tenth or more), and the suite's ten slowest tests, with the
machine's load around each run (other work on its cores slows them down).

`make test`'s suite writes each test's time to .make/suite.xml (JUnit XML: setup, call and
teardown together); the ten slowest of the last run are read from there.

    python -m bench.suite [runs]
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import NotRequired, TypedDict

BENCH = Path(__file__).resolve().parent
REPOSITORY = BENCH.parent
SUITE_REPORT = REPOSITORY / ".make" / "suite.xml"


class Timing(TypedDict):
    seconds: float
    load_before: list[float]
    load_after: list[float]
    runs: NotRequired[list[float]]  # a median's: every run's seconds


class Case(TypedDict):
    test: str
    seconds: float


def timed(target: str) -> Timing:
    """`make <target>` with CI=true, as `.ci/run` runs it: its wall time and the load averages around it."""
    before = os.getloadavg()
    started = time.perf_counter()
    subprocess.run(["make", target], cwd=REPOSITORY, check=True, capture_output=True, env={**os.environ, "CI": "true"})
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "load_before": list(before), "load_after": list(os.getloadavg())}


def slowest(report: Path, count: int = 10) -> list[Case]:
    """The `count` slowest tests of a JUnit XML report, slowest first, named as pytest names them."""
    found: list[Case] = [
        {
            "test": f"{case.get('classname', '').replace('.', '/')}.py::{case.get('name')}",
            "seconds": float(case.get("time", 0)),
        }
        for case in ET.parse(report).getroot().iter("testcase")  # noqa: S314 - the suite's own report
    ]
    return sorted(found, key=lambda case: -case["seconds"])[:count]


def summary(runs: list[Timing]) -> Timing:
    """The median run, with every run's seconds beside it."""
    seconds = [run["seconds"] for run in runs]
    middle = runs[seconds.index(statistics.median_low(seconds))]
    return {**middle, "runs": seconds}


def seconds_of(runs: list[Timing]) -> str:
    return ", ".join(f"{run['seconds']:.0f}" for run in runs) + " s"


def main(runs: int = 3) -> None:
    checks, tests = [], []
    for _ in range(runs):  # alternated, so that a busy spell of the machine touches both
        checks.append(timed("check"))
        tests.append(timed("test"))
    check, test = summary(checks), summary(tests)
    cases = slowest(SUITE_REPORT)
    print(
        f"`make check` {check['seconds']:.0f} s, `make test` {test['seconds']:.0f} s once set up (medians of"
        f" {runs}: {seconds_of(checks)} and {seconds_of(tests)}); the slowest tests:"
    )
    for case in cases:
        print(f"  {case['seconds']:6.1f} s  {case['test']}")
    result = {"make_check": check, "make_test": test, "slowest": cases, "cores": os.cpu_count()}
    (BENCH / "results").mkdir(exist_ok=True)
    (BENCH / "results" / "suite.json").write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
