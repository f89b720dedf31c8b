"""Amazon Personalize Events' PutEvents: accepted for an ACTIVE tracker's trackingId, checked
against the group's Interactions schema, and recorded in the event log.

What the documentation leaves open, and what is done here (each has its test):
- a trackingId no tracker has: ResourceNotFoundException; one whose tracker is not ACTIVE: the
  `inactive_tracker_error` choice (ResourceNotFoundException by default);
- a group without an Interactions dataset: the `events_without_dataset` choice ("accept" by
  default: checked against the API alone, recorded for the group, exported once it has one);
- one event refused refuses the whole call: nothing of it is recorded;
- `properties` must be a JSON object whose keys are camelCase names of the schema's fields, in
  that case exactly (ITEM_ID is `itemId`; `item_id` and `ITEM_ID` are refused);
- a field given both as the event's own member and in `properties` must agree;
- a value for a numeric field may be a number or a numeric string (the guide's examples send
  `"eventValue": "4.5"`); anything else is refused, as is null for a field that is not nullable;
- every non-nullable field of the schema needs a value, except USER_ID (anonymous events carry
  only a sessionId), TIMESTAMP (`sentAt`) and EVENT_TYPE (`eventType`, always required);
- a member the schema has no field for (`eventValue` without EVENT_VALUE) is accepted and kept
  in the log, and an export has no column for it.
"""

from __future__ import annotations

import json
from typing import Any

from .backend import Backend
from .datasets import INTERACTIONS
from .event_log import RecordedEvent
from .model import ServiceError
from .schemas import NUMERIC_TYPES, Field, camel_case, invalid, parse_fields
from .statuses import ACTIVE, DELETING

# an event's own members, by the schema field each one fills
MEMBERS = {
    "ITEM_ID": "itemId",
    "EVENT_TYPE": "eventType",
    "EVENT_VALUE": "eventValue",
    "IMPRESSION": "impression",
    "RECOMMENDATION_ID": "recommendationId",
}
# fields whose value comes from the call, not from the event's members or properties
FROM_THE_CALL = ("USER_ID", "TIMESTAMP")
# non-nullable fields an event may still lack a value for
MAY_BE_MISSING = ("USER_ID",)
ERROR_STATUS = {"ResourceNotFoundException": 404, "ResourceInUseException": 409, "InvalidInputException": 400}


def row_of(recorded: RecordedEvent, fields: list[Field]) -> dict[str, Any]:
    """The dataset record an event makes: schema field -> value (None when the event has none)."""
    event = recorded["event"]
    properties = json.loads(event["properties"]) if event.get("properties") else {}
    row: dict[str, Any] = {}
    for field in fields:
        value: Any
        if field.upper == "USER_ID":
            value = recorded["userId"]
        elif field.upper == "TIMESTAMP":
            value = int(event["sentAt"])
        elif field.upper == "EVENT_ATTRIBUTION_SOURCE" and "metricAttribution" in event:
            value = event["metricAttribution"]["eventAttributionSource"]
        elif field.upper in MEMBERS and MEMBERS[field.upper] in event:
            value = event[MEMBERS[field.upper]]
        else:
            value = properties.get(camel_case(field.name))
        row[field.upper] = value
    return row


def _properties(event: dict[str, Any]) -> dict[str, Any]:
    if "properties" not in event:
        return {}
    try:
        properties = json.loads(event["properties"])
    except ValueError as error:
        raise invalid(f"properties is not valid JSON: {error}.") from None
    if not isinstance(properties, dict):
        raise invalid(f"properties must be a JSON object of field values, not {type(properties).__name__}.")
    return properties


