"""The local cloud's native resource types: one unit each, found by type."""

from typing import Any

import pytest

from localcloud.cloudformation import exports
from localcloud.cloudformation.intrinsics import TemplateError
from localcloud.cloudformation.parameter_store import ParameterNotFound, ParameterStore
from localcloud.cloudformation.resources import NATIVE_TYPES, Environment, ResourceRequest, native_type

ENVIRONMENT = Environment(region="eu-west-1", account="111122223333", personalize=None)


def request(properties, logical_id="Thing"):
    return ResourceRequest(stack_name="Shop", logical_id=logical_id, properties=properties, assets={})


def test_every_type_a_cdk_app_of_trackers_renders_is_emulated():
    assert set(NATIVE_TYPES) == {
        "AWS::Personalize::DatasetGroup",
        "AWS::IAM::Role",
        "AWS::IAM::Policy",
        "AWS::IAM::ManagedPolicy",
        "AWS::Logs::LogGroup",
        "AWS::Lambda::Function",
        "AWS::CDK::Metadata",
        "AWS::SSM::Parameter",
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


def test_an_ssm_parameter_lives_in_the_parameter_store():
    environment = Environment(region="eu-west-1", account="111122223333", personalize=None)
    unit = native_type("AWS::SSM::Parameter", environment, "Seen")
    name, _ = unit.create(request({"Name": "/a/b", "Type": "String", "Value": "v1"}, "Seen"))
    assert (name, environment.parameters.get("/a/b")) == ("/a/b", "v1")
    current = {"physical_id": name, "attributes": {}}
    assert unit.update(request({"Name": "/a/b", "Type": "String", "Value": "v2"}, "Seen"), current)[0] == "/a/b"
    assert environment.parameters.get("/a/b") == "v2"
    unit.delete(current)
    with pytest.raises(ParameterNotFound):
        environment.parameters.get("/a/b")


def test_the_store_stands_for_a_bootstrapped_environment():
    assert ParameterStore().get("/cdk-bootstrap/hnb659fds/version").isdigit()


def test_an_export_in_use_is_neither_changed_nor_removed():
    stacks: dict[str, dict[str, Any]] = {
        "Producer": {"template": {}},
        "Consumer": {"template": {"Resources": {"R": {"Properties": {"Value": {"Fn::ImportValue": "Shared"}}}}}},
    }
    in_use = exports.importers(stacks, "Producer")
    assert in_use == {"Shared": "Consumer"}
    assert exports.refusals({"Shared": "a", "Free": "x"}, {"Shared": "a", "Free": "y"}, in_use) == []
    assert exports.refusals({"Shared": "a"}, {"Shared": "b"}, in_use) == [
        "Cannot update export Shared as it is in use by Consumer"
    ]
    assert exports.refusals({"Shared": "a"}, {}, in_use) == [
        "Export Shared cannot be deleted as it is in use by Consumer"
    ]
    assert exports.refusals({"Shared": "a"}, None, in_use) == [
        "Export Shared cannot be deleted as it is in use by Consumer"
    ]
