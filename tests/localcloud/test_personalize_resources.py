"""AWS::Personalize::Schema, ::Dataset and ::EventTracker through a stack: a template deployed with
boto3's CloudFormation at an in-process endpoint, whose Personalize really holds what it makes.

The stack engine waits on the service's statuses in real time, so the endpoint's Personalize runs
on its own (running) clock; nothing here measures a duration.
"""

from __future__ import annotations

import copy
import json
import logging
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from localcloud.endpoint import Endpoint

from .personalize_world import INTERACTIONS_SCHEMA, NOW

TERMINAL = ("_COMPLETE", "_FAILED")


@pytest.fixture(scope="module")
def endpoint() -> Iterator[Endpoint]:
    with Endpoint() as running:
        yield running


class Stacks:
    def __init__(self, endpoint: Endpoint) -> None:
        self.cfn = endpoint.client("cloudformation", attempts=1)
        self.personalize = endpoint.client("personalize", attempts=1)
        self.events = endpoint.client("personalize-events", attempts=1)

    def deploy(self, stack: str, template: dict[str, Any]) -> dict[str, Any]:
        exists = any(
            s["StackName"] == stack and s["StackStatus"] != "REVIEW_IN_PROGRESS"
            for s in self.cfn.list_stacks()["StackSummaries"]
            if s["StackStatus"] != "DELETE_COMPLETE"
        )
        created = self.cfn.create_change_set(
            StackName=stack,
            ChangeSetName=f"c{uuid.uuid4().hex[:8]}",
            ChangeSetType="UPDATE" if exists else "CREATE",
            TemplateBody=json.dumps(template),
        )
        change_set = self.cfn.describe_change_set(ChangeSetName=created["Id"], StackName=created["StackId"])
        assert change_set["Status"] == "CREATE_COMPLETE", change_set.get("StatusReason")
        self.cfn.execute_change_set(ChangeSetName=created["Id"], StackName=created["StackId"])
        return self.settled(created["StackId"])

    def destroy(self, stack_id: str) -> None:
        self.cfn.delete_stack(StackName=stack_id)
        assert self.settled(stack_id)["StackStatus"] == "DELETE_COMPLETE"

    def settled(self, stack_id: str, timeout: float = 120) -> dict[str, Any]:
        deadline = time.monotonic() + timeout  # a guard against a hang, not a measurement
        while True:
            (stack,) = self.cfn.describe_stacks(StackName=stack_id)["Stacks"]
            status = stack["StackStatus"]
            if status.endswith(TERMINAL) and not status.endswith("CLEANUP_IN_PROGRESS"):
                return dict(stack)
            assert time.monotonic() < deadline, f"stack still {status}"
            time.sleep(0.1)

    def failures(self, stack_id: str) -> list[str]:
        events = self.cfn.describe_stack_events(StackName=stack_id)["StackEvents"]
        return [e.get("ResourceStatusReason", "") for e in events if e["ResourceStatus"].endswith("_FAILED")]


def outputs(stack: dict[str, Any]) -> dict[str, str]:
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def template(
    suffix: str, *, tracker_name: str = "clicks", group: str = "Group", tags: dict[str, str] | None = None
) -> dict[str, Any]:
    """A dataset group (two, to move the tracker between), an Interactions schema and dataset, a tracker."""
    tag_list = [{"Key": k, "Value": v} for k, v in (tags or {}).items()]
    return {
        "Resources": {
            "Group": {"Type": "AWS::Personalize::DatasetGroup", "Properties": {"Name": f"shop-{suffix}"}},
            "Other": {"Type": "AWS::Personalize::DatasetGroup", "Properties": {"Name": f"other-{suffix}"}},
            "Schema": {
                "Type": "AWS::Personalize::Schema",
                "Properties": {"Name": f"interactions-{suffix}", "Schema": json.dumps(INTERACTIONS_SCHEMA)},
            },
            "Interactions": {
                "Type": "AWS::Personalize::Dataset",
                "Properties": {
                    "Name": "interactions",
                    "DatasetType": "Interactions",
                    "DatasetGroupArn": {"Fn::GetAtt": ["Group", "DatasetGroupArn"]},
                    "SchemaArn": {"Ref": "Schema"},
                    "Tags": tag_list,
                    "DatasetImportJob": {"JobName": "ignored", "DataSource": {"DataLocation": "s3://b/k.csv"}},
                },
            },
            "Tracker": {
                "Type": "AWS::Personalize::EventTracker",
                "Properties": {
                    "Name": tracker_name,
                    "DatasetGroupArn": {"Fn::GetAtt": [group, "DatasetGroupArn"]},
                    "Tags": tag_list,
                },
            },
        },
        "Outputs": {
            "SchemaRef": {"Value": {"Ref": "Schema"}},
            "SchemaArn": {"Value": {"Fn::GetAtt": ["Schema", "SchemaArn"]}},
            "DatasetRef": {"Value": {"Ref": "Interactions"}},
            "DatasetArn": {"Value": {"Fn::GetAtt": ["Interactions", "DatasetArn"]}},
            "TrackerRef": {"Value": {"Ref": "Tracker"}},
            "TrackerArn": {"Value": {"Fn::GetAtt": ["Tracker", "EventTrackerArn"]}},
            "TrackingId": {"Value": {"Fn::GetAtt": ["Tracker", "TrackingId"]}},
        },
    }