def _fits(value: Any, field: Field) -> bool:
    if value is None:
        return field.nullable
    if field.type in NUMERIC_TYPES:
        if isinstance(value, bool):
            return False
        if isinstance(value, (int, float)):
            return field.type in ("float", "double") or float(value).is_integer()
        try:
            number = float(value)
        except (TypeError, ValueError):
            return False
        return field.type in ("float", "double") or number.is_integer()
    if field.type == "boolean":
        return isinstance(value, bool) or value in ("true", "false")
    return isinstance(value, (str, int, float)) and not isinstance(value, bool)


def check_event(event: dict[str, Any], fields: list[Field] | None, schema_arn: str | None) -> None:
    """Refuse an event the API or the Interactions schema (`fields`, None without one) refuses."""
    properties = _properties(event)
    if fields is None:
        return
    by_key = {camel_case(field.name): field for field in fields if field.upper not in FROM_THE_CALL}
    unknown = sorted(key for key in properties if key not in by_key)
    if unknown:
        raise invalid(
            f"properties key(s) {', '.join(unknown)} are not camelCase names of fields of the "
            f"Interactions schema {schema_arn}; the keys it allows: {', '.join(sorted(by_key))}."
        )
    for key, field in by_key.items():
        member = MEMBERS.get(field.upper)
        if member in event and key in properties and properties[key] != event[member]:
            raise invalid(f"{key} is given twice with different values: as the event's {member} and in properties.")
        given = event.get(member) if member in event else properties.get(key)
        present = (member in event) or (key in properties)
        if not present:
            if not field.nullable and field.upper not in MAY_BE_MISSING:
                raise invalid(
                    f"The Interactions schema {schema_arn} requires {field.upper}, but the event has no "
                    f"{key} (give it as the event's {key} or in its properties)."
                )
            continue
        if field.upper != "IMPRESSION" and not _fits(given, field):
            raise invalid(f'{key} {json.dumps(given)} does not fit field {field.upper} of type "{field.type}".')


class Events:
    OPERATIONS = ("PutEvents",)

    def __init__(self, backend: Backend) -> None:
        self._backend = backend

    def PutEvents(self, params: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        backend, faults = self._backend, self._backend.injector.faults
        trackers = [
            t for t in backend.clock.live(backend.state.trackers).values() if t["trackingId"] == params["trackingId"]
        ]
        if not trackers:
            # never the trackingId itself in a message: it is a secret
            raise ServiceError("ResourceNotFoundException", "No event tracker has this trackingId.", 404)
        tracker = trackers[0]
        status = backend.clock.status(tracker)
        if status != ACTIVE:
            code = faults.inactive_tracker_error
            raise ServiceError(
                code,
                f"Event tracker {tracker['eventTrackerArn']} is {status}; its trackingId works once it is ACTIVE.",
                ERROR_STATUS[code],
            )
        group_arn = tracker["datasetGroupArn"]
        dataset = backend.group_dataset(group_arn, INTERACTIONS)
        if dataset is not None and backend.clock.status(dataset) in DELETING:
            dataset = None
        if dataset is None and faults.events_without_dataset == "refuse":
            raise ServiceError(
                "ResourceNotFoundException",
                f"Dataset group {group_arn} has no Interactions dataset. Create one before recording events.",
                404,
            )
        fields = parse_fields(backend.schema(dataset["schemaArn"])["schema"]) if dataset else None
        recorded: list[RecordedEvent] = []
        for index, event in enumerate(params["eventList"]):
            try:
                check_event(event, fields, dataset["schemaArn"] if dataset else None)
            except ServiceError as error:
                raise invalid(f"eventList.{index + 1}: {error.message}") from None
            kept = {k: v for k, v in event.items() if k != "sentAt"}
            kept["sentAt"] = event["sentAt"].timestamp()
            recorded.append(
                RecordedEvent(
                    datasetGroupArn=group_arn,
                    eventTrackerArn=tracker["eventTrackerArn"],
                    sessionId=params["sessionId"],
                    userId=params.get("userId"),
                    event=kept,
                    recordedAt=backend.clock.now(),
                )
            )
        backend.events.append(recorded)
        return {}
