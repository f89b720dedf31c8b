"""The deployment plan read from a cloud assembly: dependency order and outputs."""

import pytest

from app import build_app
from localcloud.cloudformation.graph import deployment_order, describe


def test_orders_by_ref_getatt_sub_and_depends_on():
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
    order = deployment_order(template)
    assert sorted(order) == sorted(template["Resources"])
    for later, earlier in [
        ("Tracker", "Function"),
        ("Tracker", "Group"),
        ("Function", "Policy"),
        ("Function", "Role"),
        ("Policy", "Role"),
    ]:
        assert order.index(earlier) < order.index(later)


def test_a_cycle_is_reported():
    template = {"Resources": {"A": {"Type": "T", "DependsOn": "B"}, "B": {"Type": "T", "DependsOn": "A"}}}
    with pytest.raises(ValueError, match="circular dependency"):
        deployment_order(template)


def test_describes_the_example_app(tmp_path):
    build_app(outdir=str(tmp_path)).synth()
    text = describe(tmp_path)
    lines = text.splitlines()
    assert lines[0] == "Stack PersonalizeEventTrackerDemo: what a deployment would create, in order"
    kinds = [line.split()[0] for line in lines[1:-1]]
    assert kinds.index("AWS::Lambda::Function") < kinds.index("Custom::PersonalizeEventTracker")
    assert kinds.index("AWS::Personalize::DatasetGroup") < kinds.index("Custom::PersonalizeEventTracker")
    assert lines[-1] == "  output TrackingId (export PersonalizeEventTrackerDemo-Tracker-TrackingId)"
