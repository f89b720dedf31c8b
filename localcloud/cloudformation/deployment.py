"""How one stack is created, updated or given existing resources (an import): the resources in
dependency order, then rollback or cleanup.

CloudFormation's rules, followed here:

- a failed Create rolls the stack back: each created resource is deleted, a failed custom
  resource with the PhysicalResourceId of its FAILED answer, a cancelled one with an invented id;
  the stack stays, in ROLLBACK_COMPLETE, until it is deleted (OnFailure DELETE deletes it too,
  DO_NOTHING and DisableRollback leave it CREATE_FAILED with what it made);
- an Update that answers a new PhysicalResourceId gets a cleanup Delete of the old one; a failed
  update is rolled back with Updates carrying the old properties (a custom resource's "old"
  properties are then the failed attempt's), unless DisableRollback leaves it UPDATE_FAILED;
- an import reads each resource from its service and makes nothing; a failed one is forgotten
  again, and the stack is as it was;
- an export another stack imports may be neither changed nor removed.

Independent resources take their step at the same time (`graph.run_graph`); what a step does to
one resource is `ResourceOperations`' business.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Mapping
from typing import Any

from . import exports
from .context import USER_INITIATED, Deployment, EngineContext
from .custom_resources import is_custom
from .errors import Cancelled, DeploymentFailed, ResourceFailed
from .graph import dependencies, run_graph
from .intrinsics import TemplateError, condition, resolve
from .parameters import Settled
from .resource_operations import ResourceOperations
from .settings import Settings
from .state import ResourceRecord, StackRecord


def new_record(name: str, settings: Settings) -> StackRecord:
    """A stack that has not been deployed yet."""
    return {
        "stack_name": name,
        "stack_id": f"arn:aws:cloudformation:{settings.region}:{settings.account}:stack/{name}/{uuid.uuid4()}",
        "template": {},
        "resources": {},
        "outputs": {},
        "exports": {},
        "creation_time": time.time(),
    }


def adopt(record: StackRecord, deployment: Deployment) -> None:
    """The stack takes the deployment's template, body, parameters and description."""
    assert deployment.parameters is not None
    record["template"] = deployment.template
    record["template_body"] = deployment.template_body
    record["parameters"] = deployment.parameters.as_record()
    record["description"] = deployment.template.get("Description", record.get("description", ""))
    if deployment.change_set_id:
        record["change_set_id"] = deployment.change_set_id


