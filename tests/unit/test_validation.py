"""Synth-time validation: one test per rule, each with the exact message a user sees."""

import re

import aws_cdk as cdk
import jsii
import pytest
from aws_cdk import aws_personalize as personalize

from constructs import Construct
from personalize_event_tracker import EventTracker, EventTrackerPropsError
from personalize_event_tracker._validation import is_unresolved

from .helpers import DATASET_GROUP_ARN, OTHER_DATASET_GROUP_ARN, new_stack

# the construct and its synthesis: run again on the oldest supported aws-cdk-lib (`make oldest-suite`)
pytestmark = pytest.mark.release


@jsii.implements(cdk.IStableStringProducer, cdk.IStableNumberProducer)
class _Produce:
    def __init__(self, value):
        self.value = value

    def produce(self):
        return self.value


def fails_with(message, **props):
    stack = new_stack("Shop")
    props.setdefault("dataset_group_arn", DATASET_GROUP_ARN)
    with pytest.raises(EventTrackerPropsError, match="^" + re.escape(message) + "$"):
        EventTracker(stack, "Tracker", **props)


def test_fails_when_name_is_too_long():
    fails_with(
        f"EventTracker at 'Shop/Tracker': event_tracker_name '{'a' * 64}' has 64 characters; allowed: 1 to 63.",
        event_tracker_name="a" * 64,
    )


def test_fails_when_name_is_empty():
    fails_with(
        "EventTracker at 'Shop/Tracker': event_tracker_name '' has 0 characters; allowed: 1 to 63.",
        event_tracker_name="",
    )


@pytest.mark.parametrize("name", ["-clicks", "click stream", "clicks.v2", "clicks/1", "émile"])
def test_fails_when_name_breaks_the_pattern(name):
    fails_with(
        f"EventTracker at 'Shop/Tracker': event_tracker_name {name!r} is not allowed: use letters, digits, "
        "'-' and '_', starting with a letter or digit.",
        event_tracker_name=name,
    )


@pytest.mark.parametrize("name", ["a", "Clicks-2_b", "9" * 63])
def test_accepts_valid_names(name):
    stack = new_stack()
    assert EventTracker(stack, "Tracker", dataset_group_arn=DATASET_GROUP_ARN, event_tracker_name=name)


@pytest.mark.parametrize(
    "arn",
    [
        "dataset-group/clicks",
        "arn:aws:s3:::bucket",
        "arn:AWS:personalize:us-east-1:1:dataset-group/x",
        "arn:aws:personalize:us-east-1:123456789012:dataset-group/" + "x" * 250,
    ],
)
def test_fails_when_dataset_group_arn_is_malformed(arn):
    fails_with(
        f"EventTracker at 'Shop/Tracker': dataset_group_arn {arn!r} is not an Amazon Personalize ARN "
        "(arn:<partition>:personalize:<region>:<account>:dataset-group/<name>, at most 256 characters).",
        dataset_group_arn=arn,
    )


def test_token_arguments_are_left_to_deploy_time():
    stack = new_stack()
    name = cdk.CfnParameter(stack, "Name").value_as_string
    arn = cdk.CfnParameter(stack, "Arn").value_as_string
    export = cdk.CfnParameter(stack, "Export").value_as_string
    assert EventTracker(stack, "Tracker", dataset_group_arn=arn, event_tracker_name=name, export_name=export)


@pytest.mark.parametrize("export_name", ["clicks_tracking", "clicks tracking", "", "x" * 256])
def test_fails_when_export_name_breaks_the_rules(export_name):
    fails_with(
        f"EventTracker at 'Shop/Tracker': export_name {export_name!r} is not allowed: CloudFormation export "
        "names are 1 to 255 letters, digits, ':' and '-'.",
        export_name=export_name,
    )


def test_fails_when_a_tag_uses_a_reserved_prefix():
    fails_with(
        "EventTracker at 'Shop/Tracker': tag key 'personalize-event-tracker:stack-id' uses a reserved prefix "
        "(aws:, personalize-event-tracker:): the ownership tags live there.",
        tags={"personalize-event-tracker:stack-id": "mine"},
    )


def test_fails_when_a_tag_key_is_malformed():
    fails_with(
        "EventTracker at 'Shop/Tracker': tag key 'a|b' is not allowed: 1 to 128 letters, digits, spaces and _.:/=+-@.",
        tags={"a|b": "x"},
    )


@pytest.mark.parametrize("value", ["x" * 257, "a|b", "tab\there"])
def test_fails_when_a_tag_value_is_malformed(value):
    fails_with(
        "EventTracker at 'Shop/Tracker': the value of tag 'team' is not allowed: at most 256 letters, digits, "
        "spaces and _.:/=+-@.",
        tags={"team": value},
    )


def test_accepts_unicode_tags_and_empty_values():
    stack = new_stack()
    assert EventTracker(stack, "Tracker", dataset_group_arn=DATASET_GROUP_ARN, tags={"équipe": "", "k 1": "ü=2"})


def test_fails_when_there_are_too_many_tags():
    fails_with(
        "EventTracker at 'Shop/Tracker': the tracker would carry 51 tags (49 given, directly or with Tags.of, "
        "plus two ownership tags); allowed: at most 50 per Personalize resource.",
        tags={f"k{i}": "v" for i in range(49)},
    )


def test_accepts_48_tags_of_its_own():
    stack = new_stack()
    EventTracker(stack, "Tracker", dataset_group_arn=DATASET_GROUP_ARN, tags={f"k{i}": "v" for i in range(48)})
    cdk.App.of(stack).synth()  # type: ignore[union-attr]


