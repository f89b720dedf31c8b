"""What the service's documentation leaves open, handled in every plausible variant.

- The one-tracker rule's error: ResourceAlreadyExistsException or LimitExceededException.
- Reads right after a create: DescribeEventTracker, ListTagsForResource and ListEventTrackers
  may not see the new tracker for a while.
- RETAIN: a retained tracker is never deleted by the stack, not even to replace it.
"""

import pytest

from .conftest import (
    ARN,
    FOREIGN_TAGS,
    NEW_ARN,
    NEW_TRACKING_ID,
    OTHER_DATASET_GROUP_ARN,
    OWNER_TAGS,
    TRACKING_ID,
    invoke,
    make_event,
    properties,
    summary,
)
from .test_lifecycle import GENERATED_ID, assert_failed, assert_success

ONE_TRACKER_ERRORS = ["ResourceAlreadyExistsException", "LimitExceededException"]


def refused_by_the_one_tracker_rule(personalize, code, **create):
    """The Create refusals before the handler looks at the group: LimitExceeded is looked into on the 3rd."""
    personalize.create(error=code, **create)
    if code == "LimitExceededException":
        personalize.create(error=code, **create)
        personalize.create(error=code, **create)


# --- the one-tracker rule, whichever error it comes as ------------------------------------------


@pytest.mark.parametrize("code", ONE_TRACKER_ERRORS)
def test_duplicate_delivery_adopts_its_own_tracker(personalize, answers, lambda_context, code):
    refused_by_the_one_tracker_rule(personalize, code)
    if code == "LimitExceededException":
        personalize.look(summary(status="CREATE IN_PROGRESS"))  # the look that tells the rule from throttling
    personalize.list(summary(status="CREATE IN_PROGRESS"))
    personalize.tags(OWNER_TAGS)
    personalize.describe("ACTIVE")

    invoke(make_event("Create"), lambda_context)

    assert_success(answers, ARN, {"EventTrackerArn": ARN, "TrackingId": TRACKING_ID})


@pytest.mark.parametrize("code", ONE_TRACKER_ERRORS)
def test_a_foreign_tracker_fails_at_once_whichever_error(personalize, answers, lambda_context, clock, code):
    refused_by_the_one_tracker_rule(personalize, code)
    if code == "LimitExceededException":
        personalize.look(summary(name="legacy"))
    personalize.list(summary(name="legacy"))
    personalize.tags(FOREIGN_TAGS)

    invoke(make_event("Create"), lambda_context)

    assert_failed(answers, GENERATED_ID, f"already has event tracker {ARN}", "does not own")
    assert sum(clock.sleeps) <= 10.0  # two backoff pauses at most, never the whole budget


@pytest.mark.parametrize("code", ONE_TRACKER_ERRORS)
def test_rename_in_the_same_group_makes_way_whichever_error(personalize, answers, lambda_context, code):
    refused_by_the_one_tracker_rule(personalize, code, name="clickstream-v2")
    if code == "LimitExceededException":
        personalize.look(summary())
    personalize.list(summary())
    personalize.tags(OWNER_TAGS)
    personalize.delete()
    personalize.describe_missing()
    personalize.create(name="clickstream-v2", arn=NEW_ARN)
    personalize.describe("ACTIVE", arn=NEW_ARN, name="clickstream-v2")

    event = make_event("Update", properties("clickstream-v2"), old_properties=properties(), physical_id=ARN)
    invoke(event, lambda_context)

    assert_success(answers, NEW_ARN, {"EventTrackerArn": NEW_ARN, "TrackingId": NEW_TRACKING_ID})


# --- reads that lag the create ------------------------------------------------------------------


def test_a_new_tracker_not_visible_yet_is_waited_for(personalize, answers, lambda_context):
    personalize.create()
    personalize.describe_missing()  # not visible yet
    personalize.describe_missing()
    personalize.describe("CREATE IN_PROGRESS")
    personalize.describe("ACTIVE")

    invoke(make_event("Create"), lambda_context)

    assert_success(answers, ARN, {"EventTrackerArn": ARN, "TrackingId": TRACKING_ID})


def test_a_new_tracker_still_missing_after_the_window_was_deleted(personalize, answers, lambda_context, clock):
    personalize.create()
    # checks at 0.5, 1.5, 3.5, 5.5, ... 19.5 s: all within the window; the one at 21.5 s is past it
    for _ in range(12):
        personalize.describe_missing()

    invoke(make_event("Create"), lambda_context)

    assert_failed(answers, ARN, "was deleted while being created")
    assert 20.0 <= sum(clock.sleeps) <= 22.0