def test_schema_dataset_and_tracker_through_a_stack(endpoint: Endpoint, caplog: pytest.LogCaptureFixture) -> None:
    stacks, suffix = Stacks(endpoint), uuid.uuid4().hex[:6]
    with caplog.at_level(logging.INFO):
        created = stacks.deploy(f"Data{suffix}", template(suffix, tags={"team": "a"}))
    assert created["StackStatus"] == "CREATE_COMPLETE", stacks.failures(created["StackId"])
    # the dataset's DatasetImportJob is not run, and the log says so
    assert "Interactions: DatasetImportJob is not run" in caplog.text
    out = outputs(created)
    # Ref and GetAtt: the ARNs, and the tracker's trackingId
    assert (
        out["SchemaRef"]
        == out["SchemaArn"]
        == f"arn:aws:personalize:us-east-1:123456789012:schema/interactions-{suffix}"
    )
    assert (
        out["DatasetRef"]
        == out["DatasetArn"]
        == f"arn:aws:personalize:us-east-1:123456789012:dataset/shop-{suffix}/INTERACTIONS"
    )
    tracker = stacks.personalize.describe_event_tracker(eventTrackerArn=out["TrackerRef"])["eventTracker"]
    assert out["TrackerArn"] == tracker["eventTrackerArn"] and out["TrackingId"] == tracker["trackingId"]
    assert out["TrackingId"] not in caplog.text  # a trackingId never reaches a log
    assert tracker["status"] == "ACTIVE" and tracker["name"] == "clicks"
    dataset = stacks.personalize.describe_dataset(datasetArn=out["DatasetArn"])["dataset"]
    assert (dataset["status"], dataset["schemaArn"]) == ("ACTIVE", out["SchemaArn"])
    # the tracker works: the stack's dataset records what it is sent
    stacks.events.put_events(
        trackingId=out["TrackingId"], sessionId="s", eventList=[{"eventType": "click", "sentAt": NOW, "itemId": "i1"}]
    )
    assert [e["event"]["itemId"] for e in endpoint.personalize.events if e["eventTrackerArn"] == out["TrackerArn"]] == [
        "i1"
    ]

    # a change to Tags: in place, the same ARNs and trackingId
    retagged = stacks.deploy(f"Data{suffix}", template(suffix, tags={"team": "b", "env": "dev"}))
    assert retagged["StackStatus"] == "UPDATE_COMPLETE", stacks.failures(created["StackId"])
    assert outputs(retagged) == out
    for arn in (out["TrackerArn"], out["DatasetArn"]):
        tags = stacks.personalize.list_tags_for_resource(resourceArn=arn)["tags"]
        assert {t["tagKey"]: t["tagValue"] for t in tags} == {"team": "b", "env": "dev"}

    # DatasetGroupArn changed: the tracker is replaced in the other group, the old one deleted
    moved = stacks.deploy(f"Data{suffix}", template(suffix, group="Other"))
    assert moved["StackStatus"] == "UPDATE_COMPLETE", stacks.failures(created["StackId"])
    new = outputs(moved)
    assert new["TrackerArn"] != out["TrackerArn"] and new["TrackingId"] != out["TrackingId"]
    assert (
        stacks.personalize.describe_event_tracker(eventTrackerArn=new["TrackerArn"])["eventTracker"]["status"]
        == "ACTIVE"
    )
    assert out["TrackerArn"] not in [
        t["eventTrackerArn"] for t in stacks.personalize.list_event_trackers()["eventTrackers"]
    ]
    assert (new["SchemaArn"], new["DatasetArn"]) == (out["SchemaArn"], out["DatasetArn"])

    # destroy: nothing of it is left
    stacks.destroy(created["StackId"])
    assert new["TrackerArn"] not in [
        t["eventTrackerArn"] for t in stacks.personalize.list_event_trackers()["eventTrackers"]
    ]
    assert out["DatasetArn"] not in [d["datasetArn"] for d in stacks.personalize.list_datasets()["datasets"]]
    assert out["SchemaArn"] not in [s["schemaArn"] for s in stacks.personalize.list_schemas()["schemas"]]


