"""Sharing a trackingId with another stack: an export pins the tracker, a parameter follows it.

A producer stack and a consumer stack from one assembly; the tracker is then renamed (replaced,
so its trackingId changes).
"""

import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from localcloud.cloudformation import DeploymentFailed
from localcloud.cloudformation.assembly import find_stack

from .conftest import REPOSITORY, cdk_synth

pytestmark = pytest.mark.slow

APP = REPOSITORY / "tests" / "e2e" / "apps" / "sharing.py"


@pytest.fixture(scope="module")
def sharing():
    """The sharing app for each path and name, synthesized by the real CDK CLI, two at a time."""
    cases = [(path, name) for path in ("export", "parameter") for name in ("clicks", "clicks-v2")]
    with ThreadPoolExecutor(max_workers=2) as pool:
        built = pool.map(
            lambda case: cdk_synth(
                f"sharing-{case[0]}-{case[1]}",
                *("--app", f"{sys.executable} {APP}", "-c", f"path={case[0]}", "-c", f"name={case[1]}"),
            ),
            cases,
        )
        return dict(zip(cases, built, strict=True))


def deploy_both(harness, assembly):
    harness.engine.deploy(find_stack(assembly, "Producer"))
    harness.engine.deploy(find_stack(assembly, "Consumer"))


def seen(harness):
    return harness.engine.services.parameter("/e2e/consumer/seen")


def test_an_imported_export_refuses_the_rename(harness, sharing):
    # GIVEN a consumer importing the producer's trackingId export
    deploy_both(harness, sharing[("export", "clicks")])
    (tracker,) = harness.trackers()
    assert seen(harness) == tracker["trackingId"]

    # WHEN the tracker is renamed THEN CloudFormation refuses to change the export in use, and rolls back
    with pytest.raises(
        DeploymentFailed, match="Cannot update export Producer-Tracker-TrackingId as it is in use by Consumer"
    ):
        harness.engine.deploy(find_stack(sharing[("export", "clicks-v2")], "Producer"))
    (after,) = harness.trackers()
    assert after["name"] == "clicks" and after["status"] == "ACTIVE"
    # AND the producer cannot be destroyed while the consumer imports its export
    with pytest.raises(DeploymentFailed, match="cannot be deleted as it is in use by Consumer"):
        harness.engine.destroy("Producer")
    harness.engine.destroy("Consumer")
    harness.engine.destroy("Producer")


def test_a_parameter_follows_the_rename(harness, sharing):
    # GIVEN a consumer reading the producer's trackingId parameter
    deploy_both(harness, sharing[("parameter", "clicks")])
    (tracker,) = harness.trackers()
    assert seen(harness) == tracker["trackingId"]

    # WHEN the tracker is renamed THEN the producer's update goes through, and the parameter follows
    harness.engine.deploy(find_stack(sharing[("parameter", "clicks-v2")], "Producer"))
    (renamed,) = harness.trackers()
    assert renamed["name"] == "clicks-v2" and renamed["trackingId"] != tracker["trackingId"]
    assert harness.engine.services.parameter("/e2e/clickstream/tracking-id") == renamed["trackingId"]
    # AND the consumer's next deployment reads the new trackingId
    harness.engine.deploy(find_stack(sharing[("parameter", "clicks")], "Consumer"))
    assert seen(harness) == renamed["trackingId"]
    harness.engine.destroy("Consumer")
    harness.engine.destroy("Producer")
