"""The dependency graph: the order resources start in, and the templates CloudFormation refuses."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from app import STACK_NAME, build_app
from localcloud.cloudformation.graph import (
    CircularDependency,
    TemplateRefused,
    check_template,
    dependencies,
    run_graph,
)


def start_order(template: dict[str, Any]) -> tuple[list[str], dict[str, Exception]]:
    """The resources in the order run_graph started them, and its failures."""
    started: list[str] = []
    lock = threading.Lock()

    def action(logical_id: str, cancel: threading.Event) -> None:
        with lock:
            started.append(logical_id)

    failed, cancelled = run_graph(list(template["Resources"]), dependencies(template), action)
    assert cancelled == []
    return started, failed


def refusal(template: dict[str, Any]) -> str:
    with pytest.raises(TemplateRefused) as raised:
        check_template(template)
    return str(raised.value)


# --- the order ---------------------------------------------------------------------------------


def test_orders_by_ref_getatt_sub_and_depends_on() -> None:
    template = {
        "Resources": {
            "Tracker": {
                "Type": "Custom::X",
                "Properties": {"ServiceToken": {"Fn::GetAtt": ["Function", "Arn"]}, "Group": {"Ref": "Group"}},
            },
            "Function": {
                "Type": "AWS::Lambda::Function",
                "DependsOn": ["Policy"],
                "Properties": {"Role": {"Fn::Sub": "${Role.Arn}"}},
            },
            "Policy": {"Type": "AWS::IAM::Policy", "Properties": {"Roles": [{"Ref": "Role"}]}},
            "Role": {"Type": "AWS::IAM::Role", "Properties": {}},
            "Group": {"Type": "AWS::Personalize::DatasetGroup", "Properties": {"Name": {"Ref": "AWS::StackName"}}},
        }
    }
    check_template(template)

    order, failed = start_order(template)

    assert failed == {}
    assert sorted(order) == sorted(template["Resources"])
    for later, earlier in [
        ("Tracker", "Function"),
        ("Tracker", "Group"),
        ("Function", "Policy"),
        ("Function", "Role"),
        ("Policy", "Role"),
    ]:
        assert order.index(earlier) < order.index(later)


def test_a_sub_variable_and_a_parameter_are_not_resources_to_wait_for() -> None:
    template = {
        "Parameters": {"Stage": {"Type": "String"}},
        "Resources": {
            "Role": {"Type": "AWS::IAM::Role", "Properties": {}},
            "Param": {
                "Type": "AWS::SSM::Parameter",
                # Role is the Sub's own variable here, not the resource
                "Properties": {"Value": {"Fn::Sub": ["${Role}-${Stage}-${AWS::Region}", {"Role": "local"}]}},
            },
        },
    }
    check_template(template)

    assert dependencies(template) == {"Role": set(), "Param": set()}


def test_the_example_app_is_accepted_and_each_resource_starts_after_what_it_uses(tmp_path: Path) -> None:
    template = build_app(outdir=str(tmp_path)).synth().get_stack_by_name(STACK_NAME).template
    check_template(template)
    resources = template["Resources"]
    (tracker,) = [i for i, r in resources.items() if r["Type"] == "Custom::PersonalizeEventTracker"]
    (provider,) = [i for i in resources if i.startswith("PersonalizeEventTrackerProviderFunction")]
    (ingest,) = [i for i, r in resources.items() if r["Type"] == "AWS::Lambda::Function" and i.startswith("Ingest")]
    (auto_delete,) = [i for i, r in resources.items() if r["Type"] == "Custom::S3AutoDeleteObjects"]
    (bucket,) = [i for i, r in resources.items() if r["Type"] == "AWS::S3::Bucket"]
    (bucket_policy,) = [i for i, r in resources.items() if r["Type"] == "AWS::S3::BucketPolicy"]

    order, failed = start_order(template)

    assert failed == {}
    assert sorted(order) == sorted(resources)
    for later, earlier in [
        (tracker, provider),
        (tracker, "DatasetGroup"),
        ("InteractionsDataset", "DatasetGroup"),
        ("InteractionsDataset", "InteractionsSchema"),
        # the ingest function's TRACKING_ID is the tracker's attribute
        (ingest, tracker),
        (bucket_policy, bucket),
        # the bucket is emptied before it goes: its auto-delete resource is made after it and its policy
        (auto_delete, bucket),
        (auto_delete, bucket_policy),
    ]:
        assert order.index(earlier) < order.index(later), (later, earlier)


# --- circles -----------------------------------------------------------------------------------

CIRCLE = {
    "Resources": {
        "Right": {"Type": "AWS::SSM::Parameter", "Properties": {"Value": {"Fn::GetAtt": ["Left", "Value"]}}},
        "Left": {"Type": "AWS::SSM::Parameter", "DependsOn": "Middle"},
        "Middle": {"Type": "AWS::SSM::Parameter", "Properties": {"Value": {"Fn::Sub": "${Right}"}}},
        # waits on the circle without being part of it
        "Waiting": {"Type": "AWS::SSM::Parameter", "Properties": {"Value": {"Ref": "Left"}}},
        "Free": {"Type": "AWS::SSM::Parameter", "Properties": {"Value": "v"}},
    }
}


def test_a_circle_is_refused_naming_its_resources_sorted() -> None:
    assert refusal(CIRCLE) == "Circular dependency between resources: [Left, Middle, Right]"


def test_a_resource_that_refers_to_itself_is_a_circle() -> None:
    template = {"Resources": {"Self": {"Type": "AWS::SSM::Parameter", "Properties": {"Value": {"Ref": "Self"}}}}}

    assert refusal(template) == "Circular dependency between resources: [Self]"


def test_run_graph_fails_a_circle_that_reaches_it_instead_of_succeeding() -> None:
    order, failed = start_order(CIRCLE)

    assert order == ["Free"]
    assert set(failed) == {"Left", "Middle", "Right", "Waiting"}
    assert all(isinstance(error, CircularDependency) for error in failed.values())
    assert {str(error) for error in failed.values()} == {"Circular dependency between resources: [Left, Middle, Right]"}


# --- unresolved references and unrecognized types ----------------------------------------------


@pytest.mark.parametrize(
    ("reference", "missing"),
    [
        ({"Properties": {"Value": {"Ref": "Missing"}}}, "Missing"),
        ({"Properties": {"Value": {"Fn::GetAtt": ["Missing", "Arn"]}}}, "Missing"),
        ({"Properties": {"Value": {"Fn::GetAtt": "Missing.Arn"}}}, "Missing"),
        ({"Properties": {"Value": {"Fn::Sub": "arn:${AWS::Partition}:x:${Missing.Arn}"}}}, "Missing"),
        ({"Properties": {"Value": {"Fn::Join": ["", [{"Ref": "AWS::Nowhere"}]]}}}, "AWS::Nowhere"),
        ({"DependsOn": ["Fine", "Missing"]}, "Missing"),
        ({"DependsOn": "Stage"}, "Stage"),  # DependsOn names resources: a parameter is not one
    ],
    ids=["Ref", "GetAtt", "GetAtt-string", "Sub", "unknown-pseudo-parameter", "DependsOn", "DependsOn-parameter"],
)
def test_a_reference_to_nothing_declared_is_refused(reference: dict[str, Any], missing: str) -> None:
    template = {
        "Parameters": {"Stage": {"Type": "String"}},
        "Resources": {"Fine": {"Type": "AWS::SSM::Parameter"}, "Broken": {"Type": "AWS::SSM::Parameter", **reference}},
    }

    assert refusal(template) == (
        f"Template format error: Unresolved resource dependencies [{missing}] in the Resources block of the template"
    )


def test_every_unresolved_name_is_listed_sorted() -> None:
    template = {
        "Resources": {
            "A": {"Type": "AWS::SSM::Parameter", "Properties": {"Value": {"Ref": "Zeta"}}, "DependsOn": "Alpha"},
            "B": {"Type": "AWS::SSM::Parameter", "Properties": {"Value": {"Fn::GetAtt": ["Beta", "Value"]}}},
        }
    }

    assert refusal(template) == (
        "Template format error: Unresolved resource dependencies [Alpha, Beta, Zeta] in the Resources block of the "
        "template"
    )


def test_every_pseudo_parameter_resolves() -> None:
    pseudo = ["AccountId", "NoValue", "NotificationARNs", "Partition", "Region", "StackId", "StackName", "URLSuffix"]
    template = {
        "Resources": {
            "P": {"Type": "AWS::SSM::Parameter", "Properties": {"Values": [{"Ref": f"AWS::{name}"} for name in pseudo]}}
        }
    }

    check_template(template)


def test_an_unrecognized_type_is_refused_and_listed_sorted() -> None:
    template = {
        "Resources": {
            "A": {"Type": "AWS::Foo::Bar::Baz::Qux"},
            "B": {"Type": "AWS::Nope"},
            "C": {"Type": "Custom::"},
            "D": {"Type": "AWS::Nope"},
        }
    }

    assert (
        refusal(template)
        == "Template format error: Unrecognized resource types: [AWS::Foo::Bar::Baz::Qux, AWS::Nope, Custom::]"
    )


def test_well_formed_types_pass_when_no_list_of_emulated_types_is_given() -> None:
    types = ["AWS::SQS::Queue", "AWS::S3::Bucket", "AWS::CloudFormation::CustomResource", "Custom::My-Thing_1"]
    types += ["Alexa::ASK::Skill", "AWS::Some::Module::MODULE"]
    template = {"Resources": {f"R{index}": {"Type": resource_type} for index, resource_type in enumerate(types)}}

    check_template(template)


def test_a_well_formed_type_the_local_cloud_does_not_emulate_is_refused_by_name() -> None:
    types = ["AWS::SQS::Queue", "Custom::Tracker", "AWS::Pipes::Pipe", "Alexa::ASK::Skill", "AWS::Pipes::Pipe"]
    template = {"Resources": {f"R{index}": {"Type": resource_type} for index, resource_type in enumerate(types)}}

    with pytest.raises(TemplateRefused) as raised:
        check_template(template, {"AWS::SQS::Queue", "AWS::S3::Bucket"})

    assert str(raised.value) == (
        "The local cloud does not emulate resource types: [AWS::Pipes::Pipe, Alexa::ASK::Skill]; "
        "it emulates AWS::S3::Bucket, AWS::SQS::Queue and Custom::*"
    )


def test_a_resource_under_a_condition_is_left_to_deploy_time() -> None:
    template = {"Resources": {"Pipe": {"Type": "AWS::Pipes::Pipe", "Condition": "WithPipes"}}}

    check_template(template, {"AWS::SQS::Queue"})


def test_a_malformed_type_is_refused_as_cloudformation_refuses_it_before_the_local_clouds_own_check() -> None:
    template = {"Resources": {"A": {"Type": "AWS::Nope"}, "B": {"Type": "AWS::Pipes::Pipe"}}}

    with pytest.raises(TemplateRefused, match=r"^Template format error: Unrecognized resource types: \[AWS::Nope\]$"):
        check_template(template, {"AWS::SQS::Queue"})
