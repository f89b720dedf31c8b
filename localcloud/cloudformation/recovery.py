"""What a restart does to the stack operations it cut short: it concludes each the way
CloudFormation concludes one whose resources timed out, so that the user's next command works.

While an operation runs, its stack record keeps what a restart needs (`operation`: a create's
OnFailure, an update's stack as it was and what its cleanup has still to delete, an import's
stack as it was), and its events, appended as they happen, say which resources were in the
middle of a step. At start, each stack still *_IN_PROGRESS (but REVIEW_IN_PROGRESS) is concluded
in a thread of its own while the endpoint serves (custom resources' functions call it):

- a create fails: every resource in the middle of its create is cancelled ("Resource creation
  cancelled: the local cloud stopped during this operation"), a custom resource with the
  physical id CloudFormation invents for a Create that never answered, so that the rollback's
  Delete lets its provider find what the Create made (the construct's ownership tags); the stack
  then ends as OnFailure says (ROLLBACK_COMPLETE by default);
- a create's rollback goes on, its Deletes sent again;
- an update rolls back (UPDATE_ROLLBACK_COMPLETE): what it created is deleted, what it changed is
  returned (a custom resource's rollback Update carries as "old" properties what the update had
  sent it); an update's rollback goes on the same way, from where it stopped;
- an update's cleanup goes on (UPDATE_COMPLETE), and a rollback's cleanup ends;
- an import is rolled back (IMPORT_ROLLBACK_COMPLETE): it made nothing;
- a delete is retried (`StackEngine.conclude`).

Known gap: a native resource whose create or replacement was cut short is in no stack, and what
its service made meanwhile is left behind.
"""

from __future__ import annotations

from typing import Any

from .context import STACK_TYPE, Deployment, EngineContext
from .custom_resources import is_custom
from .deployment import StackDeployment
from .intrinsics import TemplateError
from .resource_operations import ResourceOperations, invented_id
from .state import OperationRecord, ResourceRecord, StackRecord

STOPPED = "The local cloud stopped during this operation."
ROLLBACK_GOES_ON = "The local cloud stopped during the rollback; it goes on from where it stopped."
DELETE_RETRIED = "The local cloud stopped during this operation; the delete is retried."
CREATE_CANCELLED = "Resource creation cancelled: the local cloud stopped during this operation"
UPDATE_CANCELLED = "Resource update cancelled: the local cloud stopped during this operation"


