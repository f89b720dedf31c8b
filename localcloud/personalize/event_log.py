"""The events PutEvents recorded: an append-only file, one JSON line per event.

Appending a line per event (flushed and fsynced before the call is answered) keeps every
accepted event across a crash without rewriting the whole state on each PutEvents. A crash in
the middle of a write leaves a torn last line: it is read back as far as the last whole line, and
the torn part is cut off so that the next append starts on a line of its own.

A line is a `RecordedEvent`; its position in the log (`seq`) orders events, and lets an export
take the events recorded before it started.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any, TypedDict

LOG = logging.getLogger("localcloud.personalize")


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
        self.events: list[RecordedEvent] = []
        if path is not None and path.exists():
            self.events = self._read(path)

    @staticmethod
    def _read(path: Path) -> list[RecordedEvent]:
        data = path.read_bytes()
        events: list[RecordedEvent] = []
        good = 0  # bytes up to the end of the last whole line
        for line in data.splitlines(keepends=True):
            if not line.endswith(b"\n"):
                break
            try:
                events.append(json.loads(line))
            except ValueError:
                break
            good += len(line)
        if good < len(data):
            LOG.warning("%s: a torn last line (%d bytes) was cut off", path, len(data) - good)
            with path.open("r+b") as file:
                file.truncate(good)
        return events

    def __len__(self) -> int:
        return len(self.events)

    def append(self, events: list[RecordedEvent]) -> None:
        """Record `events` together: on disk (fsynced) before they are in memory."""
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("ab") as file:
                file.write(b"".join(json.dumps(event).encode() + b"\n" for event in events))
                file.flush()
                os.fsync(file.fileno())
        self.events.extend(events)

    def since(self, start: int, end: int | None = None) -> list[RecordedEvent]:
        """The events at positions `start` up to `end` (the log's end when None)."""
        return self.events[start:end]

    def clear(self) -> None:
        self.events.clear()
        if self.path is not None and self.path.exists():
            with self.path.open("r+b") as file:
                file.truncate(0)
                os.fsync(file.fileno())
