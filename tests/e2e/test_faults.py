"""The fault matrix: each case ends with every request answered, no orphaned tracker and every
foreign tracker untouched (checked by the harness after the test)."""

import pytest

from localcloud.cloudformation import DeploymentFailed

from .conftest import artifact

pytestmark = pytest.mark.slow


def deploy_and_destroy(harness, assemblies, variant="base"):
    outputs = harness.engine.deploy(artifact(assemblies, variant))
    (tracker,) = harness.trackers()
    assert tracker["status"] == "ACTIVE" and list(outputs.values()) == [tracker["trackingId"]]
    harness.engine.destroy("E2E")
    assert harness.trackers() == []
    return tracker


def failures(harness):
    return [(event[1], event[4]) for event in harness.progress if event[3].endswith("FAILED")]


# --- the service misbehaves, the deployment still succeeds ----------------------------------------


@pytest.mark.parametrize(
    ("operation", "codes"),
    [
        ("CreateEventTracker", ["LimitExceededException"] * 3),
        ("DescribeEventTracker", ["ThrottlingException"] * 3),
        ("DeleteEventTracker", ["LimitExceededException", "ThrottlingException"]),
    ],
)
def test_throttling_bursts_are_ridden_out(harness, assemblies, operation, codes):
    harness.service.set_faults(throttle={operation: list(codes)})

    deploy_and_destroy(harness, assemblies)

    outcomes = [c.outcome for c in harness.service.calls if c.operation == operation]
    assert outcomes[: len(codes)] == codes and "OK" in outcomes


def test_server_errors_are_retried(harness, assemblies):
    harness.service.set_faults(server_errors={"CreateEventTracker": 2, "ListTagsForResource": 1})

    deploy_and_destroy(harness, assemblies)

    creates = [c.outcome for c in harness.service.calls if c.operation == "CreateEventTracker"]
    assert creates == ["InternalServerError", "InternalServerError", "OK"]


def test_throttling_while_making_way_for_a_rename(harness, assemblies):
    harness.engine.deploy(artifact(assemblies, "base"))
    harness.service.set_faults(
        throttle={"ListEventTrackers": ["ThrottlingException"] * 2, "ListTagsForResource": ["LimitExceededException"]}
    )

    harness.engine.deploy(artifact(assemblies, "renamed"))

    (tracker,) = harness.trackers()
    assert tracker["name"] == "clicks-v2"
    harness.engine.destroy("E2E")


def test_slow_active(harness, assemblies):
    harness.service.set_faults(slow={"tracker_in_progress": 4.0})

    deploy_and_destroy(harness, assemblies)

    describes = [c for c in harness.service.calls if c.operation == "DescribeEventTracker"]
    assert len(describes) <= 3 + 4.5 / 2 + 3  # capped backoff: about one check per 2 s, plus the delete's


def test_slow_delete_is_waited_out_before_the_dataset_group_goes(harness, assemblies):
    harness.service.set_faults(slow={"tracker_delete_in_progress": 3.0})

    # the dataset group's delete fails (ResourceInUse) if the tracker's Delete answered early
    deploy_and_destroy(harness, assemblies)

    assert harness.service.snapshot()["datasetGroups"] == []


def test_dataset_group_not_active_yet(harness, assemblies):
    # GIVEN a dataset group still being created: the service's clock stands still until the
    # handler's first create has been refused
    harness.clock.pause()
    harness.existing_group("existing", active=False)
    harness.when(
        "a create refused on the inactive group",
        lambda: bool(harness.tracker_calls("CreateEventTracker", "ResourceInUseException")),
        harness.clock.resume,
    )

    harness.engine.deploy(artifact(assemblies, "existing"))

    creates = [c.outcome for c in harness.service.calls if c.operation == "CreateEventTracker"]
    assert creates[0] == "ResourceInUseException" and creates[-1] == "OK"
    harness.engine.destroy("E2E")


