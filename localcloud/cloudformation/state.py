"""The deployed stacks: physical ids, properties, attributes, outputs and exports, kept in a file.

A stack's record is a plain dict, so that it round-trips through JSON and deploy, redeploy and
destroy can be separate commands:
`{stack_name, stack_id, template, resources: {logical id: entry}, outputs, exports}`, where an
entry is `{type, properties, physical_id, attributes, deletion_policy}`.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any


class StackState:
    """Every stack of the local cloud, one lock for all of them, and their file."""

    def __init__(self, state_file: Path | None = None) -> None:
        self.lock = threading.RLock()
        self.stacks: dict[str, dict[str, Any]] = {}
        self._state_file = state_file
        if state_file is not None and state_file.exists():
            self.stacks = json.loads(state_file.read_text())

    def save(self) -> None:
        if self._state_file is not None:
            with self.lock:
                self._state_file.parent.mkdir(parents=True, exist_ok=True)
                self._state_file.write_text(json.dumps(self.stacks, indent=1))

    def store(self, record: dict[str, Any], logical_id: str, entry: dict[str, Any]) -> None:
        with self.lock:
            record["resources"][logical_id] = entry
            self.save()

    def exports(self) -> dict[str, str]:
        """Every stack's exports, for Fn::ImportValue."""
        with self.lock:
            found: dict[str, str] = {}
            for record in self.stacks.values():
                found.update(record.get("exports", {}))
            return found

    def function(self, arn: str) -> dict[str, Any] | None:
        """The deployed AWS::Lambda::Function with this ARN, from any stack."""
        with self.lock:
            for record in self.stacks.values():
                for entry in record["resources"].values():
                    if entry["type"] == "AWS::Lambda::Function" and entry["attributes"].get("Arn") == arn:
                        return dict(entry)
        return None
