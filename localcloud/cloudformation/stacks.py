"""The stack engine: create, update (with rollback and cleanup) and delete of a whole stack.

It follows CloudFormation's rules, driven by the template's dependency graph (independent
resources at the same time):

- a failed Create rolls the stack back: each created resource is deleted, a failed custom
  resource with the PhysicalResourceId of its FAILED answer, a cancelled one with an invented id;
- an Update that answers a new PhysicalResourceId gets a cleanup Delete of the old one; a failed
  update is rolled back with Updates carrying the old properties;
- a destroy deletes in reverse dependency order; a Retain policy keeps the resource.

What happens to one resource is `ResourceOperations`' business; this module decides which
resources take which step, in which order, and what the stack looks like after.
"""

from __future__ import annotations

import json
import threading
import uuid
from pathlib import Path
from typing import Any

from ..assembly import StackArtifact
from ..emulator import Emulator
from ..intrinsics import TemplateError, condition, resolve
from ..plan import dependencies, run_graph
from ..response_server import ResponseServer
from ..ssm import ParameterStore
from . import exports
from .custom_resources import CustomResources, Invocation, is_custom
from .errors import Cancelled, DeploymentFailed, ResourceFailed
from .resource_operations import ResourceOperations
from .resources import Environment
from .settings import Progress, Settings
from .state import StackState

STACK_TYPE = "AWS::CloudFormation::Stack"