def test_response_url_answering_5xx_before_200(harness, assemblies):
    harness.responses.refuse_next(2, status=503)

    deploy_and_destroy(harness, assemblies)

    assert harness.responses.refused == 2


def test_duplicate_delivery_of_a_create(harness, assemblies):
    harness.settings.duplicate_creates = True

    harness.engine.deploy(artifact(assemblies, "base"))

    harness.engine.wait_for_invocations()
    (tracker,) = harness.trackers()  # one tracker, adopted by the second delivery
    assert harness.requests() == ["Create", "Create"]
    answers = [a.body for i in harness.engine.invocations for a in harness.responses.answers_to(i.response_url)]
    assert {(a["Status"], a["PhysicalResourceId"]) for a in answers} == {("SUCCESS", tracker["eventTrackerArn"])}
    harness.engine.destroy("E2E")


def test_tracker_deleted_out_of_band_before_delete(harness, assemblies):
    harness.engine.deploy(artifact(assemblies, "base"))
    (arn,) = harness.stack_trackers().values()
    harness.service.delete_tracker_out_of_band(arn)

    harness.engine.destroy("E2E")

    assert harness.requests() == ["Create", "Delete"]


def test_tracker_deleted_out_of_band_before_a_tags_update(harness, assemblies):
    harness.engine.deploy(artifact(assemblies, "base"))
    (arn,) = harness.stack_trackers().values()
    harness.service.delete_tracker_out_of_band(arn)

    harness.engine.deploy(artifact(assemblies, "retagged"))

    (tracker,) = harness.trackers()  # created again, so the stack holds a working tracker
    assert tracker["eventTrackerArn"] == next(iter(harness.stack_trackers().values())) != arn
    harness.engine.destroy("E2E")


# --- the deployment fails, and is rolled back cleanly ---------------------------------------------


def test_create_failed_is_rolled_back(harness, assemblies):
    harness.service.set_faults(fail_tracker_creations=1)

    with pytest.raises(DeploymentFailed, match="ended in CREATE FAILED"):
        harness.engine.deploy(artifact(assemblies, "base"))

    # the rollback Delete carried the ARN of the FAILED answer, and removed the tracker
    assert harness.requests() == ["Create", "Delete"]
    assert harness.trackers() == [] and harness.service.snapshot()["datasetGroups"] == []


def test_foreign_tracker_already_on_the_group(harness, assemblies):
    foreign = harness.foreign_tracker(harness.existing_group("existing"))

    with pytest.raises(DeploymentFailed, match=f"already has event tracker {foreign}, which this resource"):
        harness.engine.deploy(artifact(assemblies, "existing"))

    assert [t["eventTrackerArn"] for t in harness.trackers()] == [foreign]


def hold_the_slow_create_until_it_is_deleted(harness, *, resume_on_delete=True):
    """The "two-existing" variant's Slow tracker exists before its sibling fails, and stays CREATE
    PENDING until CloudFormation sends the Delete that follows the cancellation (or, with
    `resume_on_delete=False`, until the test resumes the clock itself).

    The sibling fails on a foreign tracker; its ownership check (ListTagsForResource) waits at a
    gate until Slow's tracker exists. The service's clock is paused, so that tracker cannot
    become ACTIVE (and Slow cannot complete) before the cancellation.
    """
    harness.clock.pause()
    harness.service.gates.close("ListTagsForResource")
    harness.when(
        "Slow's tracker created",
        lambda: bool(harness.tracker_calls("CreateEventTracker", target_suffix="/existing-a")),
        lambda: harness.service.gates.open("ListTagsForResource"),
    )
    if resume_on_delete:
        harness.when("Slow sent a Delete", lambda: harness.invoked("Slow", "Delete"), harness.clock.resume)


