"""The stack engine: create, update (with rollback and cleanup) and delete of a whole stack.

Every step is a stack event (the stack's own events carry its id as PhysicalResourceId), and the
stack's status follows CloudFormation's: CREATE_IN_PROGRESS -> CREATE_COMPLETE or
ROLLBACK_IN_PROGRESS -> ROLLBACK_COMPLETE (or, as OnFailure asks, DELETE_IN_PROGRESS ->
DELETE_COMPLETE, or CREATE_FAILED); UPDATE_IN_PROGRESS -> UPDATE_COMPLETE_CLEANUP_IN_PROGRESS ->
UPDATE_COMPLETE or UPDATE_ROLLBACK_IN_PROGRESS -> UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS ->
UPDATE_ROLLBACK_COMPLETE; IMPORT_IN_PROGRESS -> IMPORT_COMPLETE or IMPORT_ROLLBACK_IN_PROGRESS ->
IMPORT_ROLLBACK_COMPLETE; DELETE_IN_PROGRESS -> DELETE_COMPLETE. A destroy deletes in reverse
dependency order, a Retain policy keeps the resource, and the deleted stack is still found by its
stack id.

The engine reaches every service through `Services` (the endpoint), however it is driven: by
the CloudFormation API's change sets (`run`), or by a test or benchmark with a cloud assembly's
stack (`deploy`, which first publishes the stack's assets as the CDK CLI would). How a create
or an update goes is `StackDeployment`'s business (`deployment.py`).
"""

from __future__ import annotations

import shutil
import tempfile
import time
import weakref
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from . import exports
from .assembly import StackArtifact, publish
from .context import USER_INITIATED, Deployment, EngineContext
from .custom_resources import CustomResources, Invocation
from .deployment import StackDeployment, new_record
from .errors import DeploymentFailed
from .event_sources import EventSources
from .parameters import ParameterError, Settled, check_rules, settle
from .recovery import DELETE_RETRIED, Recovery
from .resource_operations import ResourceOperations
from .resources import NativeType
from .response_server import ResponseServer
from .services import Services
from .settings import Progress, Settings
from .state import StackRecord, StackState


