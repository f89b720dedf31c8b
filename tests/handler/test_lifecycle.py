"""Every row of the lifecycle table (docs/design.md, "Lifecycle"), against a stubbed Personalize client."""

import re

import pytest

from .conftest import (
    ARN,
    DATASET_GROUP_ARN,
    FOREIGN_TAGS,
    INVENTED_ID,
    LOGICAL_ID,
    NEW_ARN,
    NEW_TRACKING_ID,
    OTHER_DATASET_GROUP_ARN,
    OWNER_TAGS,
    STACK_ID,
    TRACKING_ID,
    LambdaContext,
    invoke,
    make_event,
    properties,
    summary,
)


def only_answer(answers):
    assert len(answers) == 1, answers
    return answers[0]


def assert_success(answers, physical_id, data=None):
    answer = only_answer(answers)
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    assert answer["PhysicalResourceId"] == physical_id
    assert (answer["StackId"], answer["LogicalResourceId"]) == (STACK_ID, LOGICAL_ID)
    if data is not None:
        assert answer["Data"] == data
    return answer


# crhelper's id for a Create that failed before it had a tracker: never an ARN, so the
# rollback Delete looks the tracker up by its ownership tags.
GENERATED_ID = re.compile(rf"Shop_{LOGICAL_ID}_[A-Z0-9]{{8}}")


def assert_failed(answers, physical_id, *reason_parts):
    answer = only_answer(answers)
    assert answer["Status"] == "FAILED"
    if isinstance(physical_id, re.Pattern):
        assert physical_id.fullmatch(answer["PhysicalResourceId"]), answer["PhysicalResourceId"]
    else:
        assert answer["PhysicalResourceId"] == physical_id
    for part in reason_parts:
        assert part in answer["Reason"]
    assert len(answer["Reason"]) <= 256, "crhelper would cut the reason"
    return answer


# --- Create -----------------------------------------------------------------------------------


def test_create_polls_until_active_and_answers_arn_and_attributes(personalize, answers, lambda_context, clock):
    personalize.create(tags=[{"tagKey": "team", "tagValue": "growth"}])
    personalize.describe("CREATE PENDING")
    personalize.describe("CREATE IN_PROGRESS")
    personalize.describe("CREATE IN_PROGRESS")
    personalize.describe("ACTIVE")

    invoke(make_event("Create", properties(Tags=[{"Key": "team", "Value": "growth"}])), lambda_context)

    assert_success(answers, ARN, {"EventTrackerArn": ARN, "TrackingId": TRACKING_ID})
    # a short first interval, then doubling up to the cap
    assert clock.sleeps == [0.5, 1.0, 2.0, 2.0]


def test_create_failed_answers_failed_with_the_arn_for_the_rollback(personalize, answers, lambda_context):
    personalize.create()
    personalize.describe("CREATE IN_PROGRESS")
    personalize.describe("CREATE FAILED")

    invoke(make_event("Create"), lambda_context)

    assert_failed(answers, ARN, ARN, "ended in CREATE FAILED", "the rollback deletes it")


def test_create_delivered_twice_adopts_its_own_tracker(personalize, answers, lambda_context):
    # GIVEN the tracker an earlier delivery of this Create made
    personalize.create(error="ResourceAlreadyExistsException")
    personalize.list(summary(status="CREATE IN_PROGRESS"))
    personalize.tags(OWNER_TAGS)
    # THEN no second tracker: it is adopted and awaited
    personalize.describe("ACTIVE")

    invoke(make_event("Create"), lambda_context)

    assert_success(answers, ARN, {"EventTrackerArn": ARN, "TrackingId": TRACKING_ID})


def test_create_on_a_foreign_tracker_fails_and_leaves_it_untouched(personalize, answers, lambda_context):
    personalize.create(error="ResourceAlreadyExistsException")
    personalize.list(summary(name="legacy"))
    personalize.tags(FOREIGN_TAGS)
    # no delete, tag or untag is stubbed: any such call would fail the test

    invoke(make_event("Create"), lambda_context)

    assert_failed(answers, GENERATED_ID, f"already has event tracker {ARN}, which this resource does not own")


