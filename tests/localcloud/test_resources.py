"""The local cloud's native resource types: one unit each, found by type."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from localcloud.cloudformation import exports
from localcloud.cloudformation.deployment import new_record
from localcloud.cloudformation.errors import ResourceFailed
from localcloud.cloudformation.intrinsics import TemplateError
from localcloud.cloudformation.resources import NATIVE_TYPES, ResourceRequest, native_type
from localcloud.cloudformation.services import ParameterNotFound, Services
from localcloud.cloudformation.settings import Settings
from localcloud.endpoint import BOOTSTRAP_VERSION, Endpoint, version_parameter

REGION = "eu-west-1"


@pytest.fixture(scope="module")
def services() -> Iterator[Services]:
    """The services of a local cloud in this process: the types create real resources in them."""
    with Endpoint(region=REGION) as endpoint:
        yield Services(endpoint.url, REGION, endpoint.account)


def unit(resource_type: str, services: Services, tmp_path: Path, logical_id: str = "Thing") -> Any:
    return native_type(resource_type, services, tmp_path / "code", logical_id)


def request(properties, logical_id="Thing"):
    return ResourceRequest(stack_name="Shop", logical_id=logical_id, properties=properties)


def test_every_type_a_cdk_app_of_trackers_and_its_bootstrap_renders_is_emulated():
    assert set(NATIVE_TYPES) == {
        "AWS::Personalize::DatasetGroup",
        "AWS::Personalize::Schema",
        "AWS::Personalize::Dataset",
        "AWS::Personalize::EventTracker",
        "AWS::IAM::Role",
        "AWS::IAM::Policy",
        "AWS::IAM::ManagedPolicy",
        "AWS::Logs::LogGroup",
        "AWS::Lambda::Function",
        "AWS::CDK::Metadata",
        "AWS::SSM::Parameter",
        "AWS::S3::Bucket",
        "AWS::S3::BucketPolicy",
        "AWS::ECR::Repository",
        # what moto's CloudFormation lacks beside its queues and topics
        "AWS::SQS::QueuePolicy",
        "AWS::SNS::Subscription",
        "AWS::SecretsManager::Secret",
        # Lambda's satellites: moto's look the function up in moto's own Lambda
        "AWS::Lambda::EventSourceMapping",
        "AWS::Lambda::Permission",
    }


def test_an_unknown_type_is_named_in_the_error(services, tmp_path):
    with pytest.raises(TemplateError, match=r"does not emulate AWS::Pipes::Pipe \(Pipe\)"):
        unit("AWS::Pipes::Pipe", services, tmp_path, "Pipe")


def test_a_managed_policy_is_referenced_by_its_arn(services, tmp_path):
    # what CDK adds when a role's inline policy outgrows IAM's limit (about 100 dataset groups)
    document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    policy = unit("AWS::IAM::ManagedPolicy", services, tmp_path, "Overflow")
    physical_id, attributes = policy.create(request({"Path": "/", "PolicyDocument": document}, "Overflow"))
    assert physical_id.startswith(f"arn:aws:iam::{services.account}:policy/Shop-Overflow-")
    assert attributes == {"PolicyArn": physical_id}
    assert services.client("iam").get_policy(PolicyArn=physical_id)["Policy"]["Arn"] == physical_id


def test_generated_names_follow_cloudformation_and_their_limit(services, tmp_path):
    role = unit("AWS::IAM::Role", services, tmp_path, "Role")
    name, attributes = role.create(request({}, "ProviderRole" * 10))
    assert len(name) <= 64 and name.startswith("Shop-ProviderRole")
    assert attributes["Arn"] == f"arn:aws:iam::{services.account}:role/{name}"
    assert services.client("iam").get_role(RoleName=name)["Role"]["Arn"] == attributes["Arn"]


def test_a_function_needs_code_that_exists(services, tmp_path):
    function = unit("AWS::Lambda::Function", services, tmp_path, "Fn")
    with pytest.raises(TemplateError, match="Code needs S3Bucket and S3Key, or ZipFile"):
        function.create(request({"Code": {"S3Key": "abc.zip"}}, "Fn"))
    bucket = "cdk-hnb659fds-assets-123456789012-eu-west-1"
    with pytest.raises(ResourceFailed, match=r"S3 Error Code: NoSuchKey\. .*\(s3://.*/abc\.zip\)"):
        function.create(request({"Code": {"S3Bucket": bucket, "S3Key": "abc.zip"}}, "Fn"))


def test_an_ssm_parameter_lives_in_the_parameter_store(services, tmp_path):
    parameter = unit("AWS::SSM::Parameter", services, tmp_path, "Seen")
    name, _ = parameter.create(request({"Name": "/a/b", "Type": "String", "Value": "v1"}, "Seen"))
    assert (name, services.parameter("/a/b")) == ("/a/b", "v1")
    current = {"physical_id": name, "attributes": {}}
    assert parameter.update(request({"Name": "/a/b", "Type": "String", "Value": "v2"}, "Seen"), current)[0] == "/a/b"
    assert services.parameter("/a/b") == "v2"
    parameter.delete(current)
    with pytest.raises(ParameterNotFound):
        services.parameter("/a/b")


def test_the_local_cloud_is_bootstrapped_with_the_version_the_cli_writes(services):
    # the one bootstrap version, read by every template's CheckBootstrapVersion rule
    assert services.parameter(version_parameter()) == BOOTSTRAP_VERSION


def test_an_export_in_use_is_neither_changed_nor_removed():
    stacks = {name: new_record(name, Settings()) for name in ("Producer", "Consumer")}
    stacks["Consumer"]["template"] = {"Resources": {"R": {"Properties": {"Value": {"Fn::ImportValue": "Shared"}}}}}
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
