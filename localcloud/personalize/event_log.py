"""The events PutEvents recorded: an append-only file, one JSON line per event.

Appending a line per event (fsynced before the call is answered, `statedir.AppendLog`) keeps every
accepted event across a crash without rewriting the whole state on each PutEvents. A crash in
the middle of a write leaves a torn last line: it is read back as far as the last whole line, the
torn part is cut off so that the next append starts on a line of its own, and the log says so.

A line is a `RecordedEvent`; its position in the log (`seq`) orders events, and lets an export
take the events recorded before it started.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypedDict

from ..statedir import AppendLog


class RecordedEvent(TypedDict):
    datasetGroupArn: str | None
    eventTrackerArn: str
    sessionId: str
    userId: str | None
    event: dict[str, Any]  # the event as sent, `sentAt` in seconds since the epoch
    recordedAt: float


class EventLog:
    """The recorded events, in memory and (when a file is given) in `path`. Not thread-safe: the
    service appends under its lock."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._log = AppendLog(path, "Personalize's recorded events") if path is not None else None
        self.events: list[RecordedEvent] = self._log.read() if self._log is not None else []

    def __len__(self) -> int:
        return len(self.events)

    def append(self, events: list[RecordedEvent]) -> None:
        """Record `events` together: on disk (fsynced) before they are in memory."""
        if self._log is not None:
            self._log.append(list(events))
        self.events.extend(events)

    def since(self, start: int, end: int | None = None) -> list[RecordedEvent]:
        """The events at positions `start` up to `end` (the log's end when None)."""
        return self.events[start:end]

    def clear(self) -> None:
        self.events.clear()
        if self._log is not None:
            self._log.clear()