def test_create_on_an_untagged_tracker_fails(personalize, answers, lambda_context):
    personalize.create(error="ResourceAlreadyExistsException")
    personalize.list(summary(name="console-made"))
    personalize.tags([])

    invoke(make_event("Create"), lambda_context)

    assert_failed(answers, GENERATED_ID, ARN, "does not own")


def test_create_clears_its_own_failed_leftover(personalize, answers, lambda_context):
    # Our tracker from an earlier attempt, CREATE FAILED, sits on the group: ours, so cleared.
    personalize.create(error="ResourceAlreadyExistsException")
    personalize.list(summary(arn=NEW_ARN, status="CREATE FAILED"))
    personalize.tags(OWNER_TAGS, arn=NEW_ARN)
    personalize.delete(arn=NEW_ARN)
    personalize.describe_missing(arn=NEW_ARN)
    personalize.create()
    personalize.describe("ACTIVE")

    invoke(make_event("Create"), lambda_context)

    assert_success(answers, ARN)


def test_create_waits_for_the_dataset_group_to_become_active(personalize, answers, lambda_context, clock):
    personalize.create(error="ResourceInUseException")
    personalize.create(error="ResourceInUseException")
    personalize.create()
    personalize.describe("ACTIVE")

    invoke(make_event("Create"), lambda_context)

    assert_success(answers, ARN)
    assert clock.sleeps == [0.5, 1.0, 0.5]


def test_create_gives_up_on_a_dataset_group_that_stays_inactive(personalize, answers, clock):
    context = LambdaContext(clock, budget_seconds=10)
    # 10 s less the 5 s margin: tries at 0, 0.5, 1.5, 3.5 and, the last pause cut short, 5 s
    for _ in range(5):
        personalize.create(error="ResourceInUseException")

    invoke(make_event("Create"), context)

    assert_failed(answers, GENERATED_ID, DATASET_GROUP_ARN, "did not become ACTIVE in time")
    assert clock.sleeps == [0.5, 1.0, 2.0, 1.5]
    assert context.deadline - clock.now == 5  # the safety margin is left for the answer


def test_create_on_a_missing_dataset_group_fails(personalize, answers, lambda_context):
    personalize.create(error="ResourceNotFoundException")

    invoke(make_event("Create"), lambda_context)

    assert_failed(answers, GENERATED_ID, "does not exist", DATASET_GROUP_ARN)


def test_create_past_the_budget_answers_failed_with_the_arn_before_the_deadline(personalize, answers, clock):
    context = LambdaContext(clock, budget_seconds=12)
    personalize.create()
    # 12 s less the 5 s margin: checks at 0.5, 1.5, 3.5, 5.5 and, the last pause cut short, 7 s
    for _ in range(5):
        personalize.describe("CREATE IN_PROGRESS")

    invoke(make_event("Create"), context)

    assert_failed(answers, ARN, "Timed out", ARN, "CREATE IN_PROGRESS")
    assert context.deadline - clock.now == 5  # the safety margin is left for the answer


@pytest.mark.parametrize(
    ("resource_properties", "reason"),
    [
        ({"ServiceToken": "x", "Name": "clicks"}, "DatasetGroupArn is required"),
        ({"ServiceToken": "x", "DatasetGroupArn": DATASET_GROUP_ARN}, "Name is required"),
        (properties(name="bad name"), "Name must be 1-63 characters"),
        (properties(name="x" * 64), "Name must be 1-63 characters"),
        (properties(dataset_group_arn="dataset-group/clicks"), "DatasetGroupArn must be a Personalize ARN"),
        ({**properties(), "DatasetGroupArn": 12}, "DatasetGroupArn is required and must be a string"),
        (properties(Tags="team=growth"), "Tags must be a list"),
        (properties(Tags=[{"Key": "team"}]), "each tag must be {Key, Value}"),
        (properties(Tags=[{"Key": "aws:x", "Value": "1"}]), "reserved prefix"),
        (properties(Tags=[{"Key": "personalize-event-tracker:stack-id", "Value": "1"}]), "reserved prefix"),
        (properties(Tags=[{"Key": "team", "Value": "x" * 257}]), "must be at most 256"),
        (properties(Tags=[{"Key": "team", "Value": "a|b"}]), "must be at most 256 letters"),
        (properties(Tags=[{"Key": "a|b", "Value": "x"}]), "tag key 'a|b' must be 1-128"),
        (properties(Colour="blue"), "unknown properties Colour"),
        ("not an object", "ResourceProperties must be an object"),
    ],
)
def test_malformed_properties_are_answered_failed_with_a_reason(
    personalize, answers, lambda_context, resource_properties, reason
):
    invoke(make_event("Create", resource_properties), lambda_context)

    answer = assert_failed(answers, GENERATED_ID, reason)
    assert answer["Reason"].startswith(("Invalid properties: ", "ResourceProperties must"))


