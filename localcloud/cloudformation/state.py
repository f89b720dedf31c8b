"""The stacks, their change sets and their events, kept in files so that a restart keeps them.

Each record is a plain dict, so that it round-trips through JSON and deploy, redeploy and destroy
can be separate commands (or a restarted endpoint). The TypedDicts here name every key a record
may hold, and its type; the files hold exactly these keys:

- `StackRecord`: a stack, with its `resources` by logical id (each a `ResourceRecord`), the last
  status of each (`ResourceStatus`), its parameters as settled (`SettledRecord`), its outputs and
  exports, and while an operation runs what a restart needs to conclude it (`OperationRecord`);
- `ChangeSetRecord`: a change set, under the API's names, and the engine's own keys beside them;
- `StackEvent`: one stack event, under the API's names.

Where they are kept:

- `stacks`: every stack by name that is not deleted (ROLLBACK_COMPLETE and REVIEW_IN_PROGRESS
  included, as CloudFormation keeps them), in the state file itself (`{name: record}`);
- `deleted`: DELETE_COMPLETE stacks by stack id, still found by their ARN, and `change_sets`, by
  change set id: in `<stem>-history.json` beside it;
- events: per stack id, oldest first, appended to `<stem>-events.jsonl`.

The two whole files are written aside and renamed, and each event is appended with fsync
(`statedir.files`): a kill leaves each file as it was before or after a write, and at most a torn
last event line, which the next start drops and reports.
"""

# No `from __future__ import annotations`: the records' `NotRequired` keys are then known at run
# time too (`__optional_keys__`), as a test of the files' shape reads them.
import json
import re
import threading
import time
import uuid
from pathlib import Path
from typing import Any, NamedTuple, NotRequired, TypedDict

from ..statedir import AppendLog, WholeFile

# Stacks whose resources and exports count: not a stack waiting for its first change set, nor
# one whose creation was rolled back.
NOT_DEPLOYED = ("REVIEW_IN_PROGRESS", "ROLLBACK_COMPLETE", "DELETE_COMPLETE")


class ResourceRecord(TypedDict):
    """One resource of a stack, as its last create or update left it."""

    type: str
    properties: dict[str, Any]  # as resolved, what the next update compares with
    physical_id: str
    attributes: dict[str, Any]  # what Fn::GetAtt returns
    deletion_policy: str
    # the resource's logical id, on a copy staged under another key ("<id>#old") for a delete
    logical_id: NotRequired[str]


class ResourceStatus(TypedDict):
    """A resource's last event, what DescribeStackResources shows of it."""

    status: str
    reason: str
    timestamp: float


class SettledRecord(TypedDict):
    """A stack operation's parameters (`parameters.Settled`)."""

    values: dict[str, str]
    resolved: dict[str, str]
    ssm_types: list[str]


class OperationRecord(TypedDict, total=False):
    """What a stack operation keeps while it runs, so that a restart can conclude it (recovery.py);
    gone once the operation ends."""

    on_failure: str  # a create's: ROLLBACK, DELETE or DO_NOTHING
    previous: "StackRecord"  # an update's or an import's: the stack as it was before
    cleanup: dict[str, ResourceRecord]  # an update's: what its cleanup has still to delete, by "<id>#old"
    imports: list[str]  # an import's: the logical ids it adopts


class StackRecord(TypedDict):
    """One stack. `deployment.new_record` writes the required keys; its operations add the others."""

    stack_name: str
    stack_id: str
    template: dict[str, Any]
    resources: dict[str, ResourceRecord]
    outputs: dict[str, str]
    exports: dict[str, str]  # export name -> value
    creation_time: float
    status: NotRequired[str]  # the stack's last event's
    status_reason: NotRequired[str]
    template_body: NotRequired[str | None]  # as submitted; None for a template from a cloud assembly
    parameters: NotRequired[SettledRecord]
    description: NotRequired[str]
    change_set_id: NotRequired[str]  # the change set last executed
    export_names: NotRequired[dict[str, str]]  # output id -> its export's name
    resource_status: NotRequired[dict[str, ResourceStatus]]
    capabilities: NotRequired[list[str]]
    tags: NotRequired[list[dict[str, str]]]
    last_updated_time: NotRequired[float]
    deletion_time: NotRequired[float]
    operation: NotRequired[OperationRecord]  # while an operation runs


class ChangeSetRecord(TypedDict):
    """One change set: what DescribeChangeSet shows, under the API's names, then the engine's own."""

    ChangeSetId: str
    ChangeSetName: str
    StackId: str
    StackName: str
    Description: str | None
    Parameters: list[dict[str, Any]]
    CreationTime: float
    ExecutionStatus: str
    Status: str
    StatusReason: str | None
    NotificationARNs: list[str]
    Capabilities: list[str]
    Tags: list[dict[str, str]]
    Changes: list[dict[str, Any]]
    IncludeNestedStacks: bool
    ImportExistingResources: bool
    ChangeSetType: str
    template: dict[str, Any]
    template_body: str
    settled: SettledRecord
    client_token: str | None


class StackEvent(TypedDict):
    """One stack event, as DescribeStackEvents shows it."""

    StackId: str
    EventId: str
    StackName: str
    LogicalResourceId: str
    PhysicalResourceId: str
    ResourceType: str
    Timestamp: float
    ResourceStatus: str
    ResourceStatusReason: NotRequired[str]
    ResourceProperties: NotRequired[str]  # JSON


