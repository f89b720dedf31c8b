"""The stack engine: create, update (with rollback and cleanup) and delete of a whole stack.

It follows CloudFormation's rules, driven by the template's dependency graph (independent
resources at the same time):

- a failed Create rolls the stack back: each created resource is deleted, a failed custom
  resource with the PhysicalResourceId of its FAILED answer, a cancelled one with an invented id;
  the stack stays, in ROLLBACK_COMPLETE, until it is deleted (a new deployment deletes it first);
- an Update that answers a new PhysicalResourceId gets a cleanup Delete of the old one; a failed
  update is rolled back with Updates carrying the old properties;
- a destroy deletes in reverse dependency order; a Retain policy keeps the resource; the deleted
  stack is still found by its stack id, in DELETE_COMPLETE.

Every step is a stack event (the stack's own events carry its id as PhysicalResourceId), and the
stack's status follows CloudFormation's: CREATE_IN_PROGRESS -> CREATE_COMPLETE or
ROLLBACK_IN_PROGRESS -> ROLLBACK_COMPLETE; UPDATE_IN_PROGRESS ->
UPDATE_COMPLETE_CLEANUP_IN_PROGRESS -> UPDATE_COMPLETE or UPDATE_ROLLBACK_IN_PROGRESS ->
UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS -> UPDATE_ROLLBACK_COMPLETE; DELETE_IN_PROGRESS ->
DELETE_COMPLETE.

The engine is driven two ways: with a cloud assembly's stack (`deploy(artifact)`, the fault
matrix and the scale tests), or with a template, its parameters and a stack name (`run`, what
the CloudFormation API's change sets execute). What happens to one resource is
`ResourceOperations`' business; this module decides which resources take which step, in which
order, and what the stack looks like after.
"""

from __future__ import annotations

import contextlib
import json
import logging
import tempfile
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from botocore.config import Config

from .. import lambda_runtime
from . import exports
from .assembly import StackArtifact
from .custom_resources import CustomResources, Invocation, is_custom
from .errors import Cancelled, DeploymentFailed, ResourceFailed
from .graph import dependencies, run_graph
from .intrinsics import TemplateError, condition, resolve
from .parameter_store import EndpointParameters, ParameterStore
from .parameters import ParameterError, Settled, check_rules, settle
from .resource_operations import ResourceOperations
from .resources import Clients, Environment, Parameters
from .resources.base import session
from .response_server import ResponseServer
from .settings import Progress, Settings
from .state import StackState

if TYPE_CHECKING:
    from ..personalize.http import Emulator

STACK_TYPE = "AWS::CloudFormation::Stack"
LOG = logging.getLogger(__name__)
USER_INITIATED = "User Initiated"


@dataclass
class Deployment:
    """What one create or update of a stack deploys."""

    stack_name: str
    template: dict[str, Any]
    assets: Mapping[str, Path] = field(default_factory=dict)  # a cloud assembly's staged assets
    parameters: Settled | None = None  # None: the template's defaults, settled when it runs
    template_body: str | None = None  # the body as submitted, for GetTemplate
    import_existing: bool = False  # ImportExistingResources
    change_set_id: str = ""
    create: bool | None = None  # a CREATE change set's (None: create unless the stack is deployed)