def test_a_listed_tracker_whose_tags_are_not_visible_yet_is_looked_at_again(personalize, answers, lambda_context):
    # GIVEN a duplicate delivery: the list already shows the tracker, ListTags does not yet
    personalize.create(error="ResourceAlreadyExistsException")
    personalize.list(summary(status="CREATE PENDING"))
    personalize.error("list_tags_for_resource", "ResourceNotFoundException", {"resourceArn": ARN})
    personalize.create(error="ResourceAlreadyExistsException")
    personalize.list(summary(status="CREATE IN_PROGRESS"))
    personalize.tags(OWNER_TAGS)
    personalize.describe("ACTIVE")

    invoke(make_event("Create"), lambda_context)

    # THEN it is adopted, never taken for a foreign tracker
    assert_success(answers, ARN)


# --- RETAIN -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("old_policy", "new_policy"), [("Retain", "Retain"), ("Retain", None), (None, "Retain")])
def test_a_retained_tracker_is_not_deleted_to_make_way_for_a_rename(
    personalize, answers, lambda_context, old_policy, new_policy
):
    old = properties(**({"RemovalPolicy": old_policy} if old_policy else {}))
    new = properties("clickstream-v2", **({"RemovalPolicy": new_policy} if new_policy else {}))
    personalize.create(name="clickstream-v2", error="ResourceAlreadyExistsException")
    personalize.list(summary())
    personalize.tags(OWNER_TAGS)

    invoke(make_event("Update", new, old_properties=old, physical_id=ARN), lambda_context)

    # THEN FAILED, keeping the resource's id; no Delete was stubbed, so none was sent
    assert_failed(answers, ARN, f"holds the retained event tracker {ARN}", "keep the name", "DESTROY first")


def test_the_rollback_of_a_refused_retained_rename_keeps_the_original(personalize, answers, lambda_context):
    retained = properties(RemovalPolicy="Retain")
    personalize.create(error="ResourceAlreadyExistsException")
    personalize.list(summary())
    personalize.tags(OWNER_TAGS)
    personalize.describe("ACTIVE")

    rollback = make_event(
        "Update", retained, old_properties=properties("clickstream-v2", RemovalPolicy="Retain"), physical_id=ARN
    )
    invoke(rollback, lambda_context)

    assert_success(answers, ARN, {"EventTrackerArn": ARN, "TrackingId": TRACKING_ID})


def test_a_removal_policy_change_alone_touches_nothing(personalize, answers, lambda_context):
    personalize.describe("ACTIVE")  # read for the attributes; no write

    event = make_event("Update", properties(RemovalPolicy="Retain"), old_properties=properties(), physical_id=ARN)
    invoke(event, lambda_context)

    assert_success(answers, ARN, {"EventTrackerArn": ARN, "TrackingId": TRACKING_ID})


def test_a_retained_tracker_moves_to_another_group_as_usual(personalize, answers, lambda_context):
    personalize.list(summary())  # the old group holds the current tracker: not a leftover
    personalize.create(dataset_group_arn=OTHER_DATASET_GROUP_ARN, arn=NEW_ARN)
    personalize.describe("ACTIVE", arn=NEW_ARN, dataset_group_arn=OTHER_DATASET_GROUP_ARN)

    new = properties(dataset_group_arn=OTHER_DATASET_GROUP_ARN, RemovalPolicy="Retain")
    old = properties(RemovalPolicy="Retain")
    invoke(make_event("Update", new, old_properties=old, physical_id=ARN), lambda_context)

    # the old tracker stays for CloudFormation, which sends no Delete for a retained resource
    assert_success(answers, NEW_ARN)


@pytest.mark.parametrize("policy", ["retain", "Snapshot", 1])
def test_an_unknown_removal_policy_is_refused(personalize, answers, lambda_context, policy):
    invoke(make_event("Create", properties(RemovalPolicy=policy)), lambda_context)

    assert_failed(answers, GENERATED_ID, "RemovalPolicy must be Delete or Retain")


def test_at_most_48_user_tags(personalize, answers, lambda_context):
    tags = [{"Key": f"k{index}", "Value": "v"} for index in range(49)]

    invoke(make_event("Create", properties(Tags=tags)), lambda_context)

    assert_failed(answers, GENERATED_ID, "49 tags given; at most 48", "50 per tracker")