def test_renaming_a_tracker_in_the_same_group_fails_as_cloudformation_does(endpoint: Endpoint) -> None:
    # replacement creates the new tracker before deleting the old one, and a group holds one tracker
    stacks, suffix = Stacks(endpoint), uuid.uuid4().hex[:6]
    created = stacks.deploy(f"Rename{suffix}", template(suffix))
    assert created["StackStatus"] == "CREATE_COMPLETE", stacks.failures(created["StackId"])
    renamed = stacks.deploy(f"Rename{suffix}", template(suffix, tracker_name="clicks-v2"))
    assert renamed["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    assert any("already has an event tracker" in reason for reason in stacks.failures(created["StackId"]))
    assert outputs(renamed)["TrackerArn"] == outputs(created)["TrackerArn"]  # the old tracker stays
    stacks.destroy(created["StackId"])


def test_a_schema_change_replaces_the_schema_and_its_dataset(endpoint: Endpoint) -> None:
    stacks, suffix = Stacks(endpoint), uuid.uuid4().hex[:6]
    first = template(suffix)
    del first["Resources"]["Tracker"]
    first["Outputs"] = {k: v for k, v in first["Outputs"].items() if not k.startswith("Track")}
    created = stacks.deploy(f"Schema{suffix}", first)
    assert created["StackStatus"] == "CREATE_COMPLETE", stacks.failures(created["StackId"])
    # a new schema (a new name) for a dataset in the other group: both replaced, the old ones deleted
    second = copy.deepcopy(first)
    schema = second["Resources"]["Schema"]["Properties"]
    schema["Name"] = f"interactions-v2-{suffix}"
    second["Resources"]["Interactions"]["Properties"]["DatasetGroupArn"] = {"Fn::GetAtt": ["Other", "DatasetGroupArn"]}
    updated = stacks.deploy(f"Schema{suffix}", second)
    assert updated["StackStatus"] == "UPDATE_COMPLETE", stacks.failures(created["StackId"])
    old, new = outputs(created), outputs(updated)
    assert new["SchemaArn"].endswith(f"schema/interactions-v2-{suffix}") and new["DatasetArn"].endswith(
        f"dataset/other-{suffix}/INTERACTIONS"
    )
    remaining = [s["schemaArn"] for s in stacks.personalize.list_schemas()["schemas"]]
    assert new["SchemaArn"] in remaining and old["SchemaArn"] not in remaining
    stacks.destroy(created["StackId"])


def test_a_schema_that_does_not_fit_fails_the_dataset_with_the_services_words(endpoint: Endpoint) -> None:
    stacks, suffix = Stacks(endpoint), uuid.uuid4().hex[:6]
    bad = template(suffix)
    del bad["Resources"]["Tracker"]
    bad["Outputs"] = {}
    no_item = {**INTERACTIONS_SCHEMA, "fields": [f for f in INTERACTIONS_SCHEMA["fields"] if f["name"] != "ITEM_ID"]}
    bad["Resources"]["Schema"]["Properties"]["Schema"] = json.dumps(no_item)
    failed = stacks.deploy(f"Bad{suffix}", bad)
    assert failed["StackStatus"] == "ROLLBACK_COMPLETE"
    assert any("lacks the required field(s) ITEM_ID" in reason for reason in stacks.failures(failed["StackId"]))
    stacks.destroy(failed["StackId"])
