"""Amazon Personalize as the local cloud emulates it: dataset groups, event trackers, tags, events.

The rules are the service's: statuses change on a clock (CREATE PENDING > CREATE IN_PROGRESS >
ACTIVE or CREATE FAILED; DELETE PENDING > DELETE IN_PROGRESS > gone), one event tracker per
dataset group, no tracker on a dataset group that is not ACTIVE, no dataset group deleted while
it has a tracker, generated ARNs and UUID trackingIds. Faults can be injected. The state can be
kept in a file, so separate commands see the same cloud.
"""

from __future__ import annotations

import copy
import json
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .model import PERSONALIZE, PERSONALIZE_EVENTS, ServiceError, validate
from .rate_limits import RateLimits

ACTIVE = "ACTIVE"
CREATE_PENDING = "CREATE PENDING"
CREATE_IN_PROGRESS = "CREATE IN_PROGRESS"
CREATE_FAILED = "CREATE FAILED"
DELETE_PENDING = "DELETE PENDING"
DELETE_IN_PROGRESS = "DELETE IN_PROGRESS"
CREATING = (CREATE_PENDING, CREATE_IN_PROGRESS)
DELETING = (DELETE_PENDING, DELETE_IN_PROGRESS)
MAX_TAGS_PER_RESOURCE = 50  # the developer guide's limit; `aws:` tags do not count
ONE_TRACKER_ERRORS = ("ResourceAlreadyExistsException", "LimitExceededException")


@dataclass
class Delays:
    """Seconds each status lasts. The defaults keep tests quick; `demo` looks like a slow service."""

    dataset_group_pending: float = 0.05
    dataset_group_in_progress: float = 0.15
    dataset_group_deleting: float = 0.15
    tracker_pending: float = 0.1
    tracker_in_progress: float = 0.3
    tracker_delete_pending: float = 0.1
    tracker_delete_in_progress: float = 0.2


DELAY_PRESETS: dict[str, Delays] = {
    "fast": Delays(),
    "demo": Delays(
        dataset_group_pending=0.3,
        dataset_group_in_progress=0.7,
        dataset_group_deleting=0.5,
        tracker_pending=0.5,
        tracker_in_progress=1.5,
        tracker_delete_pending=0.3,
        tracker_delete_in_progress=1.0,
    ),
}


@dataclass
class Faults:
    """What goes wrong, on purpose. Each list is consumed one entry per call."""

    # operation -> error codes answered by its next calls (LimitExceededException, ThrottlingException)
    throttle: dict[str, list[str]] = field(default_factory=dict)
    # operation -> number of next calls answered with HTTP 500
    server_errors: dict[str, int] = field(default_factory=dict)
    # the next N event trackers end in CREATE FAILED
    fail_tracker_creations: int = 0
    # Delays field -> seconds added to that status's duration
    slow: dict[str, float] = field(default_factory=dict)
    # operation -> seconds every call of it takes before it is answered
    latency: dict[str, float] = field(default_factory=dict)
    # operation -> {"rate": calls per second, "burst": tokens}: a token bucket per operation; a
    # call that finds it empty is refused (LimitExceededException for Create*, else ThrottlingException)
    rate_limits: dict[str, dict[str, float]] = field(default_factory=dict)

    # Where the documentation leaves the service's behaviour open, each variant can be chosen:
    # the error a second tracker on a dataset group gets (the API reference names none)
    one_tracker_error: str = "ResourceAlreadyExistsException"
    # seconds a new tracker stays invisible to reads (Describe, ListTags: not found; lists leave it out)
    read_lag: float = 0.0


@dataclass
class Call:
    operation: str
    at: float
    outcome: str  # "OK" or the error code
    target: str = ""  # the ARN the call named, if any
    rate_limited: bool = False  # refused by the operation's rate limit


