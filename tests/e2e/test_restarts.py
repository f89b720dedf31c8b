"""A local cloud stopped in the middle of a stack operation, then started again on its state.

The restart concludes the operation as CloudFormation concludes one whose resources timed out (a
create or an update rolls back, a rollback or a cleanup goes on, a delete is retried; the events
say so), and the user's next command succeeds, leaving nothing outside a stack: no tracker and
no dataset group a user would have to delete by hand.

Each case runs a real `python -m localcloud up` process, holds it at a gate of its admin API (a
stack step, or a Personalize call a custom resource's function makes), stops it there with
SIGKILL or SIGTERM, and starts it again. The user's commands are the calls the CDK CLI makes
(change sets, DeleteStack), through boto3; one journey runs the CLI itself.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from localcloud.cdk_cli import QUIET, cdk_environment, cdk_executable
from localcloud.cloudformation.assembly import StackArtifact

from .conftest import HANG_GUARD_SECONDS, TRACKER_TYPE, artifact
from .served import ServedCloud

STACK = "E2E"
NOTHING_LEFT: dict[str, list[str]] = {"event trackers": [], "dataset groups": []}
STOPPED = "The local cloud stopped during this operation."
CANCELLED = "Resource creation cancelled: the local cloud stopped during this operation"
SIGNALS = {"SIGKILL": signal.SIGKILL, "SIGTERM": signal.SIGTERM}


@pytest.fixture
def cloud(tmp_path: Path, assemblies: Path) -> Iterator[ServedCloud]:
    served = ServedCloud(tmp_path / "state")
    served.up()
    served.publish(artifact(assemblies, "base"))  # every variant's provider has the same asset
    try:
        yield served
    finally:
        if served.alive():
            served.kill(signal.SIGKILL)


def tracker_id(template: dict[str, Any]) -> str:
    (logical_id,) = [str(lid) for lid, r in template["Resources"].items() if r["Type"] == TRACKER_TYPE]
    return logical_id


# --- the points where the local cloud stops -----------------------------------------------------


def held_at(cloud: ServedCloud, gate: str, start: Callable[[], str]) -> str:
    """The stack id `start` answers, once its operation waits at the closed `gate`."""
    cloud.close(gate)
    stack_id = start()
    cloud.held_at(gate)
    return stack_id


def after_the_change_set_executes(cloud: ServedCloud, base: StackArtifact) -> str:
    return held_at(cloud, "cloudformation:operation:E2E", lambda: cloud.execute(STACK, base.template))


def while_a_custom_resource_creates(cloud: ServedCloud, base: StackArtifact) -> str:
    # its tracker exists, CREATE PENDING, and its function waits for it to be ACTIVE
    return held_at(cloud, "personalize:DescribeEventTracker", lambda: cloud.execute(STACK, base.template))


def deleting(cloud: ServedCloud, base: StackArtifact, gate: str) -> str:
    """The stack deployed, then its DeleteStack held at `gate`."""
    stack_id = str(cloud.deploy(STACK, base.template)["StackId"])

    def delete() -> str:
        cloud.client("cloudformation").delete_stack(StackName=stack_id)
        return stack_id

    return held_at(cloud, gate, delete)


def while_a_custom_resource_deletes(cloud: ServedCloud, base: StackArtifact) -> str:
    return deleting(cloud, base, "personalize:DeleteEventTracker")


def during_a_rollback(cloud: ServedCloud, base: StackArtifact) -> str:
    # the tracker ends CREATE FAILED: the stack rolls back, and stops before the tracker's Delete
    cloud.admin("faults", {"fail_tracker_creations": 1})
    gate = f"cloudformation:delete:{tracker_id(base.template)}"
    return held_at(cloud, gate, lambda: cloud.execute(STACK, base.template))


def during_cdk_destroy(cloud: ServedCloud, base: StackArtifact) -> str:
    # the tracker is deleted, its dataset group not yet
    return deleting(cloud, base, "cloudformation:delete:GroupA")


@dataclass(frozen=True)
class Point:
    """Where the local cloud stops, how the restart concludes the operation, what the user does next."""

    reach: Callable[[ServedCloud, StackArtifact], str]  # the stack id
    concluded: str
    said: tuple[str, str]  # a stack event (status, the start of its reason) that says what happened
    next_command: str  # "deploy" again, or "destroy"


POINTS = {
    "after the change set executes": Point(
        after_the_change_set_executes, "ROLLBACK_COMPLETE", ("ROLLBACK_IN_PROGRESS", STOPPED), "deploy"
    ),
    "while a custom resource creates": Point(
        while_a_custom_resource_creates, "ROLLBACK_COMPLETE", ("CREATE_FAILED", CANCELLED), "deploy"
    ),
    "while a custom resource deletes": Point(
        while_a_custom_resource_deletes,
        "DELETE_COMPLETE",
        ("DELETE_IN_PROGRESS", "The local cloud stopped during this operation; the delete is retried."),
        "destroy",
    ),
    "during a rollback": Point(
        during_a_rollback,
        "ROLLBACK_COMPLETE",
        ("ROLLBACK_IN_PROGRESS", "The local cloud stopped during the rollback; it goes on from where it stopped."),
        "deploy",
    ),
    "during cdk destroy": Point(
        during_cdk_destroy,
        "DELETE_COMPLETE",
        ("DELETE_IN_PROGRESS", "The local cloud stopped during this operation; the delete is retried."),
        "destroy",
    ),
}


@pytest.mark.parametrize("stop", list(SIGNALS))
@pytest.mark.parametrize("point", list(POINTS))
def test_a_restart_concludes_the_interrupted_operation_and_the_next_command_works(cloud, assemblies, point, stop):
    base = artifact(assemblies, "base")
    case = POINTS[point]
    stack_id = case.reach(cloud, base)

    cloud.kill(SIGNALS[stop])
    cloud.up()

    concluded = cloud.settled(stack_id)
    events = cloud.events(stack_id)
    assert concluded["StackStatus"] == case.concluded, events
    said = [(e["ResourceStatus"], e.get("ResourceStatusReason", "")) for e in events]
    status, reason = case.said
    assert [(shown, why) for shown, why in said if shown == status and why.startswith(reason)], said
    if point == "while a custom resource creates":
        # the Create that never answered got a Delete with the id CloudFormation invents
        (cancelled,) = [e for e in events if e["ResourceStatus"] == "CREATE_FAILED"]
        invented = cancelled["PhysicalResourceId"]
        assert invented.startswith(f"{STACK}-{tracker_id(base.template)}-")
        assert [e["ResourceStatus"] for e in events if e["PhysicalResourceId"] == invented][-1] == "DELETE_COMPLETE"
    assert cloud.outside_stacks() == NOTHING_LEFT

    if case.next_command == "deploy":
        assert cloud.deploy(STACK, base.template)["StackStatus"] == "CREATE_COMPLETE"
        assert len(cloud.client("personalize").list_event_trackers()["eventTrackers"]) == 1
    else:
        cloud.client("cloudformation").delete_stack(StackName=stack_id)  # `cdk destroy` once more: nothing to do
        assert cloud.settled(stack_id)["StackStatus"] == "DELETE_COMPLETE"
    assert cloud.outside_stacks() == NOTHING_LEFT


def test_an_update_stopped_while_its_custom_resource_updates_rolls_back(cloud, assemblies):
    base, renamed = artifact(assemblies, "base"), artifact(assemblies, "renamed")
    cloud.deploy(STACK, base.template)
    (original,) = cloud.client("personalize").list_event_trackers()["eventTrackers"]
    # the rename's Update: its function is creating clicks-v2
    stack_id = held_at(cloud, "personalize:CreateEventTracker", lambda: cloud.execute(STACK, renamed.template))

    cloud.kill(signal.SIGKILL)
    cloud.up()

    assert cloud.settled(stack_id)["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    events = cloud.events(stack_id)
    tracker = tracker_id(base.template)
    assert ("UPDATE_FAILED", "Resource update cancelled: the local cloud stopped during this operation") in [
        (e["ResourceStatus"], e.get("ResourceStatusReason")) for e in events if e["LogicalResourceId"] == tracker
    ]
    (after,) = cloud.client("personalize").list_event_trackers()["eventTrackers"]
    assert (after["name"], after["eventTrackerArn"]) == ("clicks", original["eventTrackerArn"])
    assert cloud.outside_stacks() == NOTHING_LEFT

    assert cloud.deploy(STACK, renamed.template)["StackStatus"] == "UPDATE_COMPLETE"
    assert [t["name"] for t in cloud.client("personalize").list_event_trackers()["eventTrackers"]] == ["clicks-v2"]
    assert cloud.outside_stacks() == NOTHING_LEFT


def test_an_update_stopped_in_its_cleanup_goes_on_with_the_cleanup(cloud, assemblies):
    base, regrouped = artifact(assemblies, "base"), artifact(assemblies, "regrouped")
    cloud.deploy(STACK, base.template)
    (original,) = cloud.client("personalize").list_event_trackers()["eventTrackers"]
    # a new tracker in GroupB; the cleanup deletes the old one
    stack_id = held_at(cloud, "personalize:DeleteEventTracker", lambda: cloud.execute(STACK, regrouped.template))
    assert cloud.standing(stack_id) == "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"

    cloud.kill(signal.SIGKILL)
    cloud.up()

    assert cloud.settled(stack_id)["StackStatus"] == "UPDATE_COMPLETE"
    (moved,) = cloud.client("personalize").list_event_trackers()["eventTrackers"]
    assert moved["eventTrackerArn"] != original["eventTrackerArn"]
    assert cloud.outside_stacks() == NOTHING_LEFT

    assert cloud.destroy(STACK)["StackStatus"] == "DELETE_COMPLETE"
    assert cloud.outside_stacks() == NOTHING_LEFT
    assert cloud.client("personalize").list_event_trackers()["eventTrackers"] == []


@pytest.mark.slow
def test_the_cdk_cli_deploys_and_destroys_after_a_local_cloud_killed_mid_deploy(cloud, assemblies, tmp_path):
    """The issue's journey: `cdk deploy` of two trackers, the local cloud killed while they are
    created, `up` again, then `cdk deploy` and `cdk destroy` with no step by hand."""
    home = tmp_path / "home"

    def cdk(*args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [cdk_executable(), *args, "--app", str(assemblies), *QUIET],
            env=cdk_environment(cloud.url, home),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # a group of its own: the CLI's children go with it
        )

    def succeeds(*args: str) -> str:
        process = cdk(*args)
        output, _ = process.communicate(timeout=HANG_GUARD_SECONDS * 5)
        assert process.returncode == 0, f"cdk {' '.join(args)} exited {process.returncode}:\n{output}"
        return output

    cloud.close("personalize:DescribeEventTracker")
    deploying = cdk("deploy", "E2E-pair", "--require-approval", "never")
    cloud.held_at("personalize:DescribeEventTracker", calls=2)  # both trackers exist, neither is answered
    cloud.kill(signal.SIGKILL)
    # the CLI would retry its polls for a minute and a half before it gives up; the user stops it
    os.killpg(deploying.pid, signal.SIGTERM)
    deploying.communicate(timeout=HANG_GUARD_SECONDS)

    cloud.up()
    assert cloud.settled(STACK)["StackStatus"] == "ROLLBACK_COMPLETE"
    log = (cloud.state_dir / "serve.log").read_text()
    assert "E2E: concluding its CREATE_IN_PROGRESS, which the last stop interrupted" in log
    assert cloud.outside_stacks() == NOTHING_LEFT

    succeeds("deploy", "E2E-pair", "--require-approval", "never")
    trackers = cloud.client("personalize").list_event_trackers()["eventTrackers"]
    assert len(trackers) == 2 and cloud.outside_stacks() == NOTHING_LEFT
    succeeds("destroy", "E2E-pair", "--force")
    personalize = cloud.client("personalize")
    assert personalize.list_event_trackers()["eventTrackers"] == []
    assert personalize.list_dataset_groups()["datasetGroups"] == []
