"""Each importable native type reads a resource made outside any stack, as an import adopts it:
the physical id and attributes its create would have answered, or ResourceNotFound in Cloud
Control's words when nothing has that identifier."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from localcloud.cloudformation.errors import ResourceFailed
from localcloud.cloudformation.resources import NATIVE_TYPES, ResourceRequest, native_type
from localcloud.cloudformation.resources.base import ResourceNotFound
from localcloud.cloudformation.services import Services
from localcloud.endpoint import Endpoint
from localcloud.personalize import Personalize
from localcloud.personalize.clock import ControlledClock


@pytest.fixture(scope="module")
def clock() -> ControlledClock:
    return ControlledClock()


@pytest.fixture(scope="module")
def services(clock: ControlledClock) -> Iterator[Services]:
    with Endpoint(personalize=Personalize(clock=clock)) as endpoint:
        yield Services(endpoint.url, endpoint.region, endpoint.account)


def unit(resource_type: str, services: Services, tmp_path: Path) -> Any:
    return native_type(resource_type, services, tmp_path / "code", "Thing")


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def test_the_importable_types_and_their_identifiers():
    importable = {name: native.identifier for name, native in NATIVE_TYPES.items() if native.importable()}
    assert importable == {
        "AWS::Personalize::DatasetGroup": ("DatasetGroupArn",),
        "AWS::Personalize::EventTracker": ("EventTrackerArn",),
        "AWS::SSM::Parameter": ("Name",),
        "AWS::Logs::LogGroup": ("LogGroupName",),
        "AWS::S3::Bucket": ("BucketName",),
        "AWS::IAM::Role": ("RoleName",),
    }
    assert not NATIVE_TYPES["AWS::Lambda::Function"].importable()


@pytest.mark.parametrize(
    ("resource_type", "properties", "identifier"),
    [
        ("AWS::SSM::Parameter", {"Name": "/read/{}", "Type": "String", "Value": "v"}, "Name"),
        ("AWS::Logs::LogGroup", {"LogGroupName": "/read/{}"}, "LogGroupName"),
        ("AWS::S3::Bucket", {"BucketName": "read-{}"}, "BucketName"),
        (
            "AWS::IAM::Role",
            {
                "RoleName": "read-{}",
                "AssumeRolePolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}}],
                },
            },
            "RoleName",
        ),
    ],
)
def test_a_read_answers_what_the_create_answered(services, tmp_path, resource_type, properties, identifier):
    suffix = uuid.uuid4().hex[:8]
    properties = json.loads(json.dumps(properties).replace("{}", suffix))
    native = unit(resource_type, services, tmp_path)
    created = native.create(ResourceRequest("Elsewhere", "Thing", properties))
    assert native.read({identifier: properties[identifier]}) == created


def test_a_dataset_group_is_read_by_its_arn_once_it_is_active(services, clock, tmp_path):
    native = unit("AWS::Personalize::DatasetGroup", services, tmp_path)
    arn, attributes = native.create(ResourceRequest("Elsewhere", "Group", {"Name": unique("read-")}))
    assert native.read({"DatasetGroupArn": arn}) == (arn, attributes)

    # one still being created is not taken over
    clock.pause()
    try:
        pending = services.client("personalize").create_dataset_group(name=unique("pending-"))["datasetGroupArn"]
        with pytest.raises(ResourceFailed, match=r"is CREATE PENDING: only an ACTIVE dataset group can be imported"):
            native.read({"DatasetGroupArn": pending})
    finally:
        clock.resume()


@pytest.mark.parametrize(
    ("resource_type", "identifier"),
    [
        ("AWS::SSM::Parameter", {"Name": "/nothing/here"}),
        ("AWS::Logs::LogGroup", {"LogGroupName": "/nothing/here"}),
        ("AWS::S3::Bucket", {"BucketName": "nothing-here-at-all"}),
        ("AWS::IAM::Role", {"RoleName": "nothing-here"}),
        (
            "AWS::Personalize::DatasetGroup",
            {"DatasetGroupArn": "arn:aws:personalize:us-east-1:123456789012:dataset-group/nothing"},
        ),
    ],
)
def test_a_read_of_nothing_is_not_found_in_cloud_controls_words(services, tmp_path, resource_type, identifier):
    (value,) = identifier.values()
    with pytest.raises(ResourceNotFound) as raised:
        unit(resource_type, services, tmp_path).read(identifier)
    assert str(raised.value) == f"Resource of type '{resource_type}' with identifier '{value}' was not found."
