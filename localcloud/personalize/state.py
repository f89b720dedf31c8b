"""The service's resources, kept in a file when one is given, so separate commands see one cloud."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


class State:
    def __init__(self, state_file: Path | None = None) -> None:
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

    def save(self) -> None:
        if self._state_file is not None:
            self._state_file.parent.mkdir(parents=True, exist_ok=True)
            state = {"dataset_groups": self.dataset_groups, "trackers": self.trackers, "events": self.events}
            self._state_file.write_text(json.dumps(state, indent=1))

    def clear(self) -> None:
        self.dataset_groups.clear()
        self.trackers.clear()
        self.events.clear()
