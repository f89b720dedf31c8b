"""The stack engine's state files: a state directory written before the records were typed still loads.

The files below are written by hand in the shape the engine wrote before `StackRecord` and its
siblings existed: a deployed stack, a deleted one, a change set and events.
"""

import json
from typing import Any

import pytest

from localcloud.cloudformation.api.records import CHANGE_SET_MEMBERS, SUMMARY_MEMBERS
from localcloud.cloudformation.state import (
    ChangeSetRecord,
    ResourceRecord,
    ResourceStatus,
    SettledRecord,
    StackEvent,
    StackRecord,
    StackState,
)

ACCOUNT_REGION = "us-east-1:123456789012"
STACK_ID = f"arn:aws:cloudformation:{ACCOUNT_REGION}:stack/Shop/1b2c3d4e-0000-4000-8000-000000000001"
DELETED_ID = f"arn:aws:cloudformation:{ACCOUNT_REGION}:stack/Gone/1b2c3d4e-0000-4000-8000-000000000002"
CHANGE_SET_ID = f"arn:aws:cloudformation:{ACCOUNT_REGION}:changeSet/cdk-deploy-change-set/5e6f-0003"
FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:Shop-Provider-ABCDEFGHIJKL"
TEMPLATE: dict[str, Any] = {
    "Parameters": {"BootstrapVersion": {"Type": "AWS::SSM::Parameter::Value<String>"}},
    "Resources": {
        "Provider": {"Type": "AWS::Lambda::Function", "Properties": {"Handler": "index.handler"}},
        "Tracker": {"Type": "Custom::EventTracker", "Properties": {"ServiceToken": FUNCTION_ARN}},
    },
    "Outputs": {"TrackingId": {"Value": {"Fn::GetAtt": ["Tracker", "TrackingId"]}, "Export": {"Name": "TrackingId"}}},
}
PROVIDER: dict[str, Any] = {
    "type": "AWS::Lambda::Function",
    "properties": {"Handler": "index.handler"},
    "deletion_policy": "Delete",
    "physical_id": "Shop-Provider-ABCDEFGHIJKL",
    "attributes": {"Arn": FUNCTION_ARN, "localcloud:asset": "/tmp/code/0a1b"},
}
SETTLED: dict[str, Any] = {
    "values": {"BootstrapVersion": "/cdk-bootstrap/version"},
    "resolved": {"BootstrapVersion": "21"},
    "ssm_types": ["BootstrapVersion"],
}
STACK: dict[str, Any] = {
    "stack_name": "Shop",
    "stack_id": STACK_ID,
    "template": TEMPLATE,
    "resources": {
        "Provider": PROVIDER,
        "Tracker": {  # in the order an update writes its keys
            "type": "Custom::EventTracker",
            "properties": {"ServiceToken": FUNCTION_ARN},
            "physical_id": "tracker-1",
            "attributes": {"TrackingId": "t-1"},
            "deletion_policy": "Retain",
        },
    },
    "outputs": {"TrackingId": "t-1"},
    "exports": {"TrackingId": "t-1"},
    "creation_time": 1700000000.0,
    "status": "UPDATE_COMPLETE",
    "status_reason": "",
    "template_body": json.dumps(TEMPLATE),
    "parameters": SETTLED,
    "description": "",
    "change_set_id": CHANGE_SET_ID,
    "export_names": {"TrackingId": "TrackingId"},
    "resource_status": {
        "Provider": {"status": "CREATE_COMPLETE", "reason": "", "timestamp": 1700000001.0},
        "Tracker": {"status": "UPDATE_COMPLETE", "reason": "", "timestamp": 1700000003.0},
    },
    "capabilities": ["CAPABILITY_IAM"],
    "tags": [{"Key": "team", "Value": "shop"}],
    "last_updated_time": 1700000002.0,
}
DELETED: dict[str, Any] = {
    "stack_name": "Gone",
    "stack_id": DELETED_ID,
    "template": {"Resources": {}},
    "resources": {},
    "outputs": {},
    "exports": {},
    "creation_time": 1690000000.0,
    "status": "DELETE_COMPLETE",
    "status_reason": "",
    "template_body": None,  # deployed from a cloud assembly
    "parameters": {"values": {}, "resolved": {}, "ssm_types": []},
    "description": "",
    "export_names": {},
    "deletion_time": 1690000005.0,
}
CHANGE_SET: dict[str, Any] = {
    "ChangeSetId": CHANGE_SET_ID,
    "ChangeSetName": "cdk-deploy-change-set",
    "StackId": STACK_ID,
    "StackName": "Shop",
    "Description": None,
    "Parameters": [{"ParameterKey": "BootstrapVersion", "ParameterValue": "/cdk-bootstrap/version"}],
    "CreationTime": 1700000001.5,
    "ExecutionStatus": "EXECUTE_COMPLETE",
    "Status": "CREATE_COMPLETE",
    "StatusReason": None,
    "NotificationARNs": [],
    "Capabilities": ["CAPABILITY_IAM"],
    "Tags": [{"Key": "team", "Value": "shop"}],
    "Changes": [],
    "IncludeNestedStacks": False,
    "ImportExistingResources": False,
    "ChangeSetType": "UPDATE",
    "template": TEMPLATE,
    "template_body": json.dumps(TEMPLATE),
    "settled": SETTLED,
    "client_token": None,
}
EVENTS: list[dict[str, Any]] = [
    {
        "StackId": STACK_ID,
        "EventId": "e-1",
        "StackName": "Shop",
        "LogicalResourceId": "Shop",
        "PhysicalResourceId": STACK_ID,
        "ResourceType": "AWS::CloudFormation::Stack",
        "Timestamp": 1700000002.0,
        "ResourceStatus": "UPDATE_IN_PROGRESS",
        "ResourceStatusReason": "User Initiated",
    },
    {
        "StackId": STACK_ID,
        "EventId": "e-2",
        "StackName": "Shop",
        "LogicalResourceId": "Tracker",
        "PhysicalResourceId": "tracker-1",
        "ResourceType": "Custom::EventTracker",
        "Timestamp": 1700000003.0,
        "ResourceStatus": "UPDATE_COMPLETE",
    },
]