class Recovery:
    """Concludes one stack's interrupted operation with the engine's own steps (all but a delete,
    which the engine retries itself)."""

    def __init__(self, context: EngineContext, operations: ResourceOperations, deployment: StackDeployment) -> None:
        self._context = context
        self._state = context.state
        self._operations = operations
        self._deployment = deployment

    def conclude(self, record: StackRecord) -> None:
        """End the stack's operation; DeploymentFailed when it ends failed (a create rolled back)."""
        status = str(record.get("status", ""))
        operation: OperationRecord = record.get("operation", {})
        if status == "CREATE_IN_PROGRESS":
            cancelled = self.cancel_creates(record)
            on_failure = operation.get("on_failure", "ROLLBACK")
            self._deployment.fail_create(record, on_failure, cancelled, f"{STOPPED} ")
        elif status == "ROLLBACK_IN_PROGRESS":
            self.cancel_creates(record)
            self._deployment.fail_create(record, "ROLLBACK", {}, f"{ROLLBACK_GOES_ON} ")
        elif status in ("UPDATE_IN_PROGRESS", "UPDATE_ROLLBACK_IN_PROGRESS"):
            self._roll_back_update(record, operation, rolling_back=status == "UPDATE_ROLLBACK_IN_PROGRESS")
        elif status == "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS":
            previous = operation.get("previous", record)
            self._deployment.clean_up(record, previous["template"], operation.get("cleanup", {}))
            self._context.stack_event(record, "UPDATE_COMPLETE")
        elif status == "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS":
            self._context.stack_event(record, "UPDATE_ROLLBACK_COMPLETE")
        elif status in ("IMPORT_IN_PROGRESS", "IMPORT_ROLLBACK_IN_PROGRESS"):
            previous = operation.get("previous", record)
            self._deployment.forget_imports(record, previous, operation.get("imports", []), STOPPED)

    def in_flight(self, record: StackRecord) -> dict[str, str]:
        """Logical id -> the step (CREATE, UPDATE, DELETE) each resource was in the middle of: its
        last event is *_IN_PROGRESS. Every step that ends says so, so an older one cannot linger."""
        last: dict[str, str] = {}
        for event in self._state.events_of(record["stack_id"]):
            if event["ResourceType"] == STACK_TYPE and event["LogicalResourceId"] == record["stack_name"]:
                continue
            last[event["LogicalResourceId"]] = event["ResourceStatus"]
        return {
            logical_id: status.removesuffix("_IN_PROGRESS")
            for logical_id, status in last.items()
            if status.endswith("_IN_PROGRESS")
        }

    def cancel_creates(self, record: StackRecord) -> dict[str, str]:
        """Cancel every create that was in progress: a custom resource joins the stack with an
        invented physical id (its Create was sent, and no answer came), so that a Delete goes to
        its provider; a native one made nothing the stack knows of. Logical id -> the reason."""
        resources = record.get("template", {}).get("Resources", {})
        deployment = Deployment(record["stack_name"], record.get("template", {}))
        cancelled: dict[str, str] = {}
        for logical_id, step in self.in_flight(record).items():
            if step != "CREATE" or logical_id in record["resources"] or logical_id not in resources:
                continue
            definition = resources[logical_id]
            physical_id = ""
            if is_custom(definition["Type"]):
                try:
                    properties = self._operations.resolve_properties(record, deployment, logical_id)
                except TemplateError:
                    properties = None  # they never resolved, so no Create was sent
                if properties is not None:
                    physical_id = invented_id(record["stack_name"], logical_id)
                    entry: ResourceRecord = {
                        "type": definition["Type"],
                        "properties": properties,
                        "deletion_policy": definition.get("DeletionPolicy", "Delete"),
                        "physical_id": physical_id,
                        "attributes": {},
                    }
                    self._state.store(record, logical_id, entry)
            self._context.emit(record, logical_id, definition["Type"], "CREATE_FAILED", CREATE_CANCELLED, physical_id)
            cancelled[logical_id] = CREATE_CANCELLED
        return cancelled

    def _roll_back_update(self, record: StackRecord, operation: OperationRecord, *, rolling_back: bool) -> None:
        """Return the stack to what it was before the update, from wherever the update or its
        rollback stopped: what differs from the stack as it was is touched, and so is a custom
        resource whose Update was in flight."""
        previous = operation.get("previous")
        if previous is None:  # stopped before the update changed anything
            previous = record
        cancelled = self.cancel_creates(record)
        attempted: dict[str, dict[str, Any]] = {}  # a custom resource's rollback "old" properties
        if not rolling_back:
            deployment = Deployment(record["stack_name"], record["template"])
            for logical_id, step in self.in_flight(record).items():
                entry = record["resources"].get(logical_id)
                if step != "UPDATE" or entry is None:
                    continue
                try:
                    attempted[logical_id] = self._operations.resolve_properties(record, deployment, logical_id)
                except TemplateError:
                    continue  # never sent
                physical_id = entry["physical_id"]
                self._context.emit(record, logical_id, entry["type"], "UPDATE_FAILED", UPDATE_CANCELLED, physical_id)
                cancelled[logical_id] = UPDATE_CANCELLED
        touched = [lid for lid, entry in record["resources"].items() if entry != previous["resources"].get(lid)]
        touched += [lid for lid in attempted if lid not in touched]
        for logical_id in touched:
            old = previous["resources"].get(logical_id)
            if old is not None and is_custom(old["type"]) and logical_id not in attempted:
                attempted[logical_id] = record["resources"][logical_id]["properties"]
        reason = ROLLBACK_GOES_ON if rolling_back else STOPPED
        if cancelled and not rolling_back:
            reason += f" The following resource(s) failed to update: [{', '.join(sorted(cancelled))}]."
        self._context.stack_event(record, "UPDATE_ROLLBACK_IN_PROGRESS", reason)
        self._deployment.roll_back_update(record, previous, touched, attempted)
        self._context.stack_event(record, "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS")
        self._context.stack_event(record, "UPDATE_ROLLBACK_COMPLETE")
