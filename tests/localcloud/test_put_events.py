"""PutEvents through boto3 at an in-process endpoint: what it refuses, with the service's error,
and what it records. Where the documentation is silent, each choice made has its test here (the
list is in `localcloud/personalize/events.py`)."""

import json
from typing import Any

import boto3
import pytest
from botocore.config import Config

from .personalize_world import DELAYS, NOW, error_of, past


def refused(world, tracking_id, *events, **kwargs):
    """The status, code and message of a PutEvents that must be refused; nothing is recorded."""
    before = len(world.service.events)
    answer = error_of(world.put, tracking_id, *events, **kwargs)
    assert len(world.service.events) == before
    return answer


# --- the tracker ----------------------------------------------------------------------------------


def test_an_unknown_tracking_id_is_not_found_and_never_echoed(world):
    status, code, message = refused(world, "a-secret-tracking-id", {"itemId": "i1"})
    assert (status, code) == (404, "ResourceNotFoundException")
    assert "a-secret-tracking-id" not in message


@pytest.mark.parametrize(
    ("choice", "status"),
    [("ResourceNotFoundException", 404), ("ResourceInUseException", 409), ("InvalidInputException", 400)],
)
def test_a_tracker_that_is_not_active_answers_the_chosen_error(world, choice, status):
    world.service.set_faults(inactive_tracker_error=choice)
    group = world.group()
    created = world.personalize.create_event_tracker(name="t", datasetGroupArn=group)
    answer = refused(world, created["trackingId"], {"itemId": "i1"})
    assert answer[:2] == (status, choice) and "is CREATE PENDING" in answer[2]
    world.clock.advance(past(DELAYS.tracker_pending, DELAYS.tracker_in_progress))
    world.put(created["trackingId"], {"itemId": "i1"})  # ACTIVE now
    world.personalize.delete_event_tracker(eventTrackerArn=created["eventTrackerArn"])
    assert refused(world, created["trackingId"], {"itemId": "i1"})[:2] == (status, choice)  # DELETE PENDING


def test_the_inactive_tracker_error_is_one_of_the_plausible_three(world):
    with pytest.raises(ValueError, match="inactive_tracker_error must be one of"):
        world.service.set_faults(inactive_tracker_error="ThrottlingException")


# --- the API's own limits (botocore's model of personalize-events) --------------------------------


def test_the_models_limits_are_the_services(world):
    _, _, tracking_id = world.ready()
    raw = boto3.client(
        "personalize-events",
        region_name="us-east-1",
        endpoint_url=world.endpoint.url,
        aws_access_key_id="t",
        aws_secret_access_key="t",
        config=Config(parameter_validation=False, retries={"total_max_attempts": 1}),
    )
    event = {"eventType": "click", "sentAt": NOW, "itemId": "i1"}
    cases: dict[str, dict[str, Any]] = {
        "eleven events": {"eventList": [event] * 11},
        "no events": {"eventList": []},
        "a long session id": {"eventList": [event], "sessionId": "s" * 257},
        "properties over 1024 characters": {"eventList": [{**event, "properties": json.dumps({"device": "x" * 1020})}]},
        "no event type": {"eventList": [{"sentAt": NOW, "itemId": "i1"}]},
    }
    for name, params in cases.items():
        status, code, _ = error_of(raw.put_events, **{"trackingId": tracking_id, "sessionId": "s", **params})
        assert (status, code) == (400, "InvalidInputException"), name
    assert (
        "Member must have length less than or equal to 1024"
        in error_of(raw.put_events, trackingId=tracking_id, sessionId="s", **cases["properties over 1024 characters"])[
            2
        ]
    )
    assert world.service.events == []