def test_cancelled_create_then_delete_with_an_invented_id(harness, assemblies):
    # GIVEN one tracker that takes long, beside one that fails at once (a foreign tracker in the way)
    harness.existing_group("existing-a")
    foreign = harness.foreign_tracker(harness.existing_group("existing-b"))
    hold_the_slow_create_until_it_is_deleted(harness)

    with pytest.raises(DeploymentFailed):
        harness.engine.deploy(artifact(assemblies, "two-existing"))

    # THEN the slow Create was cancelled and deleted with an invented id, which found its tracker
    assert [reason for logical_id, reason in failures(harness) if logical_id.startswith("Slow")] == [
        "Resource creation cancelled"
    ]
    deletes = [i for i in harness.engine.invocations if i.logical_id.startswith("Slow") and i.request_type == "Delete"]
    assert len(deletes) == 1
    assert [t["eventTrackerArn"] for t in harness.trackers()] == [foreign]


def test_lambda_deadline_reached(harness, assemblies):
    # GIVEN a function timeout of 12 s, which leaves the handler a 7 s budget, and a tracker that
    # stays CREATE PENDING: the clock stops as the tracker is created, and runs again for the rollback
    harness.settings.function_timeout = 12
    harness.stop_the_clock_as("CreateEventTracker")
    harness.when("the rollback Delete sent", lambda: harness.invoked("Tracker", "Delete"), harness.clock.resume)

    with pytest.raises(DeploymentFailed, match="Timed out waiting for event tracker"):
        harness.engine.deploy(artifact(assemblies, "base"))

    (create,) = [i for i in harness.engine.invocations if i.request_type == "Create"]
    assert [a.status for a in create.attempts] == ["success"]  # answered before the deadline, no Lambda retry
    assert harness.trackers() == []


def test_no_answer_within_the_service_timeout(harness, assemblies):
    # GIVEN a Create whose every answer is refused by the ResponseURL: CloudFormation never hears back
    harness.settings.service_timeout = 5
    harness.responses.refuse_next(6, status=503, request_type="Create")

    with pytest.raises(DeploymentFailed, match="no answer within ServiceTimeout"):
        harness.engine.deploy(artifact(assemblies, "base"))

    # THEN the rollback Delete, with an invented id, found the tracker by its ownership tags
    (_delete,) = [i for i in harness.engine.invocations if i.request_type == "Delete"]
    assert harness.trackers() == []
    harness.engine.wait_for_invocations()
    (create,) = [i for i in harness.engine.invocations if i.request_type == "Create"]
    assert "Answer not delivered after 6 tries (HTTP 503)" in create.attempts[0].output
    harness.expected_unanswered.append(create)


def test_malformed_properties(harness, assemblies):
    with pytest.raises(DeploymentFailed, match="Invalid properties: Name must be 1-63 characters"):
        harness.engine.deploy(artifact(assemblies, "malformed"))

    assert harness.requests() == ["Create", "Delete"]
    assert harness.trackers() == []


def test_failed_rename_is_rolled_back_to_the_old_name(harness, assemblies):
    harness.engine.deploy(artifact(assemblies, "base"))
    harness.service.set_faults(fail_tracker_creations=1)

    with pytest.raises(DeploymentFailed, match="UPDATE_FAILED"):
        harness.engine.deploy(artifact(assemblies, "renamed"))

    # the old tracker had to go to make way; the rollback made a tracker with the old name again
    (tracker,) = harness.trackers()
    assert tracker["name"] == "clicks" and tracker["status"] == "ACTIVE"
    assert list(harness.stack_trackers().values()) == [tracker["eventTrackerArn"]]
    harness.engine.destroy("E2E")


def test_failed_group_change_keeps_the_original(harness, assemblies):
    harness.engine.deploy(artifact(assemblies, "base"))
    (original,) = harness.stack_trackers().values()
    harness.service.set_faults(fail_tracker_creations=1)

    with pytest.raises(DeploymentFailed, match="UPDATE_FAILED"):
        harness.engine.deploy(artifact(assemblies, "regrouped"))

    # the failed tracker in the other group is removed by the rollback; the original stays as it was
    assert [t["eventTrackerArn"] for t in harness.trackers()] == [original]
    assert list(harness.stack_trackers().values()) == [original]
    harness.engine.destroy("E2E")
