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

from ..assembly import StackArtifact
from ..intrinsics import Context, TemplateError, resolve
from ..plan import dependencies, run_graph
from ..ssm import ParameterNotFound
from .custom_resources import CustomResources, is_custom
from .errors import Cancelled, ResourceFailed
from .resources import Environment, NativeType, Request, native_type
from .settings import Progress, Settings
from .state import StackState

SSM_PARAMETER_TYPE = "AWS::SSM::Parameter::Value<"


def invented_id(stack: str, logical_id: str) -> str:
    """The id CloudFormation invents for a custom resource whose Create never answered."""
    return f"{stack}-{logical_id}-{''.join(secrets.choice(string.ascii_uppercase) for _ in range(12))}"


class ResourceOperations:
    def __init__(
        self,
        state: StackState,
        custom: CustomResources,
        environment: Environment,
        settings: Settings,
        progress: Progress,
    ) -> None:
        self._state = state
        self._custom = custom
        self._environment = environment
        self._settings = settings
        self._progress = progress

    def native(self, resource_type: str, logical_id: str) -> NativeType:
        return native_type(resource_type, self._environment, logical_id)

    # --- intrinsics ----------------------------------------------------------------------------

    def context(self, record: dict[str, Any], template: dict[str, Any]) -> Context:
        """What intrinsic functions resolve against: this stack's resources, parameters, exports."""

        def ref(logical_id: str) -> str:
            resource = record["resources"].get(logical_id)
            if resource is None:
                raise TemplateError(f"Ref to {logical_id}, which does not exist")
            return str(resource["physical_id"])

        def get_att(logical_id: str, attribute: str) -> Any:
            resource = record["resources"].get(logical_id)
            if resource is None or attribute not in resource["attributes"]:
                raise TemplateError(f"{logical_id} has no attribute {attribute}")
            return resource["attributes"][attribute]

        parameters = self.parameter_values(template)
        pseudo = {
            "AWS::Region": self._settings.region,
            "AWS::AccountId": self._settings.account,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": record["stack_name"],
            "AWS::StackId": record["stack_id"],
        }
        return Context(
            pseudo=pseudo,
            parameters=parameters,
            ref=ref,
            get_att=get_att,
            conditions=template.get("Conditions", {}),
            exports=self._state.exports(),
        )

    def parameter_values(self, template: dict[str, Any]) -> dict[str, str]:
        """The template's parameters: defaults, and SSM parameter types read from the Parameter Store."""
        values = {}
        for name, parameter in template.get("Parameters", {}).items():
            default = str(parameter.get("Default", ""))
            if str(parameter.get("Type", "")).startswith(SSM_PARAMETER_TYPE):
                try:
                    default = self._environment.parameters.get(default)
                except ParameterNotFound:
                    raise TemplateError(f"SSM parameter {default} (template parameter {name}) does not exist") from None
            values[name] = default
        return values

    def resolve_properties(self, record: dict[str, Any], artifact: StackArtifact, logical_id: str) -> dict[str, Any]:
        definition = artifact.template["Resources"][logical_id]
        with self._state.lock:
            resolved = resolve(definition.get("Properties", {}), self.context(record, artifact.template))
        return dict(resolved)

    # --- create, update, delete ----------------------------------------------------------------

    def create(self, record: dict[str, Any], artifact: StackArtifact, logical_id: str, cancel: threading.Event) -> None:
        definition = artifact.template["Resources"][logical_id]
        resource_type = definition["Type"]
        stack = record["stack_name"]
        self._emit(stack, logical_id, resource_type, "CREATE_IN_PROGRESS")
        properties = self.resolve_properties(record, artifact, logical_id)
        entry = {
            "type": resource_type,
            "properties": properties,
            "deletion_policy": definition.get("DeletionPolicy", "Delete"),
        }
        try:
            if is_custom(resource_type):
                physical_id, attributes = self._custom.create(record, logical_id, properties, cancel)
            else:
                request = Request(stack, logical_id, properties, artifact.assets)
                physical_id, attributes = self.native(resource_type, logical_id).create(request)
        except Cancelled:
            # CloudFormation deletes a cancelled custom resource with an id of its own invention.
            self._state.store(
                record, logical_id, {**entry, "physical_id": invented_id(stack, logical_id), "attributes": {}}
            )
            self._emit(stack, logical_id, resource_type, "CREATE_FAILED", "Resource creation cancelled")
            raise
        except ResourceFailed as error:
            if is_custom(resource_type) or error.physical_id:
                # The rollback Delete carries the FAILED answer's id; with no answer, an invented one.
                physical_id = error.physical_id or invented_id(stack, logical_id)
                self._state.store(record, logical_id, {**entry, "physical_id": physical_id, "attributes": {}})
            self._emit(stack, logical_id, resource_type, "CREATE_FAILED", str(error))
            raise
        except Exception as error:
            self._emit(stack, logical_id, resource_type, "CREATE_FAILED", str(error))
            raise
        self._state.store(record, logical_id, {**entry, "physical_id": physical_id, "attributes": attributes})
        self._emit(stack, logical_id, resource_type, "CREATE_COMPLETE")

    def update(
        self,
        record: dict[str, Any],
        artifact: StackArtifact,
        logical_id: str,
        properties: dict[str, Any],
        cancel: threading.Event,
    ) -> bool:
        """Update in place or by replacement; True when the physical id changed."""
        current = record["resources"][logical_id]
        resource_type = current["type"]
        stack = record["stack_name"]
        self._emit(stack, logical_id, resource_type, "UPDATE_IN_PROGRESS")
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
                request = Request(stack, logical_id, properties, artifact.assets)
                physical_id, attributes = self.native(resource_type, logical_id).update(request, current)
        except Exception as error:
            self._emit(stack, logical_id, resource_type, "UPDATE_FAILED", str(error))
            raise
        replaced = bool(physical_id != current["physical_id"])
        entry = {
            "type": resource_type,
            "properties": properties,
            "physical_id": physical_id,
            "attributes": attributes,
            "deletion_policy": artifact.template["Resources"][logical_id].get("DeletionPolicy", "Delete"),
        }
        self._state.store(record, logical_id, entry)
        self._emit(stack, logical_id, resource_type, "UPDATE_COMPLETE", "replaced" if replaced else "")
        return replaced

    def delete_all(self, record: dict[str, Any], logical_ids: list[str], *, keep_retained: bool) -> list[str]:
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
            if keep_retained and entry.get("deletion_policy") == "Retain":
                self._emit(record["stack_name"], name, entry["type"], "DELETE_SKIPPED")
                with self._state.lock:
                    resources.pop(key)
                return
            self._emit(record["stack_name"], name, entry["type"], "DELETE_IN_PROGRESS")
            try:
                self.delete_one(record, name, entry)
            except Exception as error:
                self._emit(record["stack_name"], name, entry["type"], "DELETE_FAILED", str(error))
                problems.append(f"{name}: {error}")
                raise
            with self._state.lock:
                resources.pop(key)
                self._state.save()
            self._emit(record["stack_name"], name, entry["type"], "DELETE_COMPLETE")

        # A failed delete stops the ones depending on it: they are kept, as CloudFormation keeps them.
        run_graph(list(reversed(targets)), dependents, delete)
        return problems

    def delete_one(self, record: dict[str, Any], logical_id: str, entry: dict[str, Any]) -> None:
        if is_custom(entry["type"]):
            self._custom.invoke(
                record, logical_id, "Delete", entry["properties"], threading.Event(), physical_id=entry["physical_id"]
            )
        else:
            self.native(entry["type"], logical_id).delete(entry)

    def _emit(self, stack: str, logical_id: str, resource_type: str, status: str, reason: str = "") -> None:
        self._progress(stack, logical_id, resource_type, status, reason)