def test_a_long_reason_keeps_its_beginning(personalize, answers, lambda_context):
    invoke(make_event("Create", properties(name="x" * 64, **{f"Unknown{i}": "v" for i in range(40)})), lambda_context)

    answer = assert_failed(answers, GENERATED_ID, "Invalid properties: unknown properties Unknown0")
    assert answer["Reason"].endswith("...")


# --- Update -----------------------------------------------------------------------------------


def test_tags_only_update_retags_in_place(personalize, answers, lambda_context):
    old = properties(Tags=[{"Key": "team", "Value": "growth"}, {"Key": "cost", "Value": "1"}])
    new = properties(Tags=[{"Key": "team", "Value": "search"}, {"Key": "env", "Value": "prod"}])
    personalize.untag(["cost"])
    personalize.tag([{"tagKey": "team", "tagValue": "search"}, {"tagKey": "env", "tagValue": "prod"}])
    personalize.describe("ACTIVE")

    invoke(make_event("Update", new, old_properties=old, physical_id=ARN), lambda_context)

    assert_success(answers, ARN, {"EventTrackerArn": ARN, "TrackingId": TRACKING_ID})


def test_update_without_changes_touches_nothing(personalize, answers, lambda_context):
    personalize.describe("ACTIVE")

    invoke(make_event("Update", properties(), old_properties=properties(), physical_id=ARN), lambda_context)

    assert_success(answers, ARN)


def test_rename_in_the_same_dataset_group_deletes_waits_then_creates(personalize, answers, lambda_context):
    # The Stubber enforces the order: the old tracker is deleted and gone before the new one is created.
    personalize.create(name="clickstream-v2", arn=NEW_ARN, error="ResourceAlreadyExistsException")
    personalize.list(summary(name="clickstream"))
    personalize.tags(OWNER_TAGS)
    personalize.delete()
    personalize.describe("DELETE PENDING")
    personalize.describe("DELETE IN_PROGRESS")
    personalize.describe_missing()
    personalize.create(name="clickstream-v2", arn=NEW_ARN)
    personalize.describe("ACTIVE", arn=NEW_ARN)

    event = make_event("Update", properties(name="clickstream-v2"), old_properties=properties(), physical_id=ARN)
    invoke(event, lambda_context)

    assert_success(answers, NEW_ARN, {"EventTrackerArn": NEW_ARN, "TrackingId": NEW_TRACKING_ID})


def test_rename_never_deletes_a_tracker_it_does_not_own(personalize, answers, lambda_context):
    personalize.create(name="clickstream-v2", error="ResourceAlreadyExistsException")
    personalize.list(summary(name="clickstream"))
    personalize.tags(FOREIGN_TAGS)

    event = make_event("Update", properties(name="clickstream-v2"), old_properties=properties(), physical_id=ARN)
    invoke(event, lambda_context)

    # a failed update keeps the resource's id
    assert_failed(answers, ARN, "does not own")


def test_dataset_group_change_creates_in_the_new_group_and_leaves_the_old_for_cleanup(
    personalize, answers, lambda_context
):
    personalize.list(summary(), dataset_group_arn=DATASET_GROUP_ARN)  # the current tracker: kept
    personalize.create(dataset_group_arn=OTHER_DATASET_GROUP_ARN, arn=NEW_ARN)
    personalize.describe("CREATE PENDING", arn=NEW_ARN)
    personalize.describe("ACTIVE", arn=NEW_ARN)

    event = make_event(
        "Update", properties(dataset_group_arn=OTHER_DATASET_GROUP_ARN), old_properties=properties(), physical_id=ARN
    )
    invoke(event, lambda_context)

    # a new id: CloudFormation deletes the old tracker in its cleanup phase
    assert_success(answers, NEW_ARN, {"EventTrackerArn": NEW_ARN, "TrackingId": NEW_TRACKING_ID})


