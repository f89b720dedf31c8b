"""Event trackers: one per dataset group, only on an ACTIVE group, generated ARNs and UUID trackingIds."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from .backend import Backend
from .model import ServiceError
from .statuses import (
    ACTIVE,
    CREATE_FAILED,
    CREATE_IN_PROGRESS,
    CREATE_PENDING,
    DELETE_IN_PROGRESS,
    DELETE_PENDING,
)


class EventTrackers:
    OPERATIONS = ("CreateEventTracker", "DescribeEventTracker", "ListEventTrackers", "DeleteEventTracker")

    def __init__(self, backend: Backend) -> None:
        self._backend = backend

    def CreateEventTracker(self, params: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        backend, faults = self._backend, self._backend.injector.faults
        group_arn = params["datasetGroupArn"]
        group = backend.dataset_group(group_arn)
        if backend.clock.status(group) != ACTIVE:
            raise ServiceError(
                "ResourceInUseException", f"Dataset group {group_arn} is {backend.clock.status(group)}, not ACTIVE."
            )
        if any(t["datasetGroupArn"] == group_arn for t in backend.clock.live(backend.state.trackers).values()):
            raise ServiceError(
                faults.one_tracker_error,
                f"Dataset group {group_arn} already has an event tracker. Only one is allowed per dataset group.",
            )
        backend.check_tag_count(params.get("tags", []))
        arn = backend.arn(f"event-tracker/{secrets.token_hex(4)}")
        ends_in = ACTIVE
        if faults.fail_tracker_creations > 0:
            faults.fail_tracker_creations -= 1
            ends_in = CREATE_FAILED
        tracker = {
            "name": params["name"],
            "eventTrackerArn": arn,
            "accountId": backend.account,
            "trackingId": str(uuid.uuid4()),
            "datasetGroupArn": group_arn,
            "creationDateTime": backend.clock.now(),
            "tags": {t["tagKey"]: t["tagValue"] for t in params.get("tags", [])},
            "timeline": backend.clock.timeline(
                ("tracker_pending", CREATE_PENDING), ("tracker_in_progress", CREATE_IN_PROGRESS), ("", ends_in)
            ),
        }
        backend.state.trackers[arn] = tracker
        backend.state.timelines[arn] = tracker["timeline"]
        return {"eventTrackerArn": arn, "trackingId": tracker["trackingId"]}

    def DescribeEventTracker(self, params: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        tracker = self._backend.tracker(params["eventTrackerArn"], read=True)
        return {"eventTracker": self._backend.describe_tracker(tracker)}

    def ListEventTrackers(self, params: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        backend = self._backend
        wanted = params.get("datasetGroupArn")
        summaries = [
            {
                k: v
                for k, v in backend.describe_tracker(t).items()
                if k not in ("accountId", "trackingId", "datasetGroupArn")
            }
            for t in backend.clock.live(backend.state.trackers).values()
            if (wanted is None or t["datasetGroupArn"] == wanted) and backend.visible(t)
        ]
        page, token = backend.page(summaries, params)
        return {"eventTrackers": page, **({"nextToken": token} if token else {})}

    def DeleteEventTracker(self, params: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        backend = self._backend
        arn = params["eventTrackerArn"]
        tracker = backend.tracker(arn)
        backend.refuse_while_changing(tracker, "Event tracker", arn)
        tracker["timeline"] += backend.clock.timeline(
            ("tracker_delete_pending", DELETE_PENDING),
            ("tracker_delete_in_progress", DELETE_IN_PROGRESS),
            ("", None),
        )
        return {}
