"""CreateStack and UpdateStack, CloudFormation's door without change sets, through boto3 at an
in-process endpoint: checked as CreateChangeSet checks a request, run in the background, refused
in CloudFormation's words."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from localcloud.endpoint import Endpoint

from .stacks import error_of, events, settled, unique


@pytest.fixture(scope="module")
def endpoint() -> Iterator[Endpoint]:
    with Endpoint() as running:
        yield running


@pytest.fixture(scope="module")
def cfn(endpoint: Endpoint) -> Any:
    return endpoint.client("cloudformation", attempts=1)


def stack_statuses(cfn: Any, stack: str) -> list[str]:
    return [e["ResourceStatus"] for e in events(cfn, stack) if e["ResourceType"] == "AWS::CloudFormation::Stack"]


def parameter_template(name: str, value: str | dict[str, Any] = "v1", *, failing: bool = False) -> str:
    resources: dict[str, Any] = {
        "Param": {"Type": "AWS::SSM::Parameter", "Properties": {"Name": name, "Type": "String", "Value": value}}
    }
    if failing:
        # a second parameter of the same name: its create fails ("already exists") once Param is made
        resources["Clash"] = {
            "Type": "AWS::SSM::Parameter",
            "DependsOn": "Param",
            "Properties": {"Name": name, "Type": "String", "Value": "clash"},
        }
    return json.dumps({"Resources": resources, "Outputs": {"Value": {"Value": {"Fn::GetAtt": ["Param", "Value"]}}}})


def with_parameter(name: str) -> str:
    """A template whose parameter's value is the SSM parameter's."""
    return json.dumps(
        {
            "Parameters": {"Value": {"Type": "String", "Default": "from-default"}},
            "Resources": {
                "Param": {
                    "Type": "AWS::SSM::Parameter",
                    "Properties": {"Name": name, "Type": "String", "Value": {"Ref": "Value"}},
                }
            },
        }
    )


def test_create_stack_answers_its_id_and_runs_in_the_background(endpoint, cfn):
    stack, name = unique("Direct"), f"/direct/{unique('p')}"
    answer = cfn.create_stack(
        StackName=stack, TemplateBody=parameter_template(name), Tags=[{"Key": "team", "Value": "a"}]
    )
    assert answer["StackId"].startswith(f"arn:aws:cloudformation:us-east-1:123456789012:stack/{stack}/")
    # the stack is there at once, before its operation is over
    assert cfn.describe_stacks(StackName=stack)["Stacks"][0]["StackId"] == answer["StackId"]

    created = settled(cfn, answer["StackId"])
    assert created["StackStatus"] == "CREATE_COMPLETE"
    assert created["Outputs"] == [{"OutputKey": "Value", "OutputValue": "v1"}]
    assert created["Tags"] == [{"Key": "team", "Value": "a"}]
    assert endpoint.client("ssm").get_parameter(Name=name)["Parameter"]["Value"] == "v1"
    # no change set was involved, and none was left behind
    assert stack_statuses(cfn, stack) == ["CREATE_IN_PROGRESS", "CREATE_COMPLETE"]
    assert cfn.list_change_sets(StackName=stack)["Summaries"] == []
    assert cfn.get_template(StackName=stack)["TemplateBody"] == json.loads(parameter_template(name))


def test_create_stack_of_a_stack_that_exists_is_refused_and_a_retry_with_its_token_is_not(cfn):
    stack, token = unique("Twice"), unique("token-")
    first = cfn.create_stack(
        StackName=stack, TemplateBody=parameter_template(f"/twice/{stack}"), ClientRequestToken=token
    )
    # the same request again (a client's retry): the same stack, nothing run twice
    again = cfn.create_stack(
        StackName=stack, TemplateBody=parameter_template(f"/twice/{stack}"), ClientRequestToken=token
    )
    assert again["StackId"] == first["StackId"]
    settled(cfn, stack)
    assert stack_statuses(cfn, stack) == ["CREATE_IN_PROGRESS", "CREATE_COMPLETE"]

    refused = error_of(lambda: cfn.create_stack(StackName=stack, TemplateBody=parameter_template("/twice/other")))
    assert (refused["Code"], refused["Message"]) == ("AlreadyExistsException", f"Stack [{stack}] already exists")


def test_create_stack_is_checked_as_a_change_set_is(endpoint, cfn):
    stack = unique("Checked")
    role = {
        "Resources": {
            "Role": {
                "Type": "AWS::IAM::Role",
                "Properties": {"RoleName": unique("checked-"), "AssumeRolePolicyDocument": {"Statement": []}},
            }
        }
    }
    refused = error_of(lambda: cfn.create_stack(StackName=stack, TemplateBody=json.dumps(role)))
    assert (refused["Code"], refused["Message"]) == (
        "InsufficientCapabilitiesException",
        "Requires capabilities : [CAPABILITY_NAMED_IAM]",
    )
    circle = {
        "Resources": {
            "Left": {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", "Value": {"Ref": "Right"}}},
            "Right": {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", "Value": {"Ref": "Left"}}},
        }
    }
    refused = error_of(lambda: cfn.create_stack(StackName=stack, TemplateBody=json.dumps(circle)))
    assert refused["Message"] == "Circular dependency between resources: [Left, Right]"
    refused = error_of(
        lambda: cfn.create_stack(
            StackName=stack,
            TemplateBody=with_parameter("/x"),
            Parameters=[{"ParameterKey": "Nope", "ParameterValue": "x"}],
        )
    )
    assert refused["Code"] == "ValidationError" and "Nope" in refused["Message"]
    refused = error_of(
        lambda: cfn.create_stack(
            StackName=stack, TemplateBody=parameter_template("/x"), OnFailure="DELETE", DisableRollback=True
        )
    )
    assert refused["Message"] == "You can specify either DisableRollback or OnFailure, but not both."
    # a refused request leaves no stack behind
    gone = error_of(lambda: cfn.describe_stacks(StackName=stack))
    assert gone["Message"] == f"Stack with id {stack} does not exist"


def test_update_stack_with_a_change_with_none_and_with_the_previous_template(endpoint, cfn):
    stack, name = unique("Updated"), f"/updated/{unique('p')}"
    cfn.create_stack(
        StackName=stack,
        TemplateBody=with_parameter(name),
        Parameters=[{"ParameterKey": "Value", "ParameterValue": "one"}],
    )
    created = settled(cfn, stack)
    ssm = endpoint.client("ssm")

    # a change: UPDATE_COMPLETE, the parameter rewritten in place
    answer = cfn.update_stack(
        StackName=stack,
        TemplateBody=with_parameter(name),
        Parameters=[{"ParameterKey": "Value", "ParameterValue": "two"}],
    )
    assert answer["StackId"] == created["StackId"]
    assert settled(cfn, stack)["StackStatus"] == "UPDATE_COMPLETE"
    assert ssm.get_parameter(Name=name)["Parameter"]["Value"] == "two"

    # the same again: nothing to do, in the words the CDK CLI recognises
    unchanged = error_of(
        lambda: cfn.update_stack(
            StackName=stack,
            TemplateBody=with_parameter(name),
            Parameters=[{"ParameterKey": "Value", "UsePreviousValue": True}],
        )
    )
    assert (unchanged["Code"], unchanged["Message"]) == ("ValidationError", "No updates are to be performed.")
    unchanged = error_of(
        lambda: cfn.update_stack(
            StackName=stack, UsePreviousTemplate=True, Parameters=[{"ParameterKey": "Value", "UsePreviousValue": True}]
        )
    )
    assert unchanged["Message"] == "No updates are to be performed."

    # the previous template with a new parameter value; then without one: back to the default
    cfn.update_stack(
        StackName=stack, UsePreviousTemplate=True, Parameters=[{"ParameterKey": "Value", "ParameterValue": "three"}]
    )
    assert settled(cfn, stack)["StackStatus"] == "UPDATE_COMPLETE"
    assert ssm.get_parameter(Name=name)["Parameter"]["Value"] == "three"
    cfn.update_stack(StackName=stack, UsePreviousTemplate=True)
    updated = settled(cfn, stack)
    assert updated["Parameters"] == [{"ParameterKey": "Value", "ParameterValue": "from-default"}]
    assert ssm.get_parameter(Name=name)["Parameter"]["Value"] == "from-default"

    # only the tags: an update too
    cfn.update_stack(StackName=stack, UsePreviousTemplate=True, Tags=[{"Key": "cost-center", "Value": "42"}])
    assert settled(cfn, stack)["Tags"] == [{"Key": "cost-center", "Value": "42"}]
    assert (
        stack_statuses(cfn, stack)
        == ["CREATE_IN_PROGRESS", "CREATE_COMPLETE"]
        + [
            "UPDATE_IN_PROGRESS",
            "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
            "UPDATE_COMPLETE",
        ]
        * 4
    )


def test_update_stack_of_a_stack_that_cannot_be_updated(cfn):
    missing = unique("Missing")
    refused = error_of(lambda: cfn.update_stack(StackName=missing, TemplateBody=parameter_template("/x")))
    assert (refused["Code"], refused["Message"]) == ("ValidationError", f"Stack [{missing}] does not exist")

    stack = unique("RolledBack")
    stack_id = cfn.create_stack(StackName=stack, TemplateBody=parameter_template(f"/rb/{stack}", failing=True))[
        "StackId"
    ]
    assert settled(cfn, stack)["StackStatus"] == "ROLLBACK_COMPLETE"
    refused = error_of(lambda: cfn.update_stack(StackName=stack, TemplateBody=parameter_template(f"/rb/{stack}")))
    assert refused["Message"] == f"Stack:{stack_id} is in ROLLBACK_COMPLETE state and can not be updated."


def test_on_failure_delete_takes_the_stack_with_it(endpoint, cfn):
    stack, name = unique("Deleted"), f"/deleted/{unique('p')}"
    stack_id = cfn.create_stack(
        StackName=stack, TemplateBody=parameter_template(name, failing=True), OnFailure="DELETE"
    )["StackId"]
    assert settled(cfn, stack_id)["StackStatus"] == "DELETE_COMPLETE"
    assert stack_statuses(cfn, stack_id) == ["CREATE_IN_PROGRESS", "DELETE_IN_PROGRESS", "DELETE_COMPLETE"]
    reason = [
        e["ResourceStatusReason"]
        for e in cfn.describe_stack_events(StackName=stack_id)["StackEvents"]
        if e["ResourceStatus"] == "DELETE_IN_PROGRESS" and e["LogicalResourceId"] == stack
    ]
    assert reason == ["The following resource(s) failed to create: [Clash]. Delete requested by user."]
    assert error_of(lambda: cfn.describe_stacks(StackName=stack))["Message"] == f"Stack with id {stack} does not exist"
    assert not endpoint.client("ssm").get_parameters(Names=[name])["Parameters"]


def test_disable_rollback_leaves_a_failed_create_as_it_is(endpoint, cfn):
    stack, name = unique("Kept"), f"/kept/{unique('p')}"
    cfn.create_stack(StackName=stack, TemplateBody=parameter_template(name, failing=True), DisableRollback=True)
    failed = settled(cfn, stack)
    assert failed["StackStatus"] == "CREATE_FAILED"
    assert failed["StackStatusReason"] == "The following resource(s) failed to create: [Clash]."
    # what was made stays, for the next try
    assert endpoint.client("ssm").get_parameter(Name=name)["Parameter"]["Value"] == "v1"
    resources = {
        r["LogicalResourceId"]: r["ResourceStatus"]
        for r in cfn.describe_stack_resources(StackName=stack)["StackResources"]
    }
    assert resources == {"Param": "CREATE_COMPLETE", "Clash": "CREATE_FAILED"}

    # and a fixed template updates it
    cfn.update_stack(StackName=stack, TemplateBody=parameter_template(name, "v2"))
    assert settled(cfn, stack)["StackStatus"] == "UPDATE_COMPLETE"
    assert endpoint.client("ssm").get_parameter(Name=name)["Parameter"]["Value"] == "v2"