class StackEngine:
    """The stacks, their state, and the parts that deploy them into the services at the endpoint.

    `services`: the endpoint's services; `responses`: the ResponseURL server custom resources
    answer at; `state_file`: where the stacks are kept (None: in memory); `progress`: told of
    every stack event; `code_dir`: where functions' code is unpacked (the state directory's
    layout is the API's, `CloudFormationApi.start`; None: a temporary directory that goes with
    the engine, or with the process at the latest).
    """

    def __init__(
        self,
        services: Services,
        responses: ResponseServer,
        *,
        state_file: Path | None = None,
        settings: Settings | None = None,
        progress: Progress | None = None,
        code_dir: Path | None = None,
    ) -> None:
        self.services = services
        self.responses = responses
        self.settings = settings or Settings(region=services.region, account=services.account)
        self._listeners: list[Progress] = [progress] if progress else []
        self._state = StackState(state_file)
        if code_dir is None:
            code_dir = Path(tempfile.mkdtemp(prefix="localcloud-code-"))
            weakref.finalize(self, shutil.rmtree, code_dir, ignore_errors=True)
        custom = CustomResources(self._state, responses, self.settings, services)
        self._context = EngineContext(self._state, services, custom, self.settings, code_dir, self._progress)
        self._operations = ResourceOperations(self._context)
        self._deployment = StackDeployment(self._context, self._operations)
        self._recovery = Recovery(self._context, self._operations, self._deployment)
        self._custom = custom
        self.gates = self._context.gates  # where a test holds an operation, or a resource's step
        self.functions = custom.functions  # the stacks' functions, for deliveries to Lambda
        # the pollers of the stacks' event source mappings, started by whoever serves the engine
        self.event_sources = EventSources(self._state, custom.functions, services)
        self._listeners.append(self.event_sources.on_event)

    @property
    def stacks(self) -> dict[str, StackRecord]:
        return self._state.stacks

    @property
    def state(self) -> StackState:
        return self._state

    @property
    def invocations(self) -> list[Invocation]:
        return self._custom.invocations

    def listen(self, progress: Progress) -> None:
        """Be told of every stack event from now on (stack, logical id, type, status, reason)."""
        self._listeners.append(progress)

    def _progress(self, stack: str, logical_id: str, resource_type: str, status: str, reason: str) -> None:
        for listener in list(self._listeners):
            listener(stack, logical_id, resource_type, status, reason)

    # --- stack operations ----------------------------------------------------------------------

    def deploy(self, artifact: StackArtifact) -> dict[str, str]:
        """Publish a cloud assembly stack's assets, as `cdk deploy` does, then create the stack or
        update it to this template; the resolved outputs."""
        publish(artifact, self.services)
        return self.run(Deployment(artifact.stack_name, artifact.template))

    def settle(self, stack_name: str, template: dict[str, Any], given: Mapping[str, str | None]) -> Settled:
        """The template's parameters settled (previous values from the stack) and its rules
        checked; ParameterError as CloudFormation's ValidationError would say it."""
        record = self.stacks.get(stack_name)
        previous = Settled.from_record(record.get("parameters") if record else None).values
        settled = settle(template, given, previous, self.services.parameter)
        probe: StackRecord = {
            "stack_name": stack_name,
            "stack_id": record["stack_id"] if record else "",
            "template": template,
            "resources": {},
            # what a stack record holds besides: the rules read none of it
            "outputs": {},
            "exports": {},
            "creation_time": time.time(),
        }
        check_rules(template, self._context.intrinsics(probe, template, settled))
        return settled

    def run(self, deployment: Deployment) -> dict[str, str]:
        """Create the stack, or update it (a stack that never was created is created afresh), or
        import existing resources into it (an IMPORT change set's `imports`)."""
        self.gates.pass_through(f"operation:{deployment.stack_name}")
        if deployment.parameters is None:
            try:
                deployment.parameters = self.settle(deployment.stack_name, deployment.template, {})
            except ParameterError as error:
                raise DeploymentFailed(f"{deployment.stack_name}: {error}") from None
        if deployment.imports:
            return self._deployment.import_resources(deployment)
        record = self.stacks.get(deployment.stack_name)
        if record is not None and record.get("status") == "ROLLBACK_COMPLETE":
            self.destroy(deployment.stack_name)  # as the CDK CLI deletes a stack that failed to create
            record = None
        if record is None or deployment.create or record.get("status") == "REVIEW_IN_PROGRESS":
            try:
                return self._deployment.create(deployment)
            except DeploymentFailed:
                failed = self.stacks.get(deployment.stack_name)
                if failed is not None and failed.get("status") == "DELETE_COMPLETE":
                    self._retire(failed)  # OnFailure DELETE: the stack went with its resources
                raise
        return self._deployment.update(deployment)

    def wanted_resources(
        self, record: StackRecord, template: dict[str, Any], settled: Settled | None = None
    ) -> list[str]:
        """The template's resources whose Condition holds (with these parameters, or the stack's)."""
        return self._deployment.wanted_resources(record, template, settled)

    def native(self, resource_type: str, logical_id: str) -> NativeType:
        """The unit that emulates `resource_type` (for an import, what reads an existing resource)."""
        return self._context.native(resource_type, logical_id)

    def review_stack(self, stack_name: str, description: str = "") -> StackRecord:
        """A stack made by a CREATE change set, REVIEW_IN_PROGRESS until the change set runs."""
        record = self.reserve(stack_name, "REVIEW_IN_PROGRESS", description)
        self._context.stack_event(record, "REVIEW_IN_PROGRESS", USER_INITIATED)
        return record

    def reserve(self, stack_name: str, status: str, description: str = "") -> StackRecord:
        """A new stack in `status`, before anything runs: what CreateStack answers (its StackId),
        and what the caller's next DescribeStacks sees while the operation starts."""
        with self._state.lock:
            record = new_record(stack_name, self.settings)
            record["status"] = status
            record["description"] = description
            self.stacks[stack_name] = record
            self._state.save()
        return record

    def destroy(self, stack_name: str, reason: str = USER_INITIATED) -> None:
        """Delete the stack (by name or stack id); a missing or deleted stack is nothing to do."""
        record = self._state.find(stack_name)
        if record is None or record.get("status") == "DELETE_COMPLETE":
            return
        name = record["stack_name"]
        self.gates.pass_through(f"operation:{name}")
        self._context.stack_event(record, "DELETE_IN_PROGRESS", reason)
        refused = exports.refusals(record["exports"], None, exports.importers(self._state.deployed(), name))
        if refused:
            self._context.stack_event(record, "DELETE_FAILED", "; ".join(refused))
            raise DeploymentFailed(f"{name}: DELETE_FAILED: " + "; ".join(refused))
        # A create a stop cut short on a stack that then failed (as an older local cloud left them,
        # ROLLBACK_FAILED): its custom resources get their Delete, with the id CloudFormation invents.
        self._recovery.cancel_creates(record)
        failures = self._operations.delete_all(record, list(record["resources"]), keep_retained=True)
        if failures:
            self._state.save()
            failed_ids = [failure.split(":")[0] for failure in failures]
            reason = "The following resource(s) failed to delete: [" + ", ".join(failed_ids) + "]. "
            self._context.stack_event(record, "DELETE_FAILED", reason)
            raise DeploymentFailed(f"{name}: DELETE_FAILED: " + "; ".join(failures))
        self._context.stack_event(record, "DELETE_COMPLETE")
        self._retire(record)

    def conclude(self, stack_name: str) -> None:
        """End the operation a restart cut short on this stack (by name or id) as CloudFormation
        ends one whose resources timed out (recovery.py): a create or an update rolls back, a
        rollback or a cleanup goes on, a delete is retried. DeploymentFailed when it ends failed."""
        record = self._state.find(stack_name)
        if record is None:
            return
        try:
            if record.get("status") == "DELETE_IN_PROGRESS":
                self._recovery.cancel_creates(record)  # a create whose OnFailure was DELETE
                self.destroy(record["stack_id"], DELETE_RETRIED)
            else:
                self._recovery.conclude(record)
        finally:
            if record.get("status") == "DELETE_COMPLETE" and self._state.find(record["stack_name"]) is record:
                self._retire(record)  # OnFailure DELETE: the stack went with its resources

    def interrupted(self, stack_name: str, reason: str) -> None:
        """End an operation that broke off on an error of the local cloud's own in the failed
        state CloudFormation would leave, so that no one waits on it forever."""
        record = self._state.find(stack_name)
        if record is None or not str(record.get("status", "")).endswith("_IN_PROGRESS"):
            return
        status = str(record["status"])
        if status == "REVIEW_IN_PROGRESS":
            return
        failed = (
            "DELETE_FAILED"
            if status.startswith("DELETE")
            else "UPDATE_ROLLBACK_FAILED"
            if status.startswith("UPDATE")
            else "IMPORT_ROLLBACK_FAILED"
            if status.startswith("IMPORT")
            else "ROLLBACK_FAILED"
        )
        self._context.stack_event(record, failed, reason)

    def _retire(self, record: StackRecord) -> None:
        """A deleted stack: gone by name, found by id, its change sets gone."""
        with self._state.lock:
            if self.stacks.get(record["stack_name"]) is record:
                del self.stacks[record["stack_name"]]
            record["deletion_time"] = time.time()
            record["resources"], record["outputs"], record["exports"] = {}, {}, {}
            record.pop("resource_status", None)
            record.pop("export_names", None)
            self._state.deleted[record["stack_id"]] = record
            for change_set_id, change_set in list(self._state.change_sets.items()):
                if change_set["StackId"] == record["stack_id"]:
                    del self._state.change_sets[change_set_id]
            self._state.save()

    # --- the functions custom resources run ----------------------------------------------------

    def wait_for_invocations(self, timeout: float = 120) -> None:
        """Wait until every Lambda invocation started has ended (cancelled ones go on running)."""
        self._custom.wait_for_invocations(timeout)

    def unanswered(self) -> list[Invocation]:
        """Invocations whose request never got a valid answer at its ResponseURL."""
        return self._custom.unanswered()