class LocalCloud:
    """The emulator, the ResponseURL server, Lambda and the stacks' state, working together."""

    def __init__(
        self,
        emulator: Emulator,
        response_server: ResponseServer,
        *,
        state_file: Path | None = None,
        settings: Settings | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.emulator = emulator
        self.responses = response_server
        self.settings = settings or Settings()
        self.progress: Progress = progress or (lambda *args: None)
        self._state = StackState(state_file)
        self.personalize = emulator.client("personalize", attempts=10)
        self.parameters = ParameterStore(state_file.with_name(f"{state_file.stem}-ssm.json") if state_file else None)
        self._custom = CustomResources(self._state, response_server, self.settings, emulator.client_environment())
        environment = Environment(self.settings.region, self.settings.account, self.personalize, self.parameters)
        self._resources = ResourceOperations(
            self._state, self._custom, environment, self.settings, lambda *event: self.progress(*event)
        )

    @property
    def stacks(self) -> dict[str, dict[str, Any]]:
        return self._state.stacks

    @property
    def invocations(self) -> list[Invocation]:
        return self._custom.invocations

    # --- public operations ---------------------------------------------------------------------

    def deploy(self, artifact: StackArtifact) -> dict[str, str]:
        """Create the stack, or update it to this template; the resolved outputs."""
        try:
            self._resources.parameter_values(artifact.template)  # a missing SSM parameter fails before anything
        except TemplateError as error:
            raise DeploymentFailed(f"{artifact.stack_name}: {error}") from None
        if artifact.stack_name in self.stacks:
            return self._update_stack(artifact)
        return self._create_stack(artifact)

    def destroy(self, stack_name: str) -> None:
        record = self.stacks.get(stack_name)
        if record is None:
            return
        self._emit(stack_name, "DELETE_IN_PROGRESS")
        refused = exports.refusals(record["exports"], None, exports.importers(self.stacks, stack_name))
        if refused:
            self._emit(stack_name, "DELETE_FAILED", "; ".join(refused))
            raise DeploymentFailed(f"{stack_name}: DELETE_FAILED: " + "; ".join(refused))
        failures = self._resources.delete_all(record, list(record["resources"]), keep_retained=True)
        if failures:
            self._state.save()
            self._emit(stack_name, "DELETE_FAILED")
            raise DeploymentFailed(f"{stack_name}: DELETE_FAILED: " + "; ".join(failures))
        del self.stacks[stack_name]
        self._state.save()
        self._emit(stack_name, "DELETE_COMPLETE")

    def outputs(self, stack_name: str) -> dict[str, str]:
        return dict(self.stacks[stack_name]["outputs"])

    def wait_for_invocations(self, timeout: float = 120) -> None:
        """Wait until every Lambda invocation started has ended (cancelled ones go on running)."""
        self._custom.wait_for_invocations(timeout)

    def unanswered(self) -> list[Invocation]:
        """Invocations whose request never got a valid answer at its ResponseURL."""
        return self._custom.unanswered()

    # --- create --------------------------------------------------------------------------------

    def _create_stack(self, artifact: StackArtifact) -> dict[str, str]:
        name = artifact.stack_name
        record: dict[str, Any] = {
            "stack_name": name,
            "stack_id": f"arn:aws:cloudformation:{self.settings.region}:{self.settings.account}:stack/"
            f"{name}/{uuid.uuid4()}",
            "template": artifact.template,
            "resources": {},
            "outputs": {},
            "exports": {},
        }
        self._emit(name, "CREATE_IN_PROGRESS")
        with self._state.lock:
            self.stacks[name] = record
        wanted = self._wanted_resources(record, artifact.template)
        failed, cancelled = run_graph(
            wanted,
            dependencies(artifact.template, wanted),
            lambda logical_id, cancel: self._resources.create(record, artifact, logical_id, cancel),
        )
        if failed or cancelled:
            self._emit(name, "ROLLBACK_IN_PROGRESS", _summary(failed))
            problems = self._resources.delete_all(record, list(record["resources"]), keep_retained=False)
            if problems:
                self._state.save()
                self._emit(name, "ROLLBACK_FAILED")
                raise DeploymentFailed(f"{name}: ROLLBACK_FAILED: {'; '.join(problems)}")
            with self._state.lock:
                del self.stacks[name]
            self._state.save()
            self._emit(name, "ROLLBACK_COMPLETE")
            raise DeploymentFailed(f"{name}: CREATE_FAILED: {_summary(failed)}")
        self._finish(record, artifact)
        self._emit(name, "CREATE_COMPLETE")
        return dict(record["outputs"])

    # --- update, its rollback and its cleanup ---------------------------------------------------

    def _update_stack(self, artifact: StackArtifact) -> dict[str, str]:
        name = artifact.stack_name
        record = self.stacks[name]
        previous = json.loads(json.dumps(record))  # what a rollback returns to
        self._emit(name, "UPDATE_IN_PROGRESS")
        wanted = self._wanted_resources(record, artifact.template)
        cleanup: list[tuple[str, dict[str, Any]]] = []  # (logical id, the resource as it was) to delete
        touched: list[str] = []
        attempted: dict[str, dict[str, Any]] = {}  # the properties each update tried: a rollback's "old"
        record["template"] = artifact.template

        def update(logical_id: str, cancel: threading.Event) -> None:
            old = previous["resources"].get(logical_id)
            definition = artifact.template["Resources"][logical_id]
            if old is None or old["type"] != definition["Type"]:
                if old is not None:
                    cleanup.append((logical_id, old))
                touched.append(logical_id)
                self._resources.create(record, artifact, logical_id, cancel)
                return
            properties = self._resources.resolve_properties(record, artifact, logical_id)
            if properties == old["properties"]:
                return
            touched.append(logical_id)
            attempted[logical_id] = properties
            if self._resources.update(record, artifact, logical_id, properties, cancel):
                cleanup.append((logical_id, old))

        failed, cancelled = run_graph(wanted, dependencies(artifact.template, wanted), update)
        problem = _summary(failed)
        if not (failed or cancelled):
            # An export another stack imports may be neither changed nor removed.
            _, new_exports = self._outputs(record, artifact)
            problem = "; ".join(
                exports.refusals(previous["exports"], new_exports, exports.importers(self.stacks, name))
            )
        if failed or cancelled or problem:
            self._emit(name, "UPDATE_ROLLBACK_IN_PROGRESS", problem)
            self._roll_back_update(record, previous, touched, attempted)
            self._emit(name, "UPDATE_ROLLBACK_COMPLETE")
            raise DeploymentFailed(f"{name}: UPDATE_FAILED: {problem}")
        removed = [logical_id for logical_id in previous["resources"] if logical_id not in wanted]
        for logical_id in removed:
            cleanup.append((logical_id, record["resources"].pop(logical_id)))
        self._finish(record, artifact)
        if cleanup:
            self._emit(name, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS")
            # A cleanup failure leaves the old resource behind; the update itself stands.
            staged = {
                "stack_name": name,
                "stack_id": record["stack_id"],
                "template": previous["template"],
                "resources": {f"{logical_id}#old": {**old, "logical_id": logical_id} for logical_id, old in cleanup},
            }
            self._resources.delete_all(staged, list(staged["resources"]), keep_retained=True)
        self._emit(name, "UPDATE_COMPLETE")
        return dict(record["outputs"])

    def _roll_back_update(
        self, record: dict[str, Any], previous: dict[str, Any], touched: list[str], attempted: dict[str, dict[str, Any]]
    ) -> None:
        """Return each touched resource to its previous properties; delete what the update created."""
        created = [
            logical_id
            for logical_id in touched
            if logical_id not in previous["resources"] and logical_id in record["resources"]
        ]
        self._resources.delete_all(record, created, keep_retained=False)
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
                    self._resources.native(current["type"], logical_id).delete(current)
                record["resources"][logical_id] = old
        record["template"] = previous["template"]
        record["outputs"], record["exports"] = previous["outputs"], previous["exports"]
        self._state.save()

    def _roll_back_custom(
        self,
        record: dict[str, Any],
        logical_id: str,
        old: dict[str, Any],
        current: dict[str, Any],
        attempted: dict[str, dict[str, Any]],
    ) -> None:
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
            self.progress(record["stack_name"], logical_id, old["type"], "UPDATE_FAILED", str(error))
            return
        if answer_id != current["physical_id"]:
            stale = {**current, "logical_id": logical_id}
            self._resources.delete_all(
                {**record, "resources": {f"{logical_id}#stale": stale}}, [f"{logical_id}#stale"], keep_retained=False
            )
        record["resources"][logical_id] = {**old, "physical_id": answer_id, "attributes": data}

    # --- outputs and the template's shape -------------------------------------------------------

    def _finish(self, record: dict[str, Any], artifact: StackArtifact) -> None:
        record["outputs"], record["exports"] = self._outputs(record, artifact)
        self._state.save()

    def _outputs(self, record: dict[str, Any], artifact: StackArtifact) -> tuple[dict[str, str], dict[str, str]]:
        """The template's outputs and exports, resolved against the stack as it is now."""
        context = self._resources.context(record, artifact.template)
        outputs, found = {}, {}
        for output_id, output in artifact.template.get("Outputs", {}).items():
            if "Condition" in output and not condition(output["Condition"], context):
                continue
            value = str(resolve(output["Value"], context))
            outputs[output_id] = value
            if "Export" in output:
                found[str(resolve(output["Export"]["Name"], context))] = value
        return outputs, found

    def _wanted_resources(self, record: dict[str, Any], template: dict[str, Any]) -> list[str]:
        context = self._resources.context(record, template)
        return [
            logical_id
            for logical_id, definition in template.get("Resources", {}).items()
            if "Condition" not in definition or condition(definition["Condition"], context)
        ]

    def _emit(self, stack: str, status: str, reason: str = "") -> None:
        self.progress(stack, stack, STACK_TYPE, status, reason)


def _summary(failed: dict[str, Exception]) -> str:
    return "; ".join(f"{logical_id}: {error}" for logical_id, error in failed.items())
