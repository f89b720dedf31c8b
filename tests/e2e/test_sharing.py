"""Sharing a trackingId with another stack: an export pins the tracker, a parameter follows it.

A producer stack and a consumer stack from one assembly; the tracker is then renamed (replaced,
so its trackingId changes).
"""

import os
import subprocess
import sys

import pytest

from localcloud.assembly import find_stack
from localcloud.cloudformation import DeploymentFailed

from .conftest import REPOSITORY, cdk_cli

pytestmark = pytest.mark.slow

APP = REPOSITORY / "tests" / "e2e" / "apps" / "sharing.py"


@pytest.fixture(scope="module")
def sharing(tmp_path_factory):
    """The sharing app for each path and name, synthesized by the real CDK CLI."""
    root = tmp_path_factory.mktemp("sharing")
    env = {**os.environ, "PATH": f"{sys.executable.rsplit('/', 1)[0]}:{os.environ['PATH']}"}
    out = {}
    for path in ("export", "parameter"):
        for name in ("clicks", "clicks-v2"):
            out[(path, name)] = root / f"{path}-{name}"
            context = ["-c", f"path={path}", "-c", f"name={name}", "-o", str(out[path, name])]
            subprocess.run(
                [*cdk_cli(), "synth", "--quiet", "--strict", "--app", f"{sys.executable} {APP}", *context],
                cwd=REPOSITORY,
                env={**env, "CDK_DISABLE_CLI_TELEMETRY": "true"},
                check=True,
                capture_output=True,
            )
    return out


def deploy_both(harness, assembly):
    harness.cloud.deploy(find_stack(assembly, "Producer"))
    harness.cloud.deploy(find_stack(assembly, "Consumer"))


def seen(harness):
    return harness.cloud.parameters.get("/e2e/consumer/seen")


def test_an_imported_export_refuses_the_rename(harness, sharing):
    # GIVEN a consumer importing the producer's trackingId export
    deploy_both(harness, sharing[("export", "clicks")])
    (tracker,) = harness.trackers()
    assert seen(harness) == tracker["trackingId"]

    # WHEN the tracker is renamed THEN CloudFormation refuses to change the export in use, and rolls back
    with pytest.raises(
        DeploymentFailed, match="Cannot update export Producer-Tracker-TrackingId as it is in use by Consumer"
    ):
        harness.cloud.deploy(find_stack(sharing[("export", "clicks-v2")], "Producer"))
    (after,) = harness.trackers()
    assert after["name"] == "clicks" and after["status"] == "ACTIVE"
    # AND the producer cannot be destroyed while the consumer imports its export
    with pytest.raises(DeploymentFailed, match="cannot be deleted as it is in use by Consumer"):
        harness.cloud.destroy("Producer")
    harness.cloud.destroy("Consumer")
    harness.cloud.destroy("Producer")


def test_a_parameter_follows_the_rename(harness, sharing):
    # GIVEN a consumer reading the producer's trackingId parameter
    deploy_both(harness, sharing[("parameter", "clicks")])
    (tracker,) = harness.trackers()
    assert seen(harness) == tracker["trackingId"]

    # WHEN the tracker is renamed THEN the producer's update goes through, and the parameter follows
    harness.cloud.deploy(find_stack(sharing[("parameter", "clicks-v2")], "Producer"))
    (renamed,) = harness.trackers()
    assert renamed["name"] == "clicks-v2" and renamed["trackingId"] != tracker["trackingId"]
    assert harness.cloud.parameters.get("/e2e/clickstream/tracking-id") == renamed["trackingId"]
    # AND the consumer's next deployment reads the new trackingId
    harness.cloud.deploy(find_stack(sharing[("parameter", "clicks")], "Consumer"))
    assert seen(harness) == renamed["trackingId"]
    harness.cloud.destroy("Consumer")
    harness.cloud.destroy("Producer")
