"""Amazon Personalize Events' PutEvents: accepted for an ACTIVE tracker's trackingId, and recorded."""

from __future__ import annotations

from typing import Any

from .backend import Backend
from .model import ServiceError
from .statuses import ACTIVE


class Events:
    OPERATIONS = ("PutEvents",)

    def __init__(self, backend: Backend) -> None:
        self._backend = backend

    def PutEvents(self, params: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        backend = self._backend
        trackers = [
            t for t in backend.clock.live(backend.state.trackers).values() if t["trackingId"] == params["trackingId"]
        ]
        if not trackers or backend.clock.status(trackers[0]) != ACTIVE:
            raise ServiceError("InvalidInputException", "No ACTIVE event tracker has this trackingId.")
        for event in params["eventList"]:
            recorded = {k: v for k, v in event.items() if k != "sentAt"}
            recorded["sentAt"] = event["sentAt"].timestamp()
            backend.state.events.append(
                {
                    "eventTrackerArn": trackers[0]["eventTrackerArn"],
                    "sessionId": params["sessionId"],
                    "userId": params.get("userId"),
                    "event": recorded,
                }
            )
        return {}
