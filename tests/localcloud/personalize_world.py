"""What the tests of Personalize's data plane share: an endpoint whose Personalize runs on a paused
clock, and the steps to an ACTIVE group, schema, dataset and tracker, each moved on by the clock."""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.exceptions import ClientError

from localcloud.endpoint import Endpoint
from localcloud.personalize import Delays, Personalize
from localcloud.personalize.clock import ControlledClock

DELAYS = Delays()
NOW = datetime.datetime(2026, 12, 1, 12, 0, tzinfo=datetime.timezone.utc)

INTERACTIONS_SCHEMA: dict[str, Any] = {
    "type": "record",
    "name": "Interactions",
    "namespace": "com.amazonaws.personalize.schema",
    "fields": [
        {"name": "USER_ID", "type": "string"},
        {"name": "ITEM_ID", "type": "string"},
        {"name": "TIMESTAMP", "type": "long"},
        {"name": "EVENT_TYPE", "type": "string"},
        {"name": "EVENT_VALUE", "type": ["null", "float"]},
        {"name": "DEVICE", "type": ["null", "string"]},
    ],
    "version": "1.0",
}


def past(*delays: float) -> float:
    """Just past the end of these statuses (a step on exactly the boundary would meet float rounding)."""
    return sum(delays) + 1e-6


def error_of(call: Any, *args: Any, **kwargs: Any) -> tuple[int, str, str]:
    with pytest.raises(ClientError) as raised:
        call(*args, **kwargs)
    response = raised.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"], response["Error"]["Message"]


@dataclass
class World:
    """The endpoint, its Personalize's paused clock, and clients of it."""

    endpoint: Endpoint
    clock: ControlledClock

    def __post_init__(self) -> None:
        self.personalize = self.endpoint.client("personalize", attempts=1)
        self.events = self.endpoint.client("personalize-events", attempts=1)
        self.s3 = self.endpoint.client("s3")

    @property
    def service(self) -> Personalize:
        return self.endpoint.personalize

    def group(self, name: str = "shop") -> str:
        arn = str(self.personalize.create_dataset_group(name=name)["datasetGroupArn"])
        self.clock.advance(past(DELAYS.dataset_group_pending, DELAYS.dataset_group_in_progress))
        return arn

    def schema(self, name: str = "interactions", schema: dict[str, Any] | None = None) -> str:
        text = json.dumps(schema or INTERACTIONS_SCHEMA)
        return str(self.personalize.create_schema(name=name, schema=text)["schemaArn"])

    def dataset(self, group: str, schema: str, kind: str = "Interactions", name: str = "interactions") -> str:
        arn = str(
            self.personalize.create_dataset(name=name, schemaArn=schema, datasetGroupArn=group, datasetType=kind)[
                "datasetArn"
            ]
        )
        self.clock.advance(past(DELAYS.dataset_pending, DELAYS.dataset_in_progress))
        return arn

    def tracker(self, group: str, name: str = "clicks") -> tuple[str, str]:
        created = self.personalize.create_event_tracker(name=name, datasetGroupArn=group)
        self.clock.advance(past(DELAYS.tracker_pending, DELAYS.tracker_in_progress))
        return created["eventTrackerArn"], created["trackingId"]

    def ready(self) -> tuple[str, str, str]:
        """A group with an Interactions dataset and an ACTIVE tracker: (group, dataset, trackingId)."""
        group = self.group()
        dataset = self.dataset(group, self.schema())
        _, tracking_id = self.tracker(group)
        return group, dataset, tracking_id

    def put(self, tracking_id: str, *events: dict[str, Any], user: str | None = "u1", session: str = "s1") -> None:
        self.events.put_events(
            trackingId=tracking_id,
            sessionId=session,
            eventList=[{"eventType": "click", "sentAt": NOW, **event} for event in events],
            **({"userId": user} if user else {}),
        )