@pytest.fixture
def state_file(tmp_path):
    """A state directory as the engine wrote it before its records were typed."""
    state_file = tmp_path / "cloudformation" / "stacks.json"
    state_file.parent.mkdir()
    state_file.write_text(json.dumps({"Shop": STACK}, indent=1))
    history = {"deleted": {DELETED_ID: DELETED}, "change_sets": {CHANGE_SET_ID: CHANGE_SET}}
    (tmp_path / "cloudformation" / "stacks-history.json").write_text(json.dumps(history, indent=1))
    (tmp_path / "cloudformation" / "stacks-events.jsonl").write_text("".join(json.dumps(e) + "\n" for e in EVENTS))
    return state_file


def test_a_state_file_written_before_the_record_types_loads_and_its_stack_is_found(state_file):
    state = StackState(state_file)

    assert state.find("Shop") == STACK
    assert state.find(STACK_ID) is state.find("Shop")
    assert state.find(DELETED_ID) == DELETED and state.find("Gone") is None
    assert list(state.deployed()) == ["Shop"]
    assert state.exports() == {"TrackingId": "t-1"}
    assert state.function(FUNCTION_ARN) == PROVIDER
    assert state.change_sets == {CHANGE_SET_ID: CHANGE_SET}
    assert state.events_of(STACK_ID) == EVENTS


def test_saving_a_loaded_state_writes_the_same_json(state_file):
    history_file = state_file.with_name("stacks-history.json")
    before = json.loads(state_file.read_text()), json.loads(history_file.read_text())

    StackState(state_file).save()

    assert (json.loads(state_file.read_text()), json.loads(history_file.read_text())) == before


def keys_fit(record: dict[str, Any], record_type: Any) -> bool:
    """The record holds every key its type requires, and no key the type does not name."""
    required: frozenset[str] = record_type.__required_keys__
    optional: frozenset[str] = record_type.__optional_keys__
    return required <= set(record) <= required | optional


def test_the_record_types_name_every_key_the_files_hold():
    for stack in (STACK, DELETED):
        assert keys_fit(stack, StackRecord), sorted(stack)
        assert keys_fit(stack["parameters"], SettledRecord)
        assert all(keys_fit(entry, ResourceRecord) for entry in stack["resources"].values())
        assert all(keys_fit(status, ResourceStatus) for status in stack.get("resource_status", {}).values())
    assert keys_fit(CHANGE_SET, ChangeSetRecord)
    assert keys_fit(CHANGE_SET["settled"], SettledRecord)
    assert all(keys_fit(event, StackEvent) for event in EVENTS)


def test_what_the_api_shows_of_a_change_set_is_named_by_its_record_type():
    # the API's member names are strings mypy cannot check against ChangeSetRecord
    assert set(CHANGE_SET_MEMBERS) | set(SUMMARY_MEMBERS) <= set(ChangeSetRecord.__annotations__)