class LocalCloud:
    """The Lambda runtime, the ResponseURL server, the services and the stacks' state, together.

    Without `endpoint_url`, the services are the Personalize `emulator` and the engine's own
    Parameter Store, and IAM and Logs resources are recorded only (a cloud assembly deployed
    directly). With it, every service is reached through boto3 at that endpoint.
    """

    def __init__(
        self,
        emulator: Emulator | None,
        response_server: ResponseServer,
        *,
        state_file: Path | None = None,
        settings: Settings | None = None,
        progress: Progress | None = None,
        endpoint_url: str | None = None,
        code_dir: Path | None = None,
    ) -> None:
        self._emulator = emulator
        self.responses = response_server
        self.settings = settings or Settings()
        self.progress: Progress = progress or (lambda *args: None)
        self._state = StackState(state_file)
        clients: Clients | None = None
        parameters: Parameters
        if endpoint_url is not None:
            clients = Clients(endpoint_url, self.settings.region)
            self.personalize = session(self.settings.region).client(
                "personalize",
                endpoint_url=endpoint_url,
                config=Config(retries={"mode": "standard", "total_max_attempts": 10}, max_pool_connections=128),
            )
            parameters = EndpointParameters(clients("ssm"))
            # The function's boto3 reaches every service at the endpoint, with test keys only.
            service_environment = {
                "AWS_ENDPOINT_URL": endpoint_url,
                "AWS_ACCESS_KEY_ID": "test",
                "AWS_SECRET_ACCESS_KEY": "test",
            }
        elif emulator is not None:
            self.personalize = emulator.client("personalize", attempts=10)
            parameters = ParameterStore(state_file.with_name(f"{state_file.stem}-ssm.json") if state_file else None)
            service_environment = {
                **emulator.client_environment(),
                "AWS_ACCESS_KEY_ID": "localcloud",
                "AWS_SECRET_ACCESS_KEY": "localcloud",
            }
        else:
            raise ValueError("LocalCloud needs the Personalize emulator or an endpoint_url")
        self.parameters = parameters
        if code_dir is None:
            code_dir = (
                state_file.parent / "lambda-code" if state_file else Path(tempfile.mkdtemp(prefix="localcloud-code-"))
            )
        self._clients = clients
        logs = self._function_logs if clients is not None else None
        self._custom = CustomResources(self._state, response_server, self.settings, service_environment, logs)
        environment = Environment(
            self.settings.region, self.settings.account, self.personalize, parameters, clients, code_dir
        )
        self._resources = ResourceOperations(self._state, self._custom, environment, self.settings, self._event)

    @property
    def emulator(self) -> Emulator:
        """The Personalize emulator the engine was given (none behind the endpoint)."""
        if self._emulator is None:
            raise AttributeError("this LocalCloud runs behind the endpoint: it has no Personalize emulator of its own")
        return self._emulator

    @property
    def stacks(self) -> dict[str, dict[str, Any]]:
        return self._state.stacks

    @property
    def state(self) -> StackState:
        return self._state

    @property
    def environment(self) -> Environment:
        return self._resources.environment

    @property
    def invocations(self) -> list[Invocation]:
        return self._custom.invocations

    # --- public operations ---------------------------------------------------------------------

    def deploy(self, artifact: StackArtifact) -> dict[str, str]:
        """Create the stack, or update it to this template; the resolved outputs."""
        return self.run(Deployment(artifact.stack_name, artifact.template, artifact.assets))

    def deploy_template(
        self, stack_name: str, template: dict[str, Any], parameters: Mapping[str, str | None] | None = None
    ) -> dict[str, str]:
        """Create or update a stack from a template and parameter values; the resolved outputs."""
        try:
            settled = self.settle(stack_name, template, parameters or {})
        except ParameterError as error:
            raise DeploymentFailed(f"{stack_name}: {error}") from None
        return self.run(Deployment(stack_name, template, parameters=settled))

    def settle(self, stack_name: str, template: dict[str, Any], given: Mapping[str, str | None]) -> Settled:
        """The template's parameters settled (previous values from the stack) and its rules
        checked; ParameterError as CloudFormation's ValidationError would say it."""
        record = self.stacks.get(stack_name)
        previous = Settled.from_record(record.get("parameters") if record else None).values
        settled = settle(template, given, previous, self.parameters.get)
        probe: dict[str, Any] = {
            "stack_name": stack_name,
            "stack_id": record["stack_id"] if record else "",
            "resources": {},
        }
        check_rules(template, self._resources.context(probe, template, settled))
        return settled

    def run(self, deployment: Deployment) -> dict[str, str]:
        """Create the stack, or update it (a stack that never was created is created afresh)."""
        if deployment.parameters is None:
            try:
                deployment.parameters = self.settle(deployment.stack_name, deployment.template, {})
            except ParameterError as error:
                raise DeploymentFailed(f"{deployment.stack_name}: {error}") from None
        record = self.stacks.get(deployment.stack_name)
        if record is not None and record.get("status") == "ROLLBACK_COMPLETE":
            self.destroy(deployment.stack_name)  # as the CDK CLI deletes a stack that failed to create
            record = None
        if record is None or deployment.create or record.get("status") == "REVIEW_IN_PROGRESS":
            return self._create_stack(deployment)
        return self._update_stack(deployment)

    def review_stack(self, stack_name: str, description: str = "") -> dict[str, Any]:
        """A stack made by a CREATE change set, REVIEW_IN_PROGRESS until the change set runs."""
        with self._state.lock:
            record = self._new_record(stack_name, {})
            record["status"] = "REVIEW_IN_PROGRESS"
            record["description"] = description
            self.stacks[stack_name] = record
            self._state.save()
        self._emit(record, "REVIEW_IN_PROGRESS", USER_INITIATED)
        return record

    def destroy(self, stack_name: str) -> None:
        """Delete the stack (by name or stack id); a missing or deleted stack is nothing to do."""
        record = self._state.find(stack_name)
        if record is None or record.get("status") == "DELETE_COMPLETE":
            return
        name = record["stack_name"]
        self._emit(record, "DELETE_IN_PROGRESS", USER_INITIATED)
        refused = exports.refusals(record["exports"], None, exports.importers(self._state.deployed(), name))
        if refused:
            self._emit(record, "DELETE_FAILED", "; ".join(refused))
            raise DeploymentFailed(f"{name}: DELETE_FAILED: " + "; ".join(refused))
        failures = self._resources.delete_all(record, list(record["resources"]), keep_retained=True)
        if failures:
            self._state.save()
            reason = "The following resource(s) failed to delete: [" + ", ".join(_ids(failures)) + "]. "
            self._emit(record, "DELETE_FAILED", reason)
            raise DeploymentFailed(f"{name}: DELETE_FAILED: " + "; ".join(failures))
        self._emit(record, "DELETE_COMPLETE")
        self._retire(record)

    def interrupted(self, stack_name: str, reason: str) -> None:
        """End an operation that broke off (an error of the local cloud's own, or a restart) in
        the failed state CloudFormation would leave, so that no one waits on it forever."""
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
            else "ROLLBACK_FAILED"
        )
        self._emit(record, failed, reason)

    def _function_logs(self, function: dict[str, Any], invocation: lambda_runtime.Invocation) -> None:
        """One invocation's lines in its environment's stream of the function's log group, as
        Lambda writes them (the CDK CLI shows them beside a failed custom resource)."""
        assert self._clients is not None
        outcome = invocation.outcome
        if outcome is None:
            return
        logging_config = function["properties"].get("LoggingConfig") or {}
        group = str(logging_config.get("LogGroup") or f"/aws/lambda/{function['physical_id']}")
        events = [{"timestamp": stamp, "message": line} for stamp, line in outcome.log_events if line.strip()]
        logs = self._clients("logs")
        try:
            with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
                logs.create_log_group(logGroupName=group)
            # one stream per environment, made with its first invocation
            with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
                logs.create_log_stream(logGroupName=group, logStreamName=outcome.log_stream)
            for start in range(0, len(events), 10000):
                logs.put_log_events(
                    logGroupName=group, logStreamName=outcome.log_stream, logEvents=events[start : start + 10000]
                )
        except Exception as error:  # the logs are a courtesy: an invocation never fails for them
            LOG.warning("could not write the logs of %s to %s: %s", function["physical_id"], group, error)

    def outputs(self, stack_name: str) -> dict[str, str]:
        return dict(self.stacks[stack_name]["outputs"])

    def wait_for_invocations(self, timeout: float = 120) -> None:
        """Wait until every Lambda invocation started has ended (cancelled ones go on running)."""
        self._custom.wait_for_invocations(timeout)

    def unanswered(self) -> list[Invocation]:
        """Invocations whose request never got a valid answer at its ResponseURL."""
        return self._custom.unanswered()

    # --- create --------------------------------------------------------------------------------

    def _new_record(self, name: str, template: dict[str, Any]) -> dict[str, Any]:
        return {
            "stack_name": name,
            "stack_id": f"arn:aws:cloudformation:{self.settings.region}:{self.settings.account}:stack/"
            f"{name}/{uuid.uuid4()}",
            "template": template,
            "resources": {},
            "outputs": {},
            "exports": {},
            "creation_time": time.time(),
        }

    def _adopt(self, record: dict[str, Any], deployment: Deployment) -> None:
        assert deployment.parameters is not None
        record["template"] = deployment.template
        record["template_body"] = deployment.template_body
        record["parameters"] = deployment.parameters.as_record()
        record["description"] = deployment.template.get("Description", record.get("description", ""))
        if deployment.change_set_id:
            record["change_set_id"] = deployment.change_set_id

    def _create_stack(self, deployment: Deployment) -> dict[str, str]:
        name = deployment.stack_name
        with self._state.lock:
            record = self.stacks.get(name) or self._new_record(name, deployment.template)
            self._adopt(record, deployment)
            self.stacks[name] = record
        self._emit(record, "CREATE_IN_PROGRESS", USER_INITIATED)
        wanted = self.wanted_resources(record, deployment.template)
        failed, cancelled = run_graph(
            wanted,
            dependencies(deployment.template, wanted),
            lambda logical_id, cancel: self._resources.create(record, deployment, logical_id, cancel),
        )
        if failed or cancelled:
            self._emit(record, "ROLLBACK_IN_PROGRESS", _failed_reason(failed, "create") + "Rollback requested by user.")
            problems = self._resources.delete_all(record, list(record["resources"]), keep_retained=False)
            if problems:
                self._state.save()
                self._emit(record, "ROLLBACK_FAILED", _failed_reason({p.split(":")[0]: p for p in problems}, "delete"))
                raise DeploymentFailed(f"{name}: ROLLBACK_FAILED: {'; '.join(problems)}")
            record["outputs"], record["exports"] = {}, {}
            self._emit(record, "ROLLBACK_COMPLETE")
            raise DeploymentFailed(f"{name}: CREATE_FAILED: {_summary(failed)}")
        self._finish(record, deployment)
        self._emit(record, "CREATE_COMPLETE")
        return dict(record["outputs"])

    # --- update, its rollback and its cleanup ---------------------------------------------------

    def _update_stack(self, deployment: Deployment) -> dict[str, str]:
        name = deployment.stack_name
        record = self.stacks[name]
        previous = json.loads(json.dumps(record))  # what a rollback returns to
        record["last_updated_time"] = time.time()
        self._emit(record, "UPDATE_IN_PROGRESS", USER_INITIATED)
        self._adopt(record, deployment)
        wanted = self.wanted_resources(record, deployment.template)
        cleanup: list[tuple[str, dict[str, Any]]] = []  # (logical id, the resource as it was) to delete
        touched: list[str] = []
        attempted: dict[str, dict[str, Any]] = {}  # the properties each update tried: a rollback's "old"

        def update(logical_id: str, cancel: threading.Event) -> None:
            old = previous["resources"].get(logical_id)
            definition = deployment.template["Resources"][logical_id]
            if old is None or old["type"] != definition["Type"]:
                if old is not None:
                    cleanup.append((logical_id, old))
                touched.append(logical_id)
                self._resources.create(record, deployment, logical_id, cancel)
                return
            try:
                properties = self._resources.resolve_properties(record, deployment, logical_id)
            except TemplateError as error:
                self._resources.emit(record, logical_id, old["type"], "UPDATE_FAILED", str(error), old["physical_id"])
                raise
            if properties == old["properties"]:
                return
            touched.append(logical_id)
            attempted[logical_id] = properties
            if self._resources.update(record, deployment, logical_id, properties, cancel):
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
        if failed or cancelled or problem:
            self._emit(record, "UPDATE_ROLLBACK_IN_PROGRESS", reason)
            self._roll_back_update(record, previous, touched, attempted)
            self._emit(record, "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS")
            self._emit(record, "UPDATE_ROLLBACK_COMPLETE")
            raise DeploymentFailed(f"{name}: UPDATE_FAILED: {problem}")
        removed = [logical_id for logical_id in previous["resources"] if logical_id not in wanted]
        for logical_id in removed:
            cleanup.append((logical_id, record["resources"].pop(logical_id)))
        self._finish(record, deployment)
        self._emit(record, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS")
        if cleanup:
            # A cleanup failure leaves the old resource behind; the update itself stands.
            staged = {
                "stack_name": name,
                "stack_id": record["stack_id"],
                "template": previous["template"],
                "resources": {f"{logical_id}#old": {**old, "logical_id": logical_id} for logical_id, old in cleanup},
            }
            self._resources.delete_all(staged, list(staged["resources"]), keep_retained=True)
        self._emit(record, "UPDATE_COMPLETE")
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
                self._resources.emit(record, logical_id, old["type"], "UPDATE_COMPLETE", "", old["physical_id"])
        for key in ("template", "template_body", "parameters", "outputs", "exports", "description"):
            if key in previous:
                record[key] = previous[key]
        self._state.save()

    def _roll_back_custom(
        self,
        record: dict[str, Any],
        logical_id: str,
        old: dict[str, Any],
        current: dict[str, Any],
        attempted: dict[str, dict[str, Any]],
    ) -> None:
        self._resources.emit(record, logical_id, old["type"], "UPDATE_IN_PROGRESS", "", current["physical_id"])
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
            self._resources.emit(record, logical_id, old["type"], "UPDATE_FAILED", str(error), current["physical_id"])
            return
        if answer_id != current["physical_id"]:
            stale = {**current, "logical_id": logical_id}
            self._resources.delete_all(
                {**record, "resources": {f"{logical_id}#stale": stale}}, [f"{logical_id}#stale"], keep_retained=False
            )
        record["resources"][logical_id] = {**old, "physical_id": answer_id, "attributes": data}
        self._resources.emit(record, logical_id, old["type"], "UPDATE_COMPLETE", "", answer_id)

    # --- outputs and the template's shape -------------------------------------------------------

    def _finish(self, record: dict[str, Any], deployment: Deployment) -> None:
        record["outputs"], record["exports"] = self._outputs(record, deployment.template)
        context = self._resources.context(record, deployment.template)
        record["export_names"] = {
            output_id: str(resolve(output["Export"]["Name"], context))
            for output_id, output in deployment.template.get("Outputs", {}).items()
            if output_id in record["outputs"] and "Export" in output
        }
        self._state.save()

    def _outputs(self, record: dict[str, Any], template: dict[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
        """The template's outputs and exports, resolved against the stack as it is now."""
        context = self._resources.context(record, template)
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
        self, record: dict[str, Any], template: dict[str, Any], settled: Settled | None = None
    ) -> list[str]:
        """The template's resources whose Condition holds (with these parameters, or the stack's)."""
        context = self._resources.context(record, template, settled)
        return [
            logical_id
            for logical_id, definition in template.get("Resources", {}).items()
            if "Condition" not in definition or condition(definition["Condition"], context)
        ]

    # --- events and statuses --------------------------------------------------------------------

    def _event(
        self, record: dict[str, Any], logical_id: str, resource_type: str, status: str, reason: str, physical_id: str
    ) -> None:
        """One stack event: recorded, its status kept on the stack or resource, and shown."""
        with self._state.lock:
            self._state.add_event(record, logical_id, physical_id, resource_type, status, reason)
            if resource_type == STACK_TYPE and logical_id == record["stack_name"]:
                record["status"], record["status_reason"] = status, reason
                self._state.save()
            else:
                record.setdefault("resource_status", {})[logical_id] = {
                    "status": status,
                    "reason": reason,
                    "timestamp": time.time(),
                }
        self.progress(record["stack_name"], logical_id, resource_type, status, reason)

    def _emit(self, record: dict[str, Any], status: str, reason: str = "") -> None:
        self._event(record, record["stack_name"], STACK_TYPE, status, reason, record["stack_id"])

    def _retire(self, record: dict[str, Any]) -> None:
        """A deleted stack: gone by name, found by id, its change sets gone."""
        with self._state.lock:
            if self.stacks.get(record["stack_name"]) is record:
                del self.stacks[record["stack_name"]]
            record["deletion_time"] = time.time()
            record["resources"], record["outputs"], record["exports"] = {}, {}, {}
            record.pop("resource_status", None)
            self._state.deleted[record["stack_id"]] = record
            for change_set_id, change_set in list(self._state.change_sets.items()):
                if change_set["StackId"] == record["stack_id"]:
                    del self._state.change_sets[change_set_id]
            self._state.save()


def _summary(failed: dict[str, Exception]) -> str:
    return "; ".join(f"{logical_id}: {error}" for logical_id, error in failed.items())


def _ids(problems: list[str]) -> list[str]:
    return [problem.split(":")[0] for problem in problems]


def _failed_reason(failed: Mapping[str, object], action: str) -> str:
    if not failed:
        return ""
    return f"The following resource(s) failed to {action}: [{', '.join(sorted(failed))}]. "
