"""Statuses and how long each lasts: every resource's life is a timeline on the service's clock.

A timeline is `[[at, status], ...]`; the status at a moment is the last one whose time has
come, and None means the resource is gone.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

ACTIVE = "ACTIVE"
CREATE_PENDING = "CREATE PENDING"
CREATE_IN_PROGRESS = "CREATE IN_PROGRESS"
CREATE_FAILED = "CREATE FAILED"
DELETE_PENDING = "DELETE PENDING"
DELETE_IN_PROGRESS = "DELETE IN_PROGRESS"
CREATING = (CREATE_PENDING, CREATE_IN_PROGRESS)
DELETING = (DELETE_PENDING, DELETE_IN_PROGRESS)

Resource = TypeVar("Resource", bound=Mapping[str, Any])  # a record with a "timeline"


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
    dataset_pending: float = 0.05
    dataset_in_progress: float = 0.15
    dataset_delete_pending: float = 0.05
    dataset_delete_in_progress: float = 0.1
    export_pending: float = 0.1
    export_in_progress: float = 0.3


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
        dataset_pending=0.3,
        dataset_in_progress=0.7,
        dataset_delete_pending=0.3,
        dataset_delete_in_progress=0.5,
        export_pending=0.5,
        export_in_progress=2.0,
    ),
}


class Clock:
    """Reads and writes timelines against the service's clock and delays (plus any `slow` fault).

    Within `instant()` every reading is the same moment: a call is answered as of one instant, so
    a resource found live is still there when it is described a moment later.
    """

    def __init__(self, now: Callable[[], float], delays: Delays, slow: Callable[[], dict[str, float]]) -> None:
        self._clock = now
        self._instant: float | None = None
        self.delays = delays
        self._slow = slow

    def now(self) -> float:
        return self._clock() if self._instant is None else self._instant

    @contextlib.contextmanager
    def instant(self) -> Iterator[None]:
        """Hold the time still for one call (the service runs one call at a time, under its lock)."""
        outer, self._instant = self._instant, self.now()
        try:
            yield
        finally:
            self._instant = outer

    def timeline(self, *steps: tuple[str, str | None], start: float | None = None) -> list[list[Any]]:
        """[[at, status], ...] from (delay name, status) steps; status None means gone."""
        at = self.now() if start is None else start
        timeline: list[list[Any]] = []
        for delay_name, status in steps:
            timeline.append([at, status])
            if delay_name:
                at += float(getattr(self.delays, delay_name)) + self._slow().get(delay_name, 0.0)
        return timeline

    def status(self, resource: Mapping[str, Any]) -> str | None:
        now = self.now()
        status: str | None = None
        for at, step in resource["timeline"]:
            if at <= now:
                status = step
        return status

    def changed_at(self, resource: Mapping[str, Any]) -> float:
        now = self.now()
        return float(max(at for at, _ in resource["timeline"] if at <= now))

    def live(self, table: dict[str, Resource]) -> dict[str, Resource]:
        """The resources that still exist; those whose deletion completed are dropped."""
        for arn in [
            arn
            for arn, resource in table.items()
            if resource["timeline"][-1][1] is None and self.status(resource) is None
        ]:
            del table[arn]
        return table
