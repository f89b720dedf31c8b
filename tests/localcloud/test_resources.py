"""The local cloud's native resource types: one unit each, found by type."""

import pytest

from localcloud.cloudformation.resources import NATIVE_TYPES, Environment, Request, native_type
from localcloud.intrinsics import TemplateError

ENVIRONMENT = Environment(region="eu-west-1", account="111122223333", personalize=None)


def request(properties, logical_id="Thing"):
    return Request(stack_name="Shop", logical_id=logical_id, properties=properties, assets={})


def test_every_type_a_cdk_app_of_trackers_renders_is_emulated():
    assert set(NATIVE_TYPES) == {
        "AWS::Personalize::DatasetGroup",
        "AWS::IAM::Role",
        "AWS::IAM::Policy",
        "AWS::IAM::ManagedPolicy",
        "AWS::Logs::LogGroup",
        "AWS::Lambda::Function",
        "AWS::CDK::Metadata",
    }


def test_an_unknown_type_is_named_in_the_error():
    with pytest.raises(TemplateError, match=r"does not emulate AWS::SQS::Queue \(Queue\)"):
        native_type("AWS::SQS::Queue", ENVIRONMENT, "Queue")


def test_a_managed_policy_is_referenced_by_its_arn():
    # what CDK adds when a role's inline policy outgrows IAM's limit (about 100 dataset groups)
    unit = native_type("AWS::IAM::ManagedPolicy", ENVIRONMENT, "Overflow")
    physical_id, attributes = unit.create(request({"Path": "/"}, "Overflow"))
    assert physical_id.startswith("arn:aws:iam::111122223333:policy/Shop-Overflow-")
    assert attributes == {"PolicyArn": physical_id}


def test_generated_names_follow_cloudformation_and_their_limit():
    unit = native_type("AWS::IAM::Role", ENVIRONMENT, "Role")
    name, attributes = unit.create(request({}, "ProviderRole" * 10))
    assert len(name) <= 64 and name.startswith("Shop-ProviderRole")
    assert attributes["Arn"] == f"arn:aws:iam::111122223333:role/{name}"


def test_a_function_names_its_staged_asset():
    unit = native_type("AWS::Lambda::Function", ENVIRONMENT, "Fn")
    with pytest.raises(TemplateError, match="no staged asset"):
        unit.create(request({"Code": {"S3Key": "abc.zip"}}, "Fn"))