# --- the Interactions schema -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event", "wording"),
    [
        ({"itemId": "i1", "properties": "{device: phone}"}, "properties is not valid JSON"),
        ({"itemId": "i1", "properties": '["phone"]'}, "properties must be a JSON object of field values, not list"),
        ({"itemId": "i1", "properties": '{"colour": "red"}'}, "properties key(s) colour are not camelCase names"),
        ({"itemId": "i1", "properties": '{"DEVICE": "phone"}'}, "properties key(s) DEVICE are not camelCase names"),
        ({"itemId": "i1", "properties": '{"device_name": "x"}'}, "properties key(s) device_name are not"),
        ({}, "requires ITEM_ID, but the event has no itemId"),
        ({"itemId": "i1", "properties": '{"itemId": "i2"}'}, "itemId is given twice with different values"),
        ({"itemId": "i1", "properties": '{"eventValue": "high"}'}, 'eventValue "high" does not fit field EVENT_VALUE'),
        ({"itemId": "i1", "properties": '{"eventValue": true}'}, "eventValue true does not fit field EVENT_VALUE"),
    ],
    ids=[
        "not-json",
        "not-an-object",
        "unknown-key",
        "upper-case-key",
        "snake-case-key",
        "no-item-id",
        "item-id-twice",
        "value-not-a-number",
        "boolean-for-a-number",
    ],
)
def test_events_the_interactions_schema_refuses(world, event, wording):
    _, _, tracking_id = world.ready()
    status, code, message = refused(world, tracking_id, event)
    assert (status, code) == (400, "InvalidInputException")
    assert message.startswith("eventList.1: ") and wording in message


def test_the_unknown_key_error_names_the_keys_allowed(world):
    _, _, tracking_id = world.ready()
    message = refused(world, tracking_id, {"itemId": "i1", "properties": '{"colour": "red"}'})[2]
    assert "the keys it allows: device, eventType, eventValue, itemId." in message


def test_one_bad_event_refuses_the_whole_call(world):
    _, _, tracking_id = world.ready()
    message = refused(world, tracking_id, {"itemId": "i1"}, {"properties": '{"device": "phone"}'})[2]
    assert message.startswith("eventList.2: ")


def test_what_the_schema_allows_is_recorded(world):
    group, _, tracking_id = world.ready()
    world.put(
        tracking_id,
        {"itemId": "i1", "eventValue": 4.5, "properties": '{"device": "phone"}'},
        # the guide's own examples: itemId and a numeric string in properties
        {"properties": '{"itemId": "i2", "eventValue": "3"}'},
        # the same value twice is no conflict; a nullable field may be null
        {"itemId": "i3", "properties": '{"itemId": "i3", "device": null}'},
    )
    recorded = world.service.events
    assert [e["event"].get("itemId") for e in recorded] == ["i1", None, "i3"]
    assert {e["datasetGroupArn"] for e in recorded} == {group}
    assert recorded[0]["event"]["sentAt"] == NOW.timestamp() and recorded[0]["userId"] == "u1"


def test_an_anonymous_event_needs_no_user_id(world):
    _, _, tracking_id = world.ready()
    world.put(tracking_id, {"itemId": "i1"}, user=None, session="anonymous-session")
    (recorded,) = world.service.events
    assert (recorded["userId"], recorded["sessionId"]) == (None, "anonymous-session")


def test_a_member_the_schema_has_no_field_for_is_kept(world):
    group = world.group()
    schema = {
        "type": "record",
        "name": "Minimal",
        "fields": [
            {"name": n, "type": t} for n, t in (("USER_ID", "string"), ("ITEM_ID", "string"), ("TIMESTAMP", "long"))
        ],
    }
    world.dataset(group, world.schema("minimal", schema))
    _, tracking_id = world.tracker(group)
    world.put(tracking_id, {"itemId": "i1", "eventValue": 2.0, "recommendationId": "r1"})
    assert world.service.events[0]["event"]["eventValue"] == 2.0


# --- a group without an Interactions dataset -------------------------------------------------------


def test_events_before_the_interactions_dataset_are_accepted_by_default(world):
    group = world.group()
    _, tracking_id = world.tracker(group)
    # only the API's rules apply: properties must still be a JSON object
    world.put(tracking_id, {"properties": '{"anything": 1}'})
    assert [e["datasetGroupArn"] for e in world.service.events] == [group]
    assert refused(world, tracking_id, {"properties": "[1]"})[1] == "InvalidInputException"


def test_events_before_the_interactions_dataset_can_be_refused(world):
    world.service.set_faults(events_without_dataset="refuse")
    group = world.group()
    _, tracking_id = world.tracker(group)
    status, code, message = refused(world, tracking_id, {"itemId": "i1"})
    assert (status, code) == (404, "ResourceNotFoundException")
    assert message == f"Dataset group {group} has no Interactions dataset. Create one before recording events."
    world.dataset(group, world.schema())
    world.put(tracking_id, {"itemId": "i1"})