class StackDeployment:
    """Creates or updates stacks, each a whole operation ending in a final status or DeploymentFailed."""

    def __init__(self, context: EngineContext, operations: ResourceOperations) -> None:
        self._context = context
        self._state = context.state
        self._operations = operations
        self._custom = context.custom

    def create(self, deployment: Deployment) -> dict[str, str]:
        name = deployment.stack_name
        with self._state.lock:
            record = self._state.stacks.get(name) or new_record(name, self._context.settings)
            adopt(record, deployment)
            record["operation"] = {"on_failure": deployment.on_failure}
            self._state.stacks[name] = record
        self._context.stack_event(record, "CREATE_IN_PROGRESS", USER_INITIATED)
        wanted = self.wanted_resources(record, deployment.template)
        failed, cancelled = run_graph(
            wanted,
            dependencies(deployment.template, wanted),
            lambda logical_id, cancel: self._operations.create(record, deployment, logical_id, cancel),
        )
        if failed or cancelled:
            self.fail_create(record, deployment.on_failure, failed)
        self._finish(record, deployment)
        self._context.stack_event(record, "CREATE_COMPLETE")
        return dict(record["outputs"])

    def fail_create(self, record: StackRecord, on_failure: str, failed: Mapping[str, object], cause: str = "") -> None:
        """End a failed create as `on_failure` says: rolled back (ROLLBACK_COMPLETE), deleted with
        its stack (DELETE_COMPLETE), or left as it is (CREATE_FAILED); DeploymentFailed. `cause`
        opens the stack event's reason, before the resources that failed."""
        name, reason = record["stack_name"], cause + _failed_reason(failed, "create")
        if on_failure == "DO_NOTHING":
            self._state.save()
            self._context.stack_event(record, "CREATE_FAILED", reason.strip())
            raise DeploymentFailed(f"{name}: CREATE_FAILED: {_summary(failed) or cause}")
        step = "DELETE" if on_failure == "DELETE" else "ROLLBACK"
        self._context.stack_event(record, f"{step}_IN_PROGRESS", f"{reason}{step.title()} requested by user.")
        problems = self._operations.delete_all(record, list(record["resources"]), keep_retained=False)
        if problems:
            self._state.save()
            self._context.stack_event(
                record, f"{step}_FAILED", _failed_reason({p.split(":")[0]: p for p in problems}, "delete")
            )
            raise DeploymentFailed(f"{name}: {step}_FAILED: {'; '.join(problems)}")
        record["outputs"], record["exports"] = {}, {}
        self._context.stack_event(record, f"{step}_COMPLETE")
        raise DeploymentFailed(f"{name}: CREATE_FAILED: {_summary(failed) or cause}")

    def import_resources(self, deployment: Deployment) -> dict[str, str]:
        """An IMPORT change set: each resource to import read from its service and recorded, in
        dependency order; the rest of the stack as it was. A failed import forgets what was
        imported (nothing was made, so nothing is deleted) and leaves the stack as it was."""
        name = deployment.stack_name
        with self._state.lock:
            record = self._state.stacks.get(name) or new_record(name, self._context.settings)
            self._state.stacks[name] = record
        previous: StackRecord = json.loads(json.dumps(record))
        if record.get("status") not in ("REVIEW_IN_PROGRESS", None):
            record["last_updated_time"] = time.time()
        imports = list(deployment.imports)
        record["operation"] = {"previous": previous, "imports": imports}
        self._context.stack_event(record, "IMPORT_IN_PROGRESS", USER_INITIATED)
        adopt(record, deployment)
        failed, cancelled = run_graph(
            imports,
            dependencies(deployment.template, imports),
            lambda logical_id, _cancel: self._operations.adopt(
                record, deployment, logical_id, deployment.imports[logical_id]
            ),
        )
        if failed or cancelled:
            self.forget_imports(record, previous, imports, _failed_reason(failed, "import").strip())
            raise DeploymentFailed(f"{name}: IMPORT_FAILED: {_summary(failed)}")
        self._finish(record, deployment)
        self._context.stack_event(record, "IMPORT_COMPLETE")
        return dict(record["outputs"])

    def forget_imports(self, record: StackRecord, previous: StackRecord, imports: list[str], reason: str) -> None:
        """Roll an import back: what it adopted leaves the stack (and stays in its service), and the
        stack's template is what it was (IMPORT_ROLLBACK_COMPLETE)."""
        self._context.stack_event(record, "IMPORT_ROLLBACK_IN_PROGRESS", reason)
        for logical_id in imports:
            entry = record["resources"].pop(logical_id, None)
            if entry is not None:  # left out of the stack, and in its service as it was
                self._context.emit(record, logical_id, entry["type"], "DELETE_SKIPPED", "", entry["physical_id"])
        with self._state.lock:
            for key in ("template", "template_body", "parameters", "description"):
                if key in previous:
                    record[key] = previous[key]
            self._state.save()
        self._context.stack_event(record, "IMPORT_ROLLBACK_COMPLETE")

    def update(self, deployment: Deployment) -> dict[str, str]:
        name = deployment.stack_name
        record = self._state.stacks[name]
        previous: StackRecord = json.loads(json.dumps(record))  # what a rollback returns to: a deep copy
        record["last_updated_time"] = time.time()
        record["operation"] = {"previous": previous}  # kept with the stack: a restart rolls back to it
        self._context.stack_event(record, "UPDATE_IN_PROGRESS", USER_INITIATED)
        adopt(record, deployment)
        wanted = self.wanted_resources(record, deployment.template)
        cleanup: list[tuple[str, ResourceRecord]] = []  # (logical id, the resource as it was) to delete
        touched: list[str] = []
        attempted: dict[str, dict[str, Any]] = {}  # the properties each update tried: a rollback's "old"

        def update(logical_id: str, cancel: threading.Event) -> None:
            old = previous["resources"].get(logical_id)
            definition = deployment.template["Resources"][logical_id]
            if old is None or old["type"] != definition["Type"]:
                if old is not None:
                    cleanup.append((logical_id, old))
                touched.append(logical_id)
                self._operations.create(record, deployment, logical_id, cancel)
                return
            try:
                properties = self._operations.resolve_properties(record, deployment, logical_id)
            except TemplateError as error:
                self._context.emit(record, logical_id, old["type"], "UPDATE_FAILED", str(error), old["physical_id"])
                raise
            if properties == old["properties"]:
                return
            touched.append(logical_id)
            attempted[logical_id] = properties
            if self._operations.update(record, deployment, logical_id, properties, cancel):
                cleanup.append((logical_id, old))

        failed, cancelled = run_graph(wanted, dependencies(deployment.template, wanted), update)
        problem = _summary(failed)
        created = {lid: e for lid, e in failed.items() if lid not in previous["resources"]}
        updated = {lid: e for lid, e in failed.items() if lid in previous["resources"]}
        reason = _failed_reason(created, "create") + _failed_reason(updated, "update")
        if not (failed or cancelled):
            # An export another stack imports may be neither changed nor removed.
            _, new_exports = self._outputs(record, deployment.template)
            problem = reason = "; ".join(
                exports.refusals(previous["exports"], new_exports, exports.importers(self._state.deployed(), name))
            )
        if (failed or cancelled) and deployment.on_failure == "DO_NOTHING":
            # DisableRollback: the stack stays as the failure left it, UPDATE_FAILED, for another try
            self._state.save()
            self._context.stack_event(record, "UPDATE_FAILED", reason.strip())
            raise DeploymentFailed(f"{name}: UPDATE_FAILED: {problem}")
        if failed or cancelled or problem:
            self._context.stack_event(record, "UPDATE_ROLLBACK_IN_PROGRESS", reason)
            self.roll_back_update(record, previous, touched, attempted)
            self._context.stack_event(record, "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS")
            self._context.stack_event(record, "UPDATE_ROLLBACK_COMPLETE")
            raise DeploymentFailed(f"{name}: UPDATE_FAILED: {problem}")
        removed = [logical_id for logical_id in previous["resources"] if logical_id not in wanted]
        for logical_id in removed:
            cleanup.append((logical_id, record["resources"].pop(logical_id)))
        self._finish(record, deployment)
        # kept with the stack, and emptied as it goes: a restart deletes what is left
        staged: dict[str, ResourceRecord] = {
            f"{logical_id}#old": {**old, "logical_id": logical_id} for logical_id, old in cleanup
        }
        record.setdefault("operation", {})["cleanup"] = staged
        self._context.stack_event(record, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS")
        self.clean_up(record, previous["template"], staged)
        self._context.stack_event(record, "UPDATE_COMPLETE")
        return dict(record["outputs"])

    def clean_up(self, record: StackRecord, template: dict[str, Any], staged: dict[str, ResourceRecord]) -> None:
        """Delete what an update replaced or removed (`staged`, by "<id>#old", each gone from it
        once deleted), in the previous `template`'s order. A cleanup failure leaves the old
        resource behind; the update itself stands."""
        if not staged:
            return
        cleaning: StackRecord = {
            "stack_name": record["stack_name"],
            "stack_id": record["stack_id"],
            "template": template,
            "resources": staged,
            # what a stack record holds besides: the deletes read none of it
            "outputs": {},
            "exports": {},
            "creation_time": record["creation_time"],
        }
        self._operations.delete_all(cleaning, list(staged), keep_retained=True)

    def roll_back_update(
        self, record: StackRecord, previous: StackRecord, touched: list[str], attempted: dict[str, dict[str, Any]]
    ) -> None:
        """Return each touched resource to its previous properties; delete what the update created."""
        created = [
            logical_id
            for logical_id in touched
            if logical_id not in previous["resources"] and logical_id in record["resources"]
        ]
        self._operations.delete_all(record, created, keep_retained=False)
        for logical_id in reversed(touched):
            old = previous["resources"].get(logical_id)
            current = record["resources"].get(logical_id)
            if old is None or current is None:
                continue
            if is_custom(old["type"]):
                self._roll_back_custom(record, logical_id, old, current, attempted)
            else:
                if current["physical_id"] != old["physical_id"]:
                    # the replacement made by the failed update
                    self._context.native(current["type"], logical_id).delete(current)
                record["resources"][logical_id] = old
                self._context.emit(record, logical_id, old["type"], "UPDATE_COMPLETE", "", old["physical_id"])
        for key in ("template", "template_body", "parameters", "outputs", "exports", "description"):
            if key in previous:
                record[key] = previous[key]
        self._state.save()

    def _roll_back_custom(
        self,
        record: StackRecord,
        logical_id: str,
        old: ResourceRecord,
        current: ResourceRecord,
        attempted: dict[str, dict[str, Any]],
    ) -> None:
        self._context.emit(record, logical_id, old["type"], "UPDATE_IN_PROGRESS", "", current["physical_id"])
        try:
            # CloudFormation's rollback Update: the old properties are the failed attempt's.
            answer_id, data = self._custom.invoke(
                record,
                logical_id,
                "Update",
                old["properties"],
                threading.Event(),
                physical_id=current["physical_id"],
                old_properties=attempted.get(logical_id, current["properties"]),
            )
        except (ResourceFailed, Cancelled) as error:
            self._context.emit(record, logical_id, old["type"], "UPDATE_FAILED", str(error), current["physical_id"])
            return
        if answer_id != current["physical_id"]:
            stale: ResourceRecord = {**current, "logical_id": logical_id}
            staged: StackRecord = {**record, "resources": {f"{logical_id}#stale": stale}}
            self._operations.delete_all(staged, [f"{logical_id}#stale"], keep_retained=False)
        record["resources"][logical_id] = {**old, "physical_id": answer_id, "attributes": data}
        self._context.emit(record, logical_id, old["type"], "UPDATE_COMPLETE", "", answer_id)

    def _finish(self, record: StackRecord, deployment: Deployment) -> None:
        record["outputs"], record["exports"] = self._outputs(record, deployment.template)
        context = self._context.intrinsics(record, deployment.template)
        record["export_names"] = {
            output_id: str(resolve(output["Export"]["Name"], context))
            for output_id, output in deployment.template.get("Outputs", {}).items()
            if output_id in record["outputs"] and "Export" in output
        }
        self._state.save()

    def _outputs(self, record: StackRecord, template: dict[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
        """The template's outputs and exports, resolved against the stack as it is now."""
        context = self._context.intrinsics(record, template)
        outputs, found = {}, {}
        for output_id, output in template.get("Outputs", {}).items():
            if "Condition" in output and not condition(output["Condition"], context):
                continue
            value = resolve(output["Value"], context)
            value = ",".join(str(item) for item in value) if isinstance(value, list) else str(value)
            outputs[output_id] = value
            if "Export" in output:
                found[str(resolve(output["Export"]["Name"], context))] = value
        return outputs, found

    def wanted_resources(
        self, record: StackRecord, template: dict[str, Any], settled: Settled | None = None
    ) -> list[str]:
        """The template's resources whose Condition holds (with these parameters, or the stack's)."""
        context = self._context.intrinsics(record, template, settled)
        return [
            logical_id
            for logical_id, definition in template.get("Resources", {}).items()
            if "Condition" not in definition or condition(definition["Condition"], context)
        ]


def _summary(failed: Mapping[str, object]) -> str:
    return "; ".join(f"{logical_id}: {error}" for logical_id, error in failed.items())


def _ids(problems: list[str]) -> list[str]:
    return [problem.split(":")[0] for problem in problems]


def _failed_reason(failed: Mapping[str, object], action: str) -> str:
    if not failed:
        return ""
    return f"The following resource(s) failed to {action}: [{', '.join(sorted(failed))}]. "
