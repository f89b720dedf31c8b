"""The Personalize service: one entry for every operation, a call log, and the operator's view.

Every call is validated against botocore's model, may be refused by a fault, runs under one
lock, and is logged with its outcome; the state is saved after each successful call (the events
PutEvents records are appended to their own file as they come, `event_log.py`).
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .backend import Backend, ObjectWriter
from .clock import ControlledClock
from .dataset_groups import DatasetGroups
from .datasets import Datasets
from .event_log import EventLog, RecordedEvent
from .event_trackers import EventTrackers
from .events import Events
from .exports import ExportJobs
from .faults import FaultInjector, Faults, Gates, RateLimited
from .model import PERSONALIZE, PERSONALIZE_EVENTS, ServiceError, validate
from .schemas import Schemas
from .state import State
from .statuses import Clock, Delays
from .tags import Tags


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
    for key in ("eventTrackerArn", "resourceArn", "datasetExportJobArn", "datasetArn", "schemaArn", "datasetGroupArn"):
        if isinstance(params.get(key), str):
            return str(params[key])
    return ""


class Personalize:
    """The service's state and operations. Thread-safe.

    Everything it times reads `clock` (by default a running one, which follows the wall clock);
    a test that watches a status window, the read lag or a rate limit passes a clock it controls.
    `state_file` keeps the resources; the events go beside it (`<stem>-events.jsonl`).
    `put_object(bucket, key, body)` is where export jobs write (the endpoint sets its S3's);
    without one, an export job fails, saying so.
    """

    def __init__(
        self,
        *,
        region: str = "us-east-1",
        account: str = "123456789012",
        delays: Delays | None = None,
        state_file: Path | None = None,
        clock: ControlledClock | None = None,
        put_object: ObjectWriter | None = None,
    ) -> None:
        self.region = region
        self.account = account
        self.delays = delays or Delays()
        self.clock = clock = clock or ControlledClock()
        self.gates = Gates()
        self.calls: list[Call] = []
        self._lock = threading.RLock()
        self._injector = FaultInjector(clock)
        self._state = State(state_file)
        event_log = EventLog(state_file.with_name(f"{state_file.stem}-events.jsonl") if state_file else None)
        self._backend = Backend(
            self._state,
            Clock(clock, self.delays, lambda: self._injector.faults.slow),
            self._injector,
            region,
            account,
            event_log,
            put_object,
        )
        self._adopt_legacy_events()
        units = (
            DatasetGroups(self._backend),
            EventTrackers(self._backend),
            Tags(self._backend),
            Events(self._backend),
            Schemas(self._backend),
            Datasets(self._backend),
            ExportJobs(self._backend),
        )
        self._operations: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            name: getattr(unit, name) for unit in units for name in unit.OPERATIONS
        }

    @property
    def faults(self) -> Faults:
        return self._injector.faults

    @property
    def events(self) -> list[RecordedEvent]:
        """Every event PutEvents recorded, oldest first."""
        return self._backend.events.events

    @property
    def put_object(self) -> ObjectWriter | None:
        return self._backend.put_object

    @put_object.setter
    def put_object(self, writer: ObjectWriter | None) -> None:
        self._backend.put_object = writer

    def _adopt_legacy_events(self) -> None:
        """A state file written before the event log held the events: they move to the log."""
        legacy, self._state.legacy_events = self._state.legacy_events, []
        if legacy and not len(self._backend.events):
            trackers = self._state.trackers
            self._backend.events.append(
                [
                    RecordedEvent(
                        datasetGroupArn=trackers.get(old["eventTrackerArn"], {}).get("datasetGroupArn"),
                        eventTrackerArn=old["eventTrackerArn"],
                        sessionId=old["sessionId"],
                        userId=old.get("userId"),
                        event=old["event"],
                        recordedAt=float(old["event"].get("sentAt", 0.0)),
                    )
                    for old in legacy
                ]
            )
            self._state.save()

    @property
    def timelines(self) -> dict[str, list[list[Any]]]:
        """Every tracker's [[at, status], ...] timeline, kept after it is gone (for measurements)."""
        return self._state.timelines

    # --- calls ---------------------------------------------------------------------------------

    def call(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        """Run one Personalize operation as the service would; raises ServiceError."""
        return self._call(PERSONALIZE, operation, params)

    def put_events(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._call(PERSONALIZE_EVENTS, "PutEvents", params)

    def _call(self, model: Any, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        # outside the lock: other calls go on meanwhile
        self.gates.pass_through(operation)
        self.clock.sleep(self.faults.latency.get(operation, 0.0))
        with self._lock, self._backend.clock.instant():
            try:
                handler = self._operations.get(operation)
                if handler is None or operation not in model.operation_names:
                    raise ServiceError("UnknownOperationException", f"Unknown operation {operation}")
                self._injector.before(operation)
                result = handler(validate(model.operation_model(operation), params))
            except ServiceError as error:
                refused = isinstance(error, RateLimited)
                self.calls.append(Call(operation, self.clock(), error.code, _target(params), rate_limited=refused))
                raise
            self.calls.append(Call(operation, self.clock(), "OK", _target(params)))
            self._state.save()
            return result

    # --- inspection and out-of-band changes (the admin interface) ------------------------------

    def snapshot(self) -> dict[str, Any]:
        """What exists now, with statuses and tags (trackingIds included: this is the operator's view)."""
        backend, live = self._backend, self._backend.clock.live
        with self._lock, backend.clock.instant():
            return {
                "datasetGroups": [
                    {**backend.describe_group(g), "tags": dict(g["tags"])}
                    for g in live(self._state.dataset_groups).values()
                ],
                "eventTrackers": [
                    {**backend.describe_tracker(t), "tags": dict(t["tags"])}
                    for t in live(self._state.trackers).values()
                ],
                "schemas": [{k: v for k, v in s.items()} for s in self._state.schemas.values()],
                "datasets": [
                    {**{k: v for k, v in d.items() if k != "timeline"}, "status": backend.clock.status(d)}
                    for d in backend.live_datasets().values()
                ],
                "datasetExportJobs": [
                    {**{k: v for k, v in j.items() if k != "timeline"}, "status": backend.clock.status(j)}
                    for j in self._state.export_jobs.values()
                ],
                "events": copy.deepcopy(self._backend.events.events),
                "calls": [asdict(c) for c in self.calls],
            }

    def delete_tracker_out_of_band(self, arn: str) -> None:
        """Remove a tracker at once, as someone using the console would (for fault cases)."""
        with self._lock:
            self._backend.tracker(arn)
            del self._state.trackers[arn]
            self._state.save()

    def set_faults(self, **changes: Any) -> None:
        with self._lock:
            self._injector.set(**changes)

    def reset(self) -> None:
        with self._lock:
            self._state.clear()
            self._backend.events.clear()
            self.calls.clear()
            self._injector.reset()
            self._state.save()