def test_rollback_of_a_failed_group_change_removes_the_failed_tracker_and_keeps_the_original(
    personalize, answers, lambda_context
):
    # GIVEN a group change that failed: its tracker (NEW_ARN) is in the other group, the
    # resource still has the original tracker (ARN); the rollback swaps old and new properties
    personalize.list(summary(arn=NEW_ARN, status="CREATE FAILED"), dataset_group_arn=OTHER_DATASET_GROUP_ARN)
    personalize.tags(OWNER_TAGS, arn=NEW_ARN)
    personalize.delete(arn=NEW_ARN)
    personalize.describe_missing(arn=NEW_ARN)
    # THEN the original is adopted, not recreated
    personalize.create(error="ResourceAlreadyExistsException")
    personalize.list(summary())
    personalize.tags(OWNER_TAGS)
    personalize.describe("ACTIVE")

    event = make_event(
        "Update", properties(), old_properties=properties(dataset_group_arn=OTHER_DATASET_GROUP_ARN), physical_id=ARN
    )
    invoke(event, lambda_context)

    assert_success(answers, ARN, {"EventTrackerArn": ARN, "TrackingId": TRACKING_ID})


def test_update_recreates_a_tracker_deleted_out_of_band(personalize, answers, lambda_context):
    new = properties(Tags=[{"Key": "team", "Value": "search"}])
    personalize.tag([{"tagKey": "team", "tagValue": "search"}], error="ResourceNotFoundException")
    personalize.create(tags=[{"tagKey": "team", "tagValue": "search"}], arn=NEW_ARN)
    personalize.describe("ACTIVE", arn=NEW_ARN)

    invoke(make_event("Update", new, old_properties=properties(), physical_id=ARN), lambda_context)

    assert_success(answers, NEW_ARN)


def test_update_with_malformed_new_properties_fails_and_keeps_the_id(personalize, answers, lambda_context):
    invoke(make_event("Update", properties(name=""), old_properties=properties(), physical_id=ARN), lambda_context)

    assert_failed(answers, ARN, "Name is required")


# --- Delete -----------------------------------------------------------------------------------


def test_delete_waits_until_the_tracker_is_gone(personalize, answers, lambda_context, clock):
    personalize.delete()
    personalize.describe("DELETE PENDING")
    personalize.describe("DELETE IN_PROGRESS")
    personalize.describe_missing()

    invoke(make_event("Delete", physical_id=ARN), lambda_context)

    assert_success(answers, ARN)
    assert clock.sleeps == [0.5, 1.0, 2.0]  # and no crhelper sleep before answering


def test_delete_of_a_tracker_already_gone_succeeds(personalize, answers, lambda_context):
    personalize.delete(error="ResourceNotFoundException")

    invoke(make_event("Delete", physical_id=ARN), lambda_context)

    assert_success(answers, ARN)


def test_delete_racing_another_delete_succeeds(personalize, answers, lambda_context):
    personalize.delete(error="ResourceInUseException")  # the other Delete is under way...
    personalize.describe_missing()  # ...and done

    invoke(make_event("Delete", physical_id=ARN), lambda_context)

    assert_success(answers, ARN)


def test_delete_waits_out_creation_first(personalize, answers, lambda_context):
    personalize.delete(error="ResourceInUseException")
    personalize.describe("CREATE IN_PROGRESS")
    personalize.describe("ACTIVE")
    personalize.delete()
    personalize.describe_missing()

    invoke(make_event("Delete", physical_id=ARN), lambda_context)

    assert_success(answers, ARN)


def test_delete_retries_while_the_tracker_is_in_use(personalize, answers, lambda_context):
    personalize.delete(error="ResourceInUseException")
    personalize.describe("ACTIVE")  # in use, but neither creating nor deleting: try again shortly
    personalize.delete()
    personalize.describe_missing()

    invoke(make_event("Delete", physical_id=ARN), lambda_context)

    assert_success(answers, ARN)


