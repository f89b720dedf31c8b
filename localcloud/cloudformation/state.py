"""The stacks, their change sets and their events, kept in files so that a restart keeps them.

A stack's record is a plain dict, so that it round-trips through JSON and deploy, redeploy and
destroy can be separate commands (or a restarted endpoint):
`{stack_name, stack_id, status, status_reason, template, template_body, parameters, resources:
{logical id: entry}, outputs, exports, ...}`, where an entry is
`{type, properties, physical_id, attributes, deletion_policy}`.

- `stacks`: every stack by name that is not deleted (ROLLBACK_COMPLETE and REVIEW_IN_PROGRESS
  included, as CloudFormation keeps them), in the state file itself (`{name: record}`);
- `deleted`: DELETE_COMPLETE stacks by stack id, still found by their ARN, and `change_sets`, by
  change set id: in `<stem>-history.json` beside it;
- events: per stack id, oldest first, appended to `<stem>-events.jsonl`.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from pathlib import Path
from typing import Any

# Stacks whose resources and exports count: not a stack waiting for its first change set, nor
# one whose creation was rolled back.
NOT_DEPLOYED = ("REVIEW_IN_PROGRESS", "ROLLBACK_COMPLETE", "DELETE_COMPLETE")


class StackState:
    """Every stack of the local cloud, one lock for all of them, and their files."""

    def __init__(self, state_file: Path | None = None) -> None:
        self.lock = threading.RLock()
        self.stacks: dict[str, dict[str, Any]] = {}
        self.deleted: dict[str, dict[str, Any]] = {}
        self.change_sets: dict[str, dict[str, Any]] = {}
        self.events: dict[str, list[dict[str, Any]]] = {}
        self._state_file = state_file
        self._history_file = state_file.with_name(f"{state_file.stem}-history.json") if state_file else None
        self._events_file = state_file.with_name(f"{state_file.stem}-events.jsonl") if state_file else None
        if state_file is not None and state_file.exists():
            self.stacks = json.loads(state_file.read_text())
        if self._history_file is not None and self._history_file.exists():
            history = json.loads(self._history_file.read_text())
            self.deleted, self.change_sets = history["deleted"], history["change_sets"]
        if self._events_file is not None and self._events_file.exists():
            for line in self._events_file.read_text().splitlines():
                if line.strip():
                    event = json.loads(line)
                    self.events.setdefault(event["StackId"], []).append(event)

    def save(self) -> None:
        if self._state_file is not None and self._history_file is not None:
            with self.lock:
                self._state_file.parent.mkdir(parents=True, exist_ok=True)
                history = {"deleted": self.deleted, "change_sets": self.change_sets}
                for path, content in ((self._state_file, self.stacks), (self._history_file, history)):
                    temporary = path.with_suffix(".tmp")
                    temporary.write_text(json.dumps(content, indent=1))
                    temporary.replace(path)

    def store(self, record: dict[str, Any], logical_id: str, entry: dict[str, Any]) -> None:
        with self.lock:
            record["resources"][logical_id] = entry
            self.save()

    def deployed(self) -> dict[str, dict[str, Any]]:
        """The stacks whose resources exist (by name)."""
        with self.lock:
            return {name: record for name, record in self.stacks.items() if record.get("status") not in NOT_DEPLOYED}

    def exports(self) -> dict[str, str]:
        """Every stack's exports, for Fn::ImportValue."""
        with self.lock:
            found: dict[str, str] = {}
            for record in self.deployed().values():
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

    def find(self, name_or_id: str) -> dict[str, Any] | None:
        """A stack by name (not deleted) or by stack id (deleted ones too)."""
        with self.lock:
            if name_or_id.startswith("arn:"):
                for record in self.stacks.values():
                    if record["stack_id"] == name_or_id:
                        return record
                return self.deleted.get(name_or_id)
            return self.stacks.get(name_or_id)

    # --- events --------------------------------------------------------------------------------

    def add_event(
        self,
        record: dict[str, Any],
        logical_id: str,
        physical_id: str,
        resource_type: str,
        status: str,
        reason: str = "",
        properties: Any = None,
    ) -> dict[str, Any]:
        """Record one stack event; timestamps never go backwards within a stack."""
        with self.lock:
            events = self.events.setdefault(record["stack_id"], [])
            now = time.time()
            if events and now <= events[-1]["Timestamp"]:
                now = events[-1]["Timestamp"] + 0.001
            event: dict[str, Any] = {
                "StackId": record["stack_id"],
                "EventId": str(uuid.uuid4()),
                "StackName": record["stack_name"],
                "LogicalResourceId": logical_id,
                "PhysicalResourceId": physical_id,
                "ResourceType": resource_type,
                "Timestamp": now,
                "ResourceStatus": status,
            }
            if reason:
                event["ResourceStatusReason"] = reason
            if properties is not None:
                event["ResourceProperties"] = json.dumps(properties)
            events.append(event)
            if self._events_file is not None:
                self._events_file.parent.mkdir(parents=True, exist_ok=True)
                with self._events_file.open("a") as file:
                    file.write(json.dumps(event) + "\n")
            return event

    def events_of(self, stack_id: str) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.events.get(stack_id, []))