def test_fails_at_synth_when_tags_from_tags_of_pass_the_limit():
    # GIVEN 40 tags of its own and 10 more from Tags.of(...), applied by an aspect during synthesis
    stack = new_stack("Shop")
    EventTracker(stack, "Tracker", dataset_group_arn=DATASET_GROUP_ARN, tags={f"own{i}": "v" for i in range(40)})
    for index in range(10):
        cdk.Tags.of(stack).add(f"org{index}", "v")
    # WHEN the app is synthesized THEN the validation names the construct, the count and the limit
    message = "[Shop] EventTracker at 'Shop/Tracker': the tracker would carry 52 tags (50 given"
    with pytest.raises(Exception, match=re.escape(message)):
        cdk.App.of(stack).synth()  # type: ignore[union-attr]


def test_tag_counts_are_checked_for_every_tracker_of_every_stack():
    # GIVEN two stacks, each with a tracker nested in a construct and one past the limit
    app = cdk.App()
    for name in ("Shop", "Blog"):
        stack = cdk.Stack(app, name)
        nested = Construct(stack, "Team")
        EventTracker(nested, "Fine", dataset_group_arn=f"{DATASET_GROUP_ARN}-{name}-1", tags={"k": "v"})
        EventTracker(nested, "Crowded", dataset_group_arn=f"{DATASET_GROUP_ARN}-{name}-2", tags={"k": "v"})
    cdk.Tags.of(app.node.find_child("Shop").node.find_child("Team").node.find_child("Crowded")).add("x", "y")
    for index in range(47):
        cdk.Tags.of(app).add(f"org{index}", "v")
    # WHEN synthesized THEN each crowded tracker is named, with its own path
    crowded = "EventTracker at 'Shop/Team/Crowded': the tracker would carry 51 tags"
    with pytest.raises(Exception, match=re.escape(crowded)) as raised:
        app.synth()
    assert "Shop/Team/Fine'" not in str(raised.value) and "Blog/Team/" not in str(raised.value)


@pytest.mark.parametrize(
    "make",
    [
        lambda stack: "plain-text",
        lambda stack: "Token[not-a-token]",
        lambda stack: "${Token[ALMOST",
        lambda stack: personalize.CfnDatasetGroup(stack, "G", name="g").attr_dataset_group_arn,
        lambda stack: f"prefix-{stack.region}-suffix",
        lambda stack: cdk.Fn.join("-", ["a", stack.account]),
        lambda stack: cdk.Lazy.string(_Produce("value")),
        lambda stack: cdk.Token.as_string(cdk.Lazy.number(_Produce(3))),
    ],
)
def test_token_detection_agrees_with_aws_cdk_lib(make):
    # the validation skips tokens without asking the jsii kernel: it must see what CDK sees
    value = make(new_stack())
    assert is_unresolved(value) == cdk.Token.is_unresolved(value)


def test_lists_every_problem_in_one_message():
    fails_with(
        "EventTracker at 'Shop/Tracker': event_tracker_name 'a b' is not allowed: use letters, digits, '-' and "
        "'_', starting with a letter or digit. export_name 'a b' is not allowed: CloudFormation export names are "
        "1 to 255 letters, digits, ':' and '-'.",
        event_tracker_name="a b",
        export_name="a b",
    )


def test_fails_when_two_trackers_share_a_literal_dataset_group():
    app = cdk.App(context={"aws:cdk:bundling-stacks": []})
    EventTracker(cdk.Stack(app, "One"), "Tracker", dataset_group_arn=DATASET_GROUP_ARN)
    with pytest.raises(EventTrackerPropsError) as raised:
        EventTracker(cdk.Stack(app, "Two"), "Tracker", dataset_group_arn=DATASET_GROUP_ARN)
    assert str(raised.value) == (
        f"EventTracker at 'Two/Tracker': dataset_group_arn {DATASET_GROUP_ARN!r} is already used by the "
        "EventTracker at 'One/Tracker'; a dataset group holds one event tracker."
    )


def test_fails_when_two_trackers_share_a_dataset_group_resource():
    stack = new_stack("Shop")
    group = personalize.CfnDatasetGroup(stack, "Group", name="clicks")
    EventTracker(stack, "First", dataset_group_arn=group.attr_dataset_group_arn)
    with pytest.raises(
        EventTrackerPropsError,
        match=re.escape(
            "EventTracker at 'Shop/Second': dataset_group_arn (the same token) is already used by the EventTracker "
            "at 'Shop/First'; a dataset group holds one event tracker."
        ),
    ):
        EventTracker(stack, "Second", dataset_group_arn=group.attr_dataset_group_arn)


def test_trackers_on_different_dataset_groups_are_fine():
    stack = new_stack()
    EventTracker(stack, "One", dataset_group_arn=DATASET_GROUP_ARN)
    assert EventTracker(stack, "Two", dataset_group_arn=OTHER_DATASET_GROUP_ARN)


def test_fails_when_an_imported_tracker_arn_is_malformed():
    stack = new_stack("Shop")
    with pytest.raises(EventTrackerPropsError) as raised:
        EventTracker.from_event_tracker_attributes(
            stack, "Imported", event_tracker_arn=DATASET_GROUP_ARN, tracking_id="abc"
        )
    assert str(raised.value) == (
        f"EventTracker at 'Shop/Imported': event_tracker_arn {DATASET_GROUP_ARN!r} is not an event tracker ARN "
        "(arn:<partition>:personalize:<region>:<account>:event-tracker/<id>)."
    )