class FunctionName(NamedTuple):
    """A FunctionName as Lambda reads it; a part not given is empty."""

    name: str
    qualifier: str
    region: str
    account: str


# Lambda's NamespacedFunctionName (botocore's model): a name, an ARN or a partial ARN, each with
# an optional qualifier (a version or an alias)
_FUNCTION_NAME = re.compile(
    r"(?:arn:(?:aws[a-zA-Z-]*)?:lambda:)?"
    r"(?:(?P<region>(?:eusc-)?[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d):)?"
    r"(?:(?P<account>\d{12}):)?"
    r"(?:function:)?"
    r"(?P<name>[a-zA-Z0-9\-_.]+)"
    r"(?::(?P<qualifier>\$LATEST(?:\.PUBLISHED)?|[a-zA-Z0-9\-_]+))?"
)


def function_name_parts(text: str) -> FunctionName | None:
    """The parts of a FunctionName, or None when Lambda's pattern refuses it."""
    match = _FUNCTION_NAME.fullmatch(text)
    if match is None:
        return None
    return FunctionName(match["name"], match["qualifier"] or "", match["region"] or "", match["account"] or "")


class StackState:
    """Every stack of the local cloud, one lock for all of them, and their files."""

    def __init__(self, state_file: Path | None = None) -> None:
        self.lock = threading.RLock()
        self.stacks: dict[str, StackRecord] = {}
        self.deleted: dict[str, StackRecord] = {}
        self.change_sets: dict[str, ChangeSetRecord] = {}
        self.events: dict[str, list[StackEvent]] = {}
        self._frozen = False  # the local cloud is stopping: nothing more is written
        self._state_file = WholeFile(state_file) if state_file else None
        self._history_file = WholeFile(state_file.with_name(f"{state_file.stem}-history.json")) if state_file else None
        self._events_file = (
            AppendLog(state_file.with_name(f"{state_file.stem}-events.jsonl"), "the stack events")
            if state_file
            else None
        )
        if self._state_file is not None:
            self.stacks = self._state_file.read_json() or {}
        if self._history_file is not None:
            history = self._history_file.read_json()
            if history is not None:
                self.deleted, self.change_sets = history["deleted"], history["change_sets"]
        if self._events_file is not None:
            event: StackEvent
            for event in self._events_file.read():
                self.events.setdefault(event["StackId"], []).append(event)

    def freeze(self) -> None:
        """Write nothing from now on: the local cloud is stopping, and what its operations do
        after this (fail as the services go) is not theirs to record. A restart concludes them
        from the files as they were (recovery.py)."""
        with self.lock:
            self._frozen = True

    @property
    def frozen(self) -> bool:
        return self._frozen

    def save(self) -> None:
        """Write the stacks and the history, each whole, when it changed."""
        if self._state_file is not None and self._history_file is not None and not self._frozen:
            with self.lock:
                self._state_file.write_json(self.stacks)
                self._history_file.write_json({"deleted": self.deleted, "change_sets": self.change_sets})

    def store(self, record: StackRecord, logical_id: str, entry: ResourceRecord) -> None:
        with self.lock:
            record["resources"][logical_id] = entry
            self.save()

    def deployed(self) -> dict[str, StackRecord]:
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

    def function(self, name_or_arn: str) -> ResourceRecord | None:
        """The AWS::Lambda::Function of any stack that Lambda would find by this FunctionName: its
        name, its ARN or a partial ARN (`123456789012:function:name`), each unqualified or
        qualified with `$LATEST` (the only version here)."""
        wanted = function_name_parts(name_or_arn)
        if wanted is None or wanted.qualifier not in ("", "$LATEST"):
            return None
        for entry in self.functions():
            found = function_name_parts(str(entry["attributes"].get("Arn", "")))
            if (
                found is not None
                and found.name == wanted.name
                and wanted.region in ("", found.region)
                and wanted.account in ("", found.account)
            ):
                return entry
        return None

    def functions(self) -> list[ResourceRecord]:
        """Every AWS::Lambda::Function of every stack (copies), as long as it exists: a replaced
        one until its stack's cleanup deletes it."""
        with self.lock:
            return [
                entry.copy()
                for record in self.stacks.values()
                for entry in record["resources"].values()
                if entry["type"] == "AWS::Lambda::Function"
            ]

    def find(self, name_or_id: str) -> StackRecord | None:
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
        record: StackRecord,
        logical_id: str,
        physical_id: str,
        resource_type: str,
        status: str,
        reason: str = "",
        properties: Any = None,
    ) -> StackEvent:
        """Record one stack event; timestamps never go backwards within a stack."""
        with self.lock:
            events = self.events.setdefault(record["stack_id"], [])
            now = time.time()
            if events and now <= events[-1]["Timestamp"]:
                now = events[-1]["Timestamp"] + 0.001
            event: StackEvent = {
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
            if self._events_file is not None and not self._frozen:
                self._events_file.append([event])  # on disk before anyone is shown it
            events.append(event)
            return event

    def events_of(self, stack_id: str) -> list[StackEvent]:
        with self.lock:
            return list(self.events.get(stack_id, []))