def _target(params: Any) -> str:
    if not isinstance(params, dict):
        return ""
    for key in ("eventTrackerArn", "resourceArn", "datasetGroupArn"):
        if isinstance(params.get(key), str):
            return str(params[key])
    return ""


def _arn(region: str, account: str, resource: str) -> str:
    return f"arn:aws:personalize:{region}:{account}:{resource}"


class RateLimited(ServiceError):
    """A call refused by its operation's rate limit."""


class Personalize:
    """The service's state and operations. Thread-safe; `clock` returns wall-clock seconds."""

    def __init__(
        self,
        *,
        region: str = "us-east-1",
        account: str = "123456789012",
        delays: Delays | None = None,
        state_file: Path | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.region = region
        self.account = account
        self.delays = delays or Delays()
        self.faults = Faults()
        self.clock = clock
        self.rate_limits = RateLimits(clock)
        self.calls: list[Call] = []
        self._lock = threading.RLock()
        self._state_file = state_file
        self.dataset_groups: dict[str, dict[str, Any]] = {}
        self.trackers: dict[str, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []
        # every tracker's [[at, status], ...] timeline, kept after it is gone (for measurements)
        self.timelines: dict[str, list[list[Any]]] = {}
        if state_file is not None and state_file.exists():
            saved = json.loads(state_file.read_text())
            self.dataset_groups, self.trackers, self.events = (
                saved["dataset_groups"],
                saved["trackers"],
                saved["events"],
            )

    # --- time and status -----------------------------------------------------------------------

    def _delay(self, name: str) -> float:
        return float(getattr(self.delays, name)) + self.faults.slow.get(name, 0.0)

    def _timeline(self, *steps: tuple[str, str | None], start: float | None = None) -> list[list[Any]]:
        """[[at, status], ...] from (delay name, status) steps; status None means gone."""
        at = self.clock() if start is None else start
        timeline: list[list[Any]] = []
        for delay_name, status in steps:
            timeline.append([at, status])
            if delay_name:
                at += self._delay(delay_name)
        return timeline

    def _status(self, resource: dict[str, Any]) -> str | None:
        now = self.clock()
        status: str | None = None
        for at, step in resource["timeline"]:
            if at <= now:
                status = step
        return status

    def _changed_at(self, resource: dict[str, Any]) -> float:
        now = self.clock()
        return float(max(at for at, _ in resource["timeline"] if at <= now))

    def _live(self, table: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """The resources that still exist; those whose deletion completed are dropped."""
        for arn in [
            arn
            for arn, resource in table.items()
            if resource["timeline"][-1][1] is None and self._status(resource) is None
        ]:
            del table[arn]
        return table

    def _save(self) -> None:
        if self._state_file is not None:
            self._state_file.parent.mkdir(parents=True, exist_ok=True)
            state = {"dataset_groups": self.dataset_groups, "trackers": self.trackers, "events": self.events}
            self._state_file.write_text(json.dumps(state, indent=1))

    # --- dispatch ------------------------------------------------------------------------------

    def call(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        """Run one Personalize operation as the service would; raises ServiceError."""
        return self._call(PERSONALIZE, operation, params)

    def put_events(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._call(PERSONALIZE_EVENTS, "PutEvents", params)

    def _call(self, model: Any, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        time.sleep(self.faults.latency.get(operation, 0.0))  # outside the lock: other calls go on
        with self._lock:
            try:
                handler = getattr(self, f"_op_{operation}", None)
                if handler is None or operation not in model.operation_names:
                    raise ServiceError("UnknownOperationException", f"Unknown operation {operation}")
                self._inject_faults(operation)
                result: dict[str, Any] = handler(validate(model.operation_model(operation), params))
            except ServiceError as error:
                refused = isinstance(error, RateLimited)
                self.calls.append(Call(operation, self.clock(), error.code, _target(params), rate_limited=refused))
                raise
            self.calls.append(Call(operation, self.clock(), "OK", _target(params)))
            self._save()
            return result

    def _inject_faults(self, operation: str) -> None:
        if not self.rate_limits.admit(operation):
            code = "LimitExceededException" if operation.startswith("Create") else "ThrottlingException"
            raise RateLimited(code, "Rate exceeded")
        throttled = self.faults.throttle.get(operation)
        if throttled:
            raise ServiceError(throttled.pop(0), "Rate exceeded")
        if self.faults.server_errors.get(operation, 0) > 0:
            self.faults.server_errors[operation] -= 1
            raise ServiceError("InternalServerError", "We encountered an internal error. Please try again.", 500)

    # --- dataset groups ------------------------------------------------------------------------

    def _dataset_group(self, arn: str) -> dict[str, Any]:
        group = self._live(self.dataset_groups).get(arn)
        if group is None:
            raise ServiceError("ResourceNotFoundException", f"Could not find resource with ARN {arn}")
        return group

    def _op_CreateDatasetGroup(self, params: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        arn = _arn(self.region, self.account, f"dataset-group/{params['name']}")
        if arn in self._live(self.dataset_groups):
            raise ServiceError("ResourceAlreadyExistsException", f"Dataset group {arn} already exists.")
        self._check_tag_count(params.get("tags", []))
        self.dataset_groups[arn] = {
            "name": params["name"],
            "datasetGroupArn": arn,
            "domain": params.get("domain"),
            "creationDateTime": self.clock(),
            "tags": {t["tagKey"]: t["tagValue"] for t in params.get("tags", [])},
            "timeline": self._timeline(
                ("dataset_group_pending", CREATE_PENDING),
                ("dataset_group_in_progress", CREATE_IN_PROGRESS),
                ("", ACTIVE),
            ),
        }
        return {"datasetGroupArn": arn}

    def _op_DescribeDatasetGroup(self, params: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        group = self._dataset_group(params["datasetGroupArn"])
        return {"datasetGroup": self._describe_group(group)}

    def _describe_group(self, group: dict[str, Any]) -> dict[str, Any]:
        described = {
            "name": group["name"],
            "datasetGroupArn": group["datasetGroupArn"],
            "status": self._status(group),
            "creationDateTime": group["creationDateTime"],
            "lastUpdatedDateTime": self._changed_at(group),
        }
        if group.get("domain"):
            described["domain"] = group["domain"]
        return described

    def _op_ListDatasetGroups(self, params: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        groups = [self._describe_group(g) for g in self._live(self.dataset_groups).values()]
        page, token = self._page(groups, params)
        return {"datasetGroups": page, **({"nextToken": token} if token else {})}

    def _op_DeleteDatasetGroup(self, params: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        arn = params["datasetGroupArn"]
        group = self._dataset_group(arn)
        status = self._status(group)
        if status in CREATING or status in DELETING:
            raise ServiceError("ResourceInUseException", f"Dataset group {arn} is {status}.")
        if any(t["datasetGroupArn"] == arn for t in self._live(self.trackers).values()):
            raise ServiceError("ResourceInUseException", f"Dataset group {arn} has an event tracker. Delete it first.")
        group["timeline"] += self._timeline(("dataset_group_deleting", DELETE_PENDING), ("", None))
        return {}

    # --- event trackers ------------------------------------------------------------------------

    def _tracker(self, arn: str, *, read: bool = False) -> dict[str, Any]:
        tracker = self._live(self.trackers).get(arn)
        if tracker is None or (read and not self._visible(tracker)):
            raise ServiceError("ResourceNotFoundException", f"Could not find resource with ARN {arn}")
        return tracker

    def _visible(self, tracker: dict[str, Any]) -> bool:
        """Whether reads see the tracker yet (the `read_lag` fault); writes always do."""
        return self.clock() - float(tracker["creationDateTime"]) >= self.faults.read_lag

    def _op_CreateEventTracker(self, params: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        group_arn = params["datasetGroupArn"]
        group = self._dataset_group(group_arn)
        if self._status(group) != ACTIVE:
            raise ServiceError(
                "ResourceInUseException", f"Dataset group {group_arn} is {self._status(group)}, not ACTIVE."
            )
        existing = [t for t in self._live(self.trackers).values() if t["datasetGroupArn"] == group_arn]
        if existing:
            raise ServiceError(
                self.faults.one_tracker_error,
                f"Dataset group {group_arn} already has an event tracker. Only one is allowed per dataset group.",
            )
        self._check_tag_count(params.get("tags", []))
        arn = _arn(self.region, self.account, f"event-tracker/{secrets.token_hex(4)}")
        ends_in = ACTIVE
        if self.faults.fail_tracker_creations > 0:
            self.faults.fail_tracker_creations -= 1
            ends_in = CREATE_FAILED
        self.trackers[arn] = {
            "name": params["name"],
            "eventTrackerArn": arn,
            "accountId": self.account,
            "trackingId": str(uuid.uuid4()),
            "datasetGroupArn": group_arn,
            "creationDateTime": self.clock(),
            "tags": {t["tagKey"]: t["tagValue"] for t in params.get("tags", [])},
            "timeline": self._timeline(
                ("tracker_pending", CREATE_PENDING), ("tracker_in_progress", CREATE_IN_PROGRESS), ("", ends_in)
            ),
        }
        self.timelines[arn] = self.trackers[arn]["timeline"]
        return {"eventTrackerArn": arn, "trackingId": self.trackers[arn]["trackingId"]}

    def _describe_tracker(self, tracker: dict[str, Any]) -> dict[str, Any]:
        return {
            "name": tracker["name"],
            "eventTrackerArn": tracker["eventTrackerArn"],
            "accountId": tracker["accountId"],
            "trackingId": tracker["trackingId"],
            "datasetGroupArn": tracker["datasetGroupArn"],
            "status": self._status(tracker),
            "creationDateTime": tracker["creationDateTime"],
            "lastUpdatedDateTime": self._changed_at(tracker),
        }

    def _op_DescribeEventTracker(self, params: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        return {"eventTracker": self._describe_tracker(self._tracker(params["eventTrackerArn"], read=True))}

    def _op_ListEventTrackers(self, params: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        wanted = params.get("datasetGroupArn")
        summaries = [
            {
                k: v
                for k, v in self._describe_tracker(t).items()
                if k not in ("accountId", "trackingId", "datasetGroupArn")
            }
            for t in self._live(self.trackers).values()
            if (wanted is None or t["datasetGroupArn"] == wanted) and self._visible(t)
        ]
        page, token = self._page(summaries, params)
        return {"eventTrackers": page, **({"nextToken": token} if token else {})}

    def _op_DeleteEventTracker(self, params: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        arn = params["eventTrackerArn"]
        tracker = self._tracker(arn)
        status = self._status(tracker)
        if status in CREATING or status in DELETING:
            raise ServiceError("ResourceInUseException", f"Event tracker {arn} is {status}.")
        tracker["timeline"] += self._timeline(
            ("tracker_delete_pending", DELETE_PENDING),
            ("tracker_delete_in_progress", DELETE_IN_PROGRESS),
            ("", None),
        )
        return {}

    # --- tags ----------------------------------------------------------------------------------

    def _tagged(self, arn: str, *, read: bool = False) -> dict[str, Any]:
        resource = self._live(self.trackers).get(arn) or self._live(self.dataset_groups).get(arn)
        if resource is None or (read and arn in self.trackers and not self._visible(resource)):
            raise ServiceError("ResourceNotFoundException", f"Could not find resource with ARN {arn}")
        return resource

    def _check_tag_count(self, tags: list[dict[str, str]], existing: dict[str, str] | None = None) -> None:
        keys = {key for key in set(existing or {}) | {t["tagKey"] for t in tags} if not key.startswith("aws:")}
        if len(keys) > MAX_TAGS_PER_RESOURCE:
            raise ServiceError(
                "TooManyTagsException",
                f"A resource can have at most {MAX_TAGS_PER_RESOURCE} tags; this request would leave {len(keys)}.",
            )

    def _op_TagResource(self, params: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        resource = self._tagged(params["resourceArn"])
        self._check_tag_count(params["tags"], resource["tags"])
        resource["tags"].update({t["tagKey"]: t["tagValue"] for t in params["tags"]})
        return {}

    def _op_UntagResource(self, params: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        resource = self._tagged(params["resourceArn"])
        for key in params["tagKeys"]:
            resource["tags"].pop(key, None)
        return {}

    def _op_ListTagsForResource(self, params: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        resource = self._tagged(params["resourceArn"], read=True)
        return {"tags": [{"tagKey": k, "tagValue": v} for k, v in resource["tags"].items()]}

    # --- events --------------------------------------------------------------------------------

    def _op_PutEvents(self, params: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        trackers = [t for t in self._live(self.trackers).values() if t["trackingId"] == params["trackingId"]]
        if not trackers or self._status(trackers[0]) != ACTIVE:
            raise ServiceError("InvalidInputException", "No ACTIVE event tracker has this trackingId.")
        for event in params["eventList"]:
            recorded = {k: v for k, v in event.items() if k != "sentAt"}
            recorded["sentAt"] = event["sentAt"].timestamp()
            self.events.append(
                {
                    "eventTrackerArn": trackers[0]["eventTrackerArn"],
                    "sessionId": params["sessionId"],
                    "userId": params.get("userId"),
                    "event": recorded,
                }
            )
        return {}

    # --- pagination ----------------------------------------------------------------------------

    @staticmethod
    def _page(items: list[dict[str, Any]], params: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
        start = 0
        if params.get("nextToken"):
            try:
                start = int(params["nextToken"].split(".", 1)[1])
            except (IndexError, ValueError):
                raise ServiceError("InvalidNextTokenException", "The nextToken is not valid.") from None
        size = params.get("maxResults", 100)
        page = items[start : start + size]
        more = start + size < len(items)
        return page, (f"page.{start + size}" if more else None)

    # --- inspection and out-of-band changes (the admin interface) ------------------------------

    def snapshot(self) -> dict[str, Any]:
        """What exists now, with statuses and tags (trackingIds included: this is the operator's view)."""
        with self._lock:
            return {
                "datasetGroups": [
                    {**self._describe_group(g), "tags": dict(g["tags"])}
                    for g in self._live(self.dataset_groups).values()
                ],
                "eventTrackers": [
                    {**self._describe_tracker(t), "tags": dict(t["tags"])} for t in self._live(self.trackers).values()
                ],
                "events": copy.deepcopy(self.events),
                "calls": [asdict(c) for c in self.calls],
            }

    def delete_tracker_out_of_band(self, arn: str) -> None:
        """Remove a tracker at once, as someone using the console would (for fault cases)."""
        with self._lock:
            self._tracker(arn)
            del self.trackers[arn]
            self._save()

    def set_faults(self, **changes: Any) -> None:
        with self._lock:
            for name, value in changes.items():
                if not hasattr(self.faults, name):
                    raise ValueError(f"unknown fault {name!r}")
                if name == "one_tracker_error" and value not in ONE_TRACKER_ERRORS:
                    raise ValueError(f"one_tracker_error must be one of {', '.join(ONE_TRACKER_ERRORS)}")
                if name == "rate_limits":
                    self.rate_limits.configure(value)
                setattr(self.faults, name, value)

    def reset(self) -> None:
        with self._lock:
            self.dataset_groups.clear()
            self.trackers.clear()
            self.events.clear()
            self.calls.clear()
            self.faults = Faults()
            self.rate_limits.configure({})
            self._save()