def test_delete_of_a_tracker_already_being_deleted_just_waits(personalize, answers, lambda_context):
    personalize.delete(error="ResourceInUseException")
    personalize.describe("DELETE IN_PROGRESS")
    personalize.describe_missing()

    invoke(make_event("Delete", physical_id=ARN), lambda_context)

    assert_success(answers, ARN)


def test_delete_past_the_budget_answers_failed_with_the_arn(personalize, answers, clock):
    context = LambdaContext(clock, budget_seconds=12)
    personalize.delete()
    for _ in range(5):
        personalize.describe("DELETE IN_PROGRESS")

    invoke(make_event("Delete", physical_id=ARN), context)

    assert_failed(answers, ARN, "Timed out", "be deleted")


def test_delete_with_an_invented_id_deletes_the_owned_tracker(personalize, answers, lambda_context):
    # GIVEN a Create that was cancelled after its tracker was made
    personalize.list(summary(status="CREATE IN_PROGRESS"))
    personalize.tags(OWNER_TAGS)
    personalize.delete(error="ResourceInUseException")
    personalize.describe("CREATE IN_PROGRESS")
    personalize.describe("ACTIVE")
    personalize.delete()
    personalize.describe_missing()

    invoke(make_event("Delete", physical_id=INVENTED_ID), lambda_context)

    assert_success(answers, INVENTED_ID)


def test_delete_with_an_invented_id_leaves_a_foreign_tracker(personalize, answers, lambda_context):
    personalize.list(summary(name="legacy"))
    personalize.tags(FOREIGN_TAGS)

    invoke(make_event("Delete", physical_id=INVENTED_ID), lambda_context)

    assert_success(answers, INVENTED_ID)


def test_delete_with_an_invented_id_believes_an_empty_group_after_the_visibility_window(
    personalize, answers, lambda_context, clock
):
    # a tracker created just before may not be listed yet: the group is looked at again for 20 s
    for _ in range(5):
        personalize.list()

    invoke(make_event("Delete", physical_id=INVENTED_ID), lambda_context)

    assert_success(answers, INVENTED_ID)
    assert clock.sleeps == [6.0, 4.0, 8.0, 2.0]


def test_delete_with_an_invented_id_finds_a_tracker_listed_late(personalize, answers, lambda_context):
    # GIVEN a cancelled Create whose tracker shows in the list only on the third look
    personalize.list()
    personalize.list()
    personalize.list(summary(status="CREATE PENDING"))
    personalize.tags(OWNER_TAGS)
    personalize.delete(error="ResourceInUseException")
    personalize.describe("ACTIVE")
    personalize.delete()
    personalize.describe_missing()

    invoke(make_event("Delete", physical_id=INVENTED_ID), lambda_context)

    assert_success(answers, INVENTED_ID)


def test_delete_with_an_invented_id_on_a_deleted_dataset_group_succeeds(personalize, answers, lambda_context):
    personalize.error("list_event_trackers", "ResourceNotFoundException", {"datasetGroupArn": DATASET_GROUP_ARN})

    invoke(make_event("Delete", physical_id=INVENTED_ID), lambda_context)

    assert_success(answers, INVENTED_ID)


@pytest.mark.parametrize("resource_properties", [{"ServiceToken": "x"}, properties(dataset_group_arn="nope"), "x"])
def test_delete_after_a_create_with_malformed_properties_succeeds_without_calls(
    personalize, answers, lambda_context, resource_properties
):
    invoke(make_event("Delete", resource_properties, physical_id=INVENTED_ID), lambda_context)

    assert_success(answers, INVENTED_ID)


def test_unexpected_service_errors_are_answered_failed(personalize, answers, lambda_context):
    personalize.delete(error="AccessDeniedException")

    invoke(make_event("Delete", physical_id=ARN), lambda_context)

    assert_failed(answers, ARN, "AccessDeniedException", "DeleteEventTracker")


def test_a_tracker_reported_but_not_listed_is_retried_within_the_budget(personalize, answers, lambda_context, clock):
    personalize.create(error="ResourceAlreadyExistsException")
    personalize.list()  # not listed (yet)
    personalize.create()
    personalize.describe("ACTIVE")

    invoke(make_event("Create"), lambda_context)

    assert_success(answers, ARN)
    assert clock.sleeps == [2.0, 0.5]
