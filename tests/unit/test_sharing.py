"""Sharing the trackingId: the output and its export, and an SSM parameter that survives a replacement."""

import re

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam

from personalize_event_tracker import EventTracker, EventTrackerPropsError

from .helpers import DATASET_GROUP_ARN, new_stack, template_of

# the construct and its synthesis: run again on the oldest supported aws-cdk-lib (`make oldest-suite`)
pytestmark = pytest.mark.release


def test_the_export_can_be_turned_off():
    stack = new_stack()
    EventTracker(stack, "Tracker", dataset_group_arn=DATASET_GROUP_ARN, export_tracking_id=False)
    (output,) = template_of(stack).to_json()["Outputs"].values()
    assert "Export" not in output
    assert output["Value"]["Fn::GetAtt"][1] == "TrackingId"  # the output itself stays


def test_an_export_name_without_an_export_is_refused():
    stack = new_stack("Shop")
    with pytest.raises(EventTrackerPropsError, match="export_name is given but export_tracking_id is false"):
        EventTracker(stack, "Tracker", dataset_group_arn=DATASET_GROUP_ARN, export_name="x", export_tracking_id=False)


def test_publishes_the_tracking_id_in_a_string_parameter_with_a_read_grant():
    # GIVEN a tracker that publishes its trackingId, and a reader in the same stack
    stack = new_stack()
    tracker = EventTracker(
        stack, "Tracker", dataset_group_arn=DATASET_GROUP_ARN, tracking_id_parameter_name="/clickstream/tracking-id"
    )
    reader = iam.Role(stack, "Reader", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    tracker.grant_read_tracking_id(reader)
    template = template_of(stack)
    # THEN a String parameter holds the custom resource's TrackingId attribute
    parameter_id, parameter = next(iter(template.find_resources("AWS::SSM::Parameter").items()))
    assert parameter["Properties"]["Type"] == "String"
    assert parameter["Properties"]["Name"] == "/clickstream/tracking-id"
    assert parameter["Properties"]["Value"]["Fn::GetAtt"][1] == "TrackingId"
    assert tracker.tracking_id_parameter is not None
    # AND the reader may read that parameter, and only that one
    statements = [
        statement
        for policy in template.find_resources("AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if any(action.startswith("ssm:") for action in statement["Action"])
    ]
    (statement,) = statements
    assert "ssm:GetParameter" in statement["Action"]
    assert {"Ref": parameter_id} in statement["Resource"]["Fn::Join"][1]  # that parameter's ARN, no wildcard


def test_granting_a_read_without_a_parameter_is_refused():
    stack = new_stack("Shop")
    tracker = EventTracker(stack, "Tracker", dataset_group_arn=DATASET_GROUP_ARN)
    role = iam.Role(stack, "Reader", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    with pytest.raises(EventTrackerPropsError, match="publishes no trackingId parameter"):
        tracker.grant_read_tracking_id(role)


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("clickstream/id", "a name with a path begins with /"),
        ("/aws/tracking-id", "names beginning with aws or ssm are reserved"),
        ("SSM-id", "names beginning with aws or ssm are reserved"),
        ("/a b", "letters, digits and _.-/"),
        ("/" + "a/" * 15 + "b", "at most 15 levels"),
    ],
)
def test_fails_when_the_parameter_name_is_not_an_ssm_name(name, problem):
    stack = new_stack("Shop")
    with pytest.raises(EventTrackerPropsError, match=re.escape(problem)):
        EventTracker(stack, "Tracker", dataset_group_arn=DATASET_GROUP_ARN, tracking_id_parameter_name=name)


def test_a_consumer_uses_the_tracker_through_its_parameter():
    # GIVEN a consumer stack, in another app, that knows only the parameter's name
    stack = new_stack("Consumer")
    tracker = EventTracker.from_tracking_id_parameter(stack, "Clickstream", parameter_name="/clickstream/tracking-id")
    role = iam.Role(stack, "Sender", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    tracker.grant_put_events(role)
    cdk.CfnOutput(stack, "Id", value=tracker.tracking_id)
    template = template_of(stack).to_json()
    # THEN the trackingId is read when the consumer deploys, from the parameter
    (parameter,) = [p for p in template["Parameters"].values() if p["Default"] == "/clickstream/tracking-id"]
    assert parameter == {"Type": "AWS::SSM::Parameter::Value<String>", "Default": "/clickstream/tracking-id"}
    assert "Export" not in str(template) and "ImportValue" not in str(template)
    # AND PutEvents is granted; the ARN, not given, is refused with a clear message
    (policy,) = template_of(stack).find_resources("AWS::IAM::Policy").values()
    assert policy["Properties"]["PolicyDocument"]["Statement"][0]["Action"] == "personalize:PutEvents"
    with pytest.raises(EventTrackerPropsError, match="pass event_tracker_arn"):
        tracker.event_tracker_arn  # noqa: B018


def test_a_consumer_may_give_the_arn_too():
    stack = new_stack("Consumer")
    arn = "arn:aws:personalize:us-east-1:123456789012:event-tracker/d2e0162e"
    tracker = EventTracker.from_tracking_id_parameter(
        stack, "Clickstream", parameter_name="/clickstream/tracking-id", event_tracker_arn=arn
    )
    assert tracker.event_tracker_arn == arn
