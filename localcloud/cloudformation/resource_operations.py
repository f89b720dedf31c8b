"""One resource's step in a stack operation: create, update or delete it, native or custom.

The stack engine decides what happens to which resource and in which order; this module does it
to one resource: resolves its properties, hands it to its native type or to the custom-resource
invoker, records the outcome in the stack's state, and reports progress as CloudFormation's
events would.
"""

from __future__ import annotations

import secrets
import string
import threading
from typing import Any

from .context import Deployment, EngineContext
from .custom_resources import is_custom
from .errors import Cancelled, ResourceFailed
from .graph import dependencies, run_graph
from .intrinsics import attributes_read, resolve
from .resources import ResourceRequest
from .state import ResourceRecord, StackRecord

# What a stack delete or an update's cleanup keeps: RetainExceptOnCreate deletes only what a failed
# create made (a rollback, which deletes without keeping).
RETAINED = ("Retain", "RetainExceptOnCreate")


def invented_id(stack: str, logical_id: str) -> str:
    """The id CloudFormation invents for a custom resource whose Create never answered."""
    return f"{stack}-{logical_id}-{''.join(secrets.choice(string.ascii_uppercase) for _ in range(12))}"


class ResourceOperations:
    """One resource's create, update or delete, with the engine's shared parts (`EngineContext`)."""

    def __init__(self, context: EngineContext) -> None:
        self._context = context
        self._state = context.state
        self._custom = context.custom
        self._emit = context.emit  # every step is a stack event

    def resolve_properties(self, record: StackRecord, deployment: Deployment, logical_id: str) -> dict[str, Any]:
        definition = deployment.template["Resources"][logical_id]
        with self._state.lock:
            resolved = resolve(definition.get("Properties", {}), self._context.intrinsics(record, deployment.template))
        return dict(resolved)

    # --- create, update, delete ----------------------------------------------------------------

    def create(self, record: StackRecord, deployment: Deployment, logical_id: str, cancel: threading.Event) -> None:
        self._context.gates.pass_through(f"create:{logical_id}")
        definition = deployment.template["Resources"][logical_id]
        resource_type = definition["Type"]
        stack = record["stack_name"]
        self._emit(record, logical_id, resource_type, "CREATE_IN_PROGRESS")
        properties: dict[str, Any] = {}  # until they are resolved

        def entry(physical_id: str, attributes: dict[str, Any]) -> ResourceRecord:
            return {
                "type": resource_type,
                "properties": properties,
                "deletion_policy": definition.get("DeletionPolicy", "Delete"),
                "physical_id": physical_id,
                "attributes": attributes,
            }

        try:
            properties = self.resolve_properties(record, deployment, logical_id)
            if is_custom(resource_type):
                physical_id, attributes = self._custom.create(record, logical_id, properties, cancel)
            else:
                request = native_request(stack, deployment, logical_id, properties)
                physical_id, attributes = self._context.native(resource_type, logical_id).create(request)
        except Cancelled:
            # CloudFormation deletes a cancelled custom resource with an id of its own invention.
            invented = invented_id(stack, logical_id)
            self._state.store(record, logical_id, entry(invented, {}))
            self._emit(record, logical_id, resource_type, "CREATE_FAILED", "Resource creation cancelled", invented)
            raise
        except ResourceFailed as error:
            physical_id = ""
            if is_custom(resource_type) or error.physical_id:
                # The rollback Delete carries the FAILED answer's id; with no answer, an invented one.
                physical_id = error.physical_id or invented_id(stack, logical_id)
                self._state.store(record, logical_id, entry(physical_id, {}))
            self._emit(record, logical_id, resource_type, "CREATE_FAILED", str(error), physical_id)
            raise
        except Exception as error:
            self._emit(record, logical_id, resource_type, "CREATE_FAILED", str(error))
            raise
        self._state.store(record, logical_id, entry(physical_id, attributes))
        self._emit(record, logical_id, resource_type, "CREATE_COMPLETE", "", physical_id)

    def adopt(self, record: StackRecord, deployment: Deployment, logical_id: str, identifier: dict[str, str]) -> None:
        """Import an existing resource: read from its service (nothing is made), then recorded."""
        definition = deployment.template["Resources"][logical_id]
        resource_type = definition["Type"]
        self._emit(record, logical_id, resource_type, "IMPORT_IN_PROGRESS")
        try:
            properties = self.resolve_properties(record, deployment, logical_id)
            physical_id, attributes = self._context.native(resource_type, logical_id).read(identifier)
        except Exception as error:
            self._emit(record, logical_id, resource_type, "IMPORT_FAILED", str(error))
            raise
        entry: ResourceRecord = {
            "type": resource_type,
            "properties": properties,
            "deletion_policy": definition.get("DeletionPolicy", "Delete"),
            "physical_id": physical_id,
            "attributes": attributes,
        }
        self._state.store(record, logical_id, entry)
        self._emit(record, logical_id, resource_type, "IMPORT_COMPLETE", "", physical_id)

    def update(
        self,
        record: StackRecord,
        deployment: Deployment,
        logical_id: str,
        properties: dict[str, Any],
        cancel: threading.Event,
    ) -> bool:
        """Update in place or by replacement; True when the physical id changed."""
        self._context.gates.pass_through(f"update:{logical_id}")
        current = record["resources"][logical_id]
        resource_type = current["type"]
        stack = record["stack_name"]
        self._emit(record, logical_id, resource_type, "UPDATE_IN_PROGRESS", "", current["physical_id"])
        try:
            if is_custom(resource_type):
                physical_id, attributes = self._custom.invoke(
                    record,
                    logical_id,
                    "Update",
                    properties,
                    cancel,
                    physical_id=current["physical_id"],
                    old_properties=current["properties"],
                )
            else:
                request = native_request(stack, deployment, logical_id, properties)
                physical_id, attributes = self._context.native(resource_type, logical_id).update(request, current)
        except Exception as error:
            self._emit(record, logical_id, resource_type, "UPDATE_FAILED", str(error), current["physical_id"])
            raise
        replaced = bool(physical_id != current["physical_id"])
        entry: ResourceRecord = {
            "type": resource_type,
            "properties": properties,
            "physical_id": physical_id,
            "attributes": attributes,
            "deletion_policy": deployment.template["Resources"][logical_id].get("DeletionPolicy", "Delete"),
        }
        self._state.store(record, logical_id, entry)
        self._emit(record, logical_id, resource_type, "UPDATE_COMPLETE", "replaced" if replaced else "", physical_id)
        return replaced

    def delete_all(self, record: StackRecord, logical_ids: list[str], *, keep_retained: bool) -> list[str]:
        """Delete these resources, dependents first; the failures, as text.

        Keys are logical ids, or "<id>#old" for what a cleanup deletes: the template names them by id.
        """
        resources = record["resources"]
        targets = [logical_id for logical_id in logical_ids if logical_id in resources]
        names = {key: resources[key].get("logical_id", key) for key in targets}
        key_of = {name: key for key, name in names.items()}
        in_template = [name for name in names.values() if name in record["template"].get("Resources", {})]
        dependents: dict[str, set[str]] = {key: set() for key in targets}
        for name, needs in dependencies(record["template"], in_template).items():
            for needed in needs:
                dependents[key_of[needed]].add(key_of[name])
        problems: list[str] = []

        def delete(key: str, cancel: threading.Event) -> None:
            entry = resources[key]
            name = entry.get("logical_id", key)
            physical_id = str(entry["physical_id"])
            if keep_retained and entry.get("deletion_policy") in RETAINED:
                self._emit(record, name, entry["type"], "DELETE_SKIPPED", "", physical_id)
                with self._state.lock:
                    resources.pop(key)
                return
            self._context.gates.pass_through(f"delete:{name}")
            self._emit(record, name, entry["type"], "DELETE_IN_PROGRESS", "", physical_id)
            try:
                self.delete_one(record, name, entry)
            except Exception as error:
                self._emit(record, name, entry["type"], "DELETE_FAILED", str(error), physical_id)
                problems.append(f"{name}: {error}")
                raise
            with self._state.lock:
                resources.pop(key)
                self._state.save()
            self._emit(record, name, entry["type"], "DELETE_COMPLETE", "", physical_id)

        # A failed delete stops the ones depending on it: they are kept, as CloudFormation keeps them.
        run_graph(list(reversed(targets)), dependents, delete)
        return problems

    def delete_one(self, record: StackRecord, logical_id: str, entry: ResourceRecord) -> None:
        if is_custom(entry["type"]):
            self._custom.invoke(
                record, logical_id, "Delete", entry["properties"], threading.Event(), physical_id=entry["physical_id"]
            )
        else:
            self._context.native(entry["type"], logical_id).delete(entry)


def native_request(stack: str, deployment: Deployment, logical_id: str, properties: dict[str, Any]) -> ResourceRequest:
    """What a native type is asked to create or update: its resolved properties, and which of its
    attributes the template reads."""
    return ResourceRequest(
        stack,
        logical_id,
        properties,
        deployment.import_existing,
        attribute_names=attributes_read(deployment.template, logical_id),
    )
