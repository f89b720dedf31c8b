"""What the service's documentation leaves open, in each variant the emulator can produce, plus
RETAIN. Every case ends with the harness's invariants: every request answered, no orphaned
tracker, foreign (and retained) trackers untouched."""

import pytest

from localcloud.cloudformation import DeploymentFailed

from .conftest import artifact
from .test_faults import hold_the_slow_create_until_it_is_deleted

pytestmark = pytest.mark.slow

ONE_TRACKER_ERRORS = ["ResourceAlreadyExistsException", "LimitExceededException"]
READ_LAG = 1.5  # seconds a new tracker stays invisible to reads


def answers(harness):
    return [a.body for i in harness.engine.invocations for a in harness.responses.answers_to(i.response_url)]


# --- the one-tracker rule, whichever error the service answers with ------------------------------


@pytest.mark.parametrize("code", ONE_TRACKER_ERRORS)
def test_rename_in_the_same_group(harness, assemblies, code):
    harness.service.set_faults(one_tracker_error=code)
    harness.engine.deploy(artifact(assemblies, "base"))
    (old,) = harness.stack_trackers().values()

    harness.engine.deploy(artifact(assemblies, "renamed"))

    (tracker,) = harness.trackers()
    assert tracker["name"] == "clicks-v2" and tracker["eventTrackerArn"] not in (old,)
    assert [c.outcome for c in harness.service.calls if c.operation == "CreateEventTracker"][1] == code
    harness.engine.destroy("E2E")


@pytest.mark.parametrize("code", ONE_TRACKER_ERRORS)
@pytest.mark.parametrize("read_lag", [0.0, READ_LAG])
def test_duplicate_delivery_converges_on_one_tracker(harness, assemblies, code, read_lag):
    harness.service.set_faults(one_tracker_error=code, read_lag=read_lag)
    harness.settings.duplicate_creates = True

    harness.engine.deploy(artifact(assemblies, "base"))

    harness.engine.wait_for_invocations()
    (tracker,) = harness.trackers()
    assert {(a["Status"], a["PhysicalResourceId"]) for a in answers(harness)} == {
        ("SUCCESS", tracker["eventTrackerArn"])
    }
    harness.engine.destroy("E2E")


@pytest.mark.parametrize("code", ONE_TRACKER_ERRORS)
def test_a_foreign_tracker_fails_without_riding_out_the_budget(harness, assemblies, code):
    harness.service.set_faults(one_tracker_error=code)
    foreign = harness.foreign_tracker(harness.existing_group("existing"))

    with pytest.raises(DeploymentFailed, match=f"already has event tracker {foreign}, which this resource"):
        harness.engine.deploy(artifact(assemblies, "existing"))

    # THEN the handler looked at the group at the first refusal it could (the 3rd LimitExceeded in a
    # row, which could be throttling) instead of riding refusals out for its whole budget
    refused = [c for c in harness.tracker_calls("CreateEventTracker", code, target_suffix="/existing")]
    assert len(refused) == (1 if code == "ResourceAlreadyExistsException" else 3)


# --- reads that lag the create -------------------------------------------------------------------


def test_create_while_reads_lag(harness, assemblies):
    # GIVEN reads that lag a create, and the service's clock stopped as the tracker is created
    # until the handler has read it once, so that its first read falls inside the lag
    harness.service.set_faults(read_lag=READ_LAG)
    harness.stop_the_clock_as("CreateEventTracker")
    harness.when(
        "the first read of the new tracker",
        lambda: bool(harness.tracker_calls("DescribeEventTracker", "ResourceNotFoundException")),
        harness.clock.resume,
    )

    outputs = harness.engine.deploy(artifact(assemblies, "base"))

    (tracker,) = harness.trackers()
    assert tracker["status"] == "ACTIVE" and list(outputs.values()) == [tracker["trackingId"]]
    describes = [c.outcome for c in harness.service.calls if c.operation == "DescribeEventTracker"]
    assert describes[0] == "ResourceNotFoundException"  # the lag did bite: "not visible yet", not "gone"
    harness.engine.destroy("E2E")
    assert harness.trackers() == []


def test_cancelled_create_while_reads_lag(harness, assemblies):
    # GIVEN a slow Create beside one that fails at once, and reads that lag
    harness.existing_group("existing-a")
    foreign = harness.foreign_tracker(harness.existing_group("existing-b"))
    harness.service.set_faults(read_lag=READ_LAG)
    harness.clock.advance(READ_LAG)  # the foreign tracker is old enough to be seen: the other Create fails at once
    hold_the_slow_create_until_it_is_deleted(harness, resume_on_delete=False)
    # the Delete's first look at the group comes while the slow tracker is still too young to be
    # listed (the clock stands still); then the lag passes and the clock runs again

    def let_the_lag_pass() -> None:
        harness.clock.advance(READ_LAG)
        harness.clock.resume()

    harness.when(
        "the Delete's first look at the group",
        lambda: bool(harness.tracker_calls("ListEventTrackers", target_suffix="/existing-a")),
        let_the_lag_pass,
    )

    with pytest.raises(DeploymentFailed):
        harness.engine.deploy(artifact(assemblies, "two-existing"))

    # THEN the Delete with an invented id first found the group empty (the tracker was too young to
    # be listed), looked again until it showed, and removed it
    (slow,) = [arn for arn in harness.service.timelines if arn != foreign]
    created_at = harness.service.timelines[slow][0][0]
    looks = [c for c in harness.service.calls if c.operation == "ListEventTrackers" and c.target.endswith("existing-a")]
    assert looks[0].at - created_at < READ_LAG and len(looks) >= 2
    assert [t["eventTrackerArn"] for t in harness.trackers()] == [foreign]


# --- RETAIN --------------------------------------------------------------------------------------


def test_a_retained_tracker_is_never_deleted_to_make_way_for_a_rename(harness, assemblies):
    harness.engine.deploy(artifact(assemblies, "base-retained"))
    (original,) = harness.stack_trackers().values()
    before = harness.tracker(original)

    with pytest.raises(DeploymentFailed, match=f"holds the retained event tracker {original}"):
        harness.engine.deploy(artifact(assemblies, "renamed-retained"))

    # THEN the tracker is as it was, and the rollback Update answered SUCCESS with its ARN
    after = harness.tracker(original)
    assert (after["status"], after["tags"], after["trackingId"]) == ("ACTIVE", before["tags"], before["trackingId"])
    assert list(harness.stack_trackers().values()) == [original]
    assert harness.requests() == ["Create", "Update", "Update"]
    rollback = answers(harness)[-1]
    assert (rollback["Status"], rollback["PhysicalResourceId"]) == ("SUCCESS", original)


def test_a_retained_tracker_moved_to_another_group_is_left_in_place(harness, assemblies):
    harness.engine.deploy(artifact(assemblies, "base-retained"))
    (original,) = harness.stack_trackers().values()

    harness.engine.deploy(artifact(assemblies, "regrouped-retained"))

    (new,) = harness.stack_trackers().values()
    assert new != original and harness.tracker(new)["datasetGroupArn"].endswith("dataset-group/e2e-b")
    # CloudFormation sent no Delete for the retained old tracker: it stays, ACTIVE
    assert harness.requests() == ["Create", "Update"]
    assert harness.tracker(original)["status"] == "ACTIVE"
    harness.foreign[original] = harness.tracker(original)  # no longer the stack's: it must survive
