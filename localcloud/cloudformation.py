"""A CloudFormation driver for the local cloud: deploy, update and destroy a synthesized stack.

It plans a template in dependency order (running independent resources at the same time, as
CloudFormation does), resolves intrinsics and pseudo parameters, creates dataset groups in the
emulator, records IAM, Logs and Lambda resources (locating each function's asset), and drives
custom resources through Create, Update and Delete by invoking their function's bundled asset as
Lambda would, with a real HTTPS ResponseURL:

- no answer within ServiceTimeout is a failure;
- a failed Create rolls the stack back: each created resource is deleted, a failed custom resource
  with the PhysicalResourceId of its FAILED answer, a cancelled one with an invented id;
- an Update that answers a new PhysicalResourceId gets a cleanup Delete of the old one; a failed
  update is rolled back with Updates carrying the old properties;
- destroy deletes in reverse dependency order.

The deployed state (physical ids, properties, attributes, outputs) is kept in a JSON file, so
deploy, redeploy and destroy can be separate commands.
"""

from __future__ import annotations

import json
import secrets
import string
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from . import lambda_runtime
from .assembly import StackArtifact
from .emulator import Emulator
from .intrinsics import Context, TemplateError, condition, resolve
from .plan import dependencies
from .response_server import ResponseServer

CUSTOM_TYPES = ("AWS::CloudFormation::CustomResource",)
DEFAULT_SERVICE_TIMEOUT = 3600.0
LAMBDA_ASYNC_RETRIES = 2  # Lambda retries a failed asynchronous invocation twice


class DeploymentFailed(Exception):
    """The stack operation failed (and was rolled back where CloudFormation would)."""


class ResourceFailed(Exception):
    def __init__(self, reason: str, physical_id: str = "") -> None:
        super().__init__(reason)
        self.physical_id = physical_id


class Cancelled(Exception):
    """Another resource failed while this one was in progress."""


Progress = Callable[[str, str, str, str, str], None]  # stack, logical id, type, status, reason


def print_progress(started: float) -> Progress:
    """Progress lines (elapsed, status, type, logical id), whole even from concurrent resources."""
    lock = threading.Lock()

    def show(stack: str, logical_id: str, resource_type: str, status: str, reason: str) -> None:
        line = f"{time.monotonic() - started:7.2f}s  {status:<24} {resource_type:<36} {logical_id}"
        with lock:
            print(line + (f"  ({reason})" if reason else ""), flush=True)

    return show


@dataclass
class Invocation:
    """One request to a custom resource, as CloudFormation sent it, and what Lambda did with it."""

    logical_id: str
    request_type: str
    response_url: str
    attempts: list[lambda_runtime.Invocation] = field(default_factory=list)
    done: threading.Event = field(default_factory=threading.Event)


@dataclass
class Settings:
    region: str = "us-east-1"
    account: str = "123456789012"
    # fault injection: shorten every function's timeout, or CloudFormation's wait for an answer
    function_timeout: float | None = None
    service_timeout: float | None = None
    # fault injection: deliver each custom resource Create twice
    duplicate_creates: bool = False
    lambda_retry_delay: float = 1.0


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
        self.invocations: list[Invocation] = []
        self._state_file = state_file
        self._lock = threading.RLock()
        self.stacks: dict[str, dict[str, Any]] = {}
        if state_file is not None and state_file.exists():
            self.stacks = json.loads(state_file.read_text())
        self.personalize = emulator.client("personalize", attempts=10)

    # --- public operations ---------------------------------------------------------------------

    def deploy(self, artifact: StackArtifact) -> dict[str, str]:
        """Create the stack, or update it to this template; the resolved outputs."""
        if artifact.stack_name in self.stacks:
            return self._update_stack(artifact)
        return self._create_stack(artifact)

    def destroy(self, stack_name: str) -> None:
        record = self.stacks.get(stack_name)
        if record is None:
            return
        self._emit(stack_name, stack_name, "AWS::CloudFormation::Stack", "DELETE_IN_PROGRESS")
        failures = self._delete_resources(record, list(record["resources"]), keep_retained=True)
        if failures:
            self._save()
            self._emit(stack_name, stack_name, "AWS::CloudFormation::Stack", "DELETE_FAILED")
            raise DeploymentFailed(f"{stack_name}: DELETE_FAILED: " + "; ".join(failures))
        del self.stacks[stack_name]
        self._save()
        self._emit(stack_name, stack_name, "AWS::CloudFormation::Stack", "DELETE_COMPLETE")

    def outputs(self, stack_name: str) -> dict[str, str]:
        return dict(self.stacks[stack_name]["outputs"])

    def wait_for_invocations(self, timeout: float = 120) -> None:
        """Wait until every Lambda invocation started has ended (cancelled ones go on running)."""
        deadline = time.monotonic() + timeout
        for invocation in list(self.invocations):
            invocation.done.wait(max(0.0, deadline - time.monotonic()))

    def unanswered(self) -> list[Invocation]:
        """Invocations whose request never got a valid answer at its ResponseURL."""
        return [
            invocation
            for invocation in self.invocations
            if not any(not answer.problems for answer in self.responses.answers_to(invocation.response_url))
        ]

    # --- stack create, update, rollback --------------------------------------------------------

    def _new_record(self, artifact: StackArtifact) -> dict[str, Any]:
        stack_id = (
            f"arn:aws:cloudformation:{self.settings.region}:{self.settings.account}:stack/"
            f"{artifact.stack_name}/{uuid.uuid4()}"
        )
        return {
            "stack_name": artifact.stack_name,
            "stack_id": stack_id,
            "template": artifact.template,
            "resources": {},
            "outputs": {},
            "exports": {},
        }

    def _create_stack(self, artifact: StackArtifact) -> dict[str, str]:
        record = self._new_record(artifact)
        name = artifact.stack_name
        self._emit(name, name, "AWS::CloudFormation::Stack", "CREATE_IN_PROGRESS")
        with self._lock:
            self.stacks[name] = record
        wanted = self._wanted_resources(record, artifact.template)
        failed, cancelled = self._run_graph(
            wanted,
            dependencies(artifact.template, wanted),
            lambda logical_id, cancel: self._create_resource(record, artifact, logical_id, cancel),
        )
        if failed or cancelled:
            self._emit(name, name, "AWS::CloudFormation::Stack", "ROLLBACK_IN_PROGRESS", _summary(failed))
            problems = self._delete_resources(record, list(record["resources"]), keep_retained=False)
            if problems:
                self._save()
                self._emit(name, name, "AWS::CloudFormation::Stack", "ROLLBACK_FAILED")
                raise DeploymentFailed(f"{name}: ROLLBACK_FAILED: {'; '.join(problems)}")
            with self._lock:
                del self.stacks[name]
            self._save()
            self._emit(name, name, "AWS::CloudFormation::Stack", "ROLLBACK_COMPLETE")
            raise DeploymentFailed(f"{name}: CREATE_FAILED: {_summary(failed)}")
        self._finish(record, artifact)
        self._emit(name, name, "AWS::CloudFormation::Stack", "CREATE_COMPLETE")
        return dict(record["outputs"])

    def _update_stack(self, artifact: StackArtifact) -> dict[str, str]:
        name = artifact.stack_name
        record = self.stacks[name]
        previous = json.loads(json.dumps(record))  # what a rollback returns to
        self._emit(name, name, "AWS::CloudFormation::Stack", "UPDATE_IN_PROGRESS")
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
                self._create_resource(record, artifact, logical_id, cancel)
                return
            properties = self._resolve_properties(record, artifact, logical_id)
            if properties == old["properties"]:
                return
            touched.append(logical_id)
            attempted[logical_id] = properties
            replaced = self._update_resource(record, artifact, logical_id, properties, cancel)
            if replaced:
                cleanup.append((logical_id, old))

        failed, cancelled = self._run_graph(wanted, dependencies(artifact.template, wanted), update)
        if failed or cancelled:
            self._emit(name, name, "AWS::CloudFormation::Stack", "UPDATE_ROLLBACK_IN_PROGRESS", _summary(failed))
            self._roll_back_update(record, previous, touched, attempted)
            self._emit(name, name, "AWS::CloudFormation::Stack", "UPDATE_ROLLBACK_COMPLETE")
            raise DeploymentFailed(f"{name}: UPDATE_FAILED: {_summary(failed)}")
        removed = [logical_id for logical_id in previous["resources"] if logical_id not in wanted]
        for logical_id in removed:
            cleanup.append((logical_id, record["resources"].pop(logical_id)))
        self._finish(record, artifact)
        if cleanup:
            self._emit(name, name, "AWS::CloudFormation::Stack", "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS")
            # A cleanup failure leaves the old resource behind; the update itself stands.
            staged = {
                "stack_name": name,
                "stack_id": record["stack_id"],
                "template": previous["template"],
                "resources": {f"{logical_id}#old": {**old, "logical_id": logical_id} for logical_id, old in cleanup},
            }
            self._delete_resources(staged, list(staged["resources"]), keep_retained=True)
        self._emit(name, name, "AWS::CloudFormation::Stack", "UPDATE_COMPLETE")
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
        self._delete_resources(record, created, keep_retained=False)
        for logical_id in reversed(touched):
            old = previous["resources"].get(logical_id)
            current = record["resources"].get(logical_id)
            if old is None or current is None:
                continue
            if old["type"] in CUSTOM_TYPES or old["type"].startswith("Custom::"):
                try:
                    # CloudFormation's rollback Update: the old properties are the failed attempt's.
                    answer_id, data = self._invoke_custom(
                        record,
                        logical_id,
                        "Update",
                        old["properties"],
                        threading.Event(),
                        physical_id=current["physical_id"],
                        old_properties=attempted.get(logical_id, current["properties"]),
                    )
                except (ResourceFailed, Cancelled) as error:
                    self._emit(record["stack_name"], logical_id, old["type"], "UPDATE_FAILED", str(error))
                    continue
                if answer_id != current["physical_id"]:
                    stale = {**current, "logical_id": logical_id}
                    self._delete_resources(
                        {**record, "resources": {f"{logical_id}#stale": stale}},
                        [f"{logical_id}#stale"],
                        keep_retained=False,
                    )
                record["resources"][logical_id] = {**old, "physical_id": answer_id, "attributes": data}
            else:
                if current["physical_id"] != old["physical_id"]:
                    self._delete_native(current)  # the replacement made by the failed update
                record["resources"][logical_id] = old
        record["template"] = previous["template"]
        record["outputs"], record["exports"] = previous["outputs"], previous["exports"]
        self._save()

    def _finish(self, record: dict[str, Any], artifact: StackArtifact) -> None:
        context = self._context(record, artifact.template)
        outputs, exports = {}, {}
        for output_id, output in artifact.template.get("Outputs", {}).items():
            if "Condition" in output and not condition(output["Condition"], context):
                continue
            value = str(resolve(output["Value"], context))
            outputs[output_id] = value
            if "Export" in output:
                exports[str(resolve(output["Export"]["Name"], context))] = value
        record["outputs"], record["exports"] = outputs, exports
        self._save()

    # --- the graph -----------------------------------------------------------------------------

    def _wanted_resources(self, record: dict[str, Any], template: dict[str, Any]) -> list[str]:
        context = self._context(record, template)
        return [
            logical_id
            for logical_id, definition in template.get("Resources", {}).items()
            if "Condition" not in definition or condition(definition["Condition"], context)
        ]

    @staticmethod
    def _run_graph(
        nodes: list[str], dependencies: dict[str, set[str]], action: Callable[[str, threading.Event], None]
    ) -> tuple[dict[str, Exception], list[str]]:
        """Run `action` on each node once all it depends on are done, independent nodes at once.

        After the first failure nothing new starts and the nodes in progress are cancelled.
        Returns the failures and the cancelled nodes.
        """
        cancel = threading.Event()
        failed: dict[str, Exception] = {}
        cancelled: list[str] = []
        done: set[str] = set()
        running: dict[Future[None], str] = {}
        started: set[str] = set()
        # CloudFormation starts every resource whose dependencies are met at once: a stack of 50
        # trackers invokes the provider 50 times together, which is what rate limits are tested by.
        with ThreadPoolExecutor(max_workers=max(1, len(nodes))) as pool:
            while True:
                if not cancel.is_set():
                    for node in nodes:
                        if node not in started and dependencies[node] <= done:
                            started.add(node)
                            running[pool.submit(action, node, cancel)] = node
                if not running:
                    break
                finished, _ = wait(list(running), return_when=FIRST_COMPLETED)
                for future in finished:
                    node = running.pop(future)
                    error = future.exception()
                    if isinstance(error, Cancelled):
                        cancelled.append(node)
                    elif isinstance(error, Exception):
                        failed[node] = error
                        cancel.set()
                    else:
                        done.add(node)
        return failed, cancelled

    # --- resources -----------------------------------------------------------------------------

    def _context(self, record: dict[str, Any], template: dict[str, Any]) -> Context:
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

        parameters = {name: str(p.get("Default", "")) for name, p in template.get("Parameters", {}).items()}
        exports: dict[str, str] = {}
        for other in self.stacks.values():
            exports.update(other.get("exports", {}))
        pseudo = {
            "AWS::Region": self.settings.region,
            "AWS::AccountId": self.settings.account,
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
            exports=exports,
        )

    def _resolve_properties(self, record: dict[str, Any], artifact: StackArtifact, logical_id: str) -> dict[str, Any]:
        definition = artifact.template["Resources"][logical_id]
        with self._lock:
            resolved = resolve(definition.get("Properties", {}), self._context(record, artifact.template))
        return dict(resolved)

    def _store(self, record: dict[str, Any], logical_id: str, entry: dict[str, Any]) -> None:
        with self._lock:
            record["resources"][logical_id] = entry
            self._save()

    def _create_resource(
        self, record: dict[str, Any], artifact: StackArtifact, logical_id: str, cancel: threading.Event
    ) -> None:
        definition = artifact.template["Resources"][logical_id]
        resource_type = definition["Type"]
        stack = record["stack_name"]
        self._emit(stack, logical_id, resource_type, "CREATE_IN_PROGRESS")
        properties = self._resolve_properties(record, artifact, logical_id)
        entry = {
            "type": resource_type,
            "properties": properties,
            "deletion_policy": definition.get("DeletionPolicy", "Delete"),
        }
        try:
            if _is_custom(resource_type):
                physical_id, attributes = self._create_custom(record, logical_id, properties, cancel)
            else:
                physical_id, attributes = self._create_native(record, artifact, logical_id, resource_type, properties)
        except Cancelled:
            # CloudFormation deletes a cancelled custom resource with an id of its own invention.
            self._store(
                record, logical_id, {**entry, "physical_id": self._invented_id(stack, logical_id), "attributes": {}}
            )
            self._emit(stack, logical_id, resource_type, "CREATE_FAILED", "Resource creation cancelled")
            raise
        except ResourceFailed as error:
            if _is_custom(resource_type) or error.physical_id:
                # The rollback Delete carries the FAILED answer's id; with no answer, an invented one.
                physical_id = error.physical_id or self._invented_id(stack, logical_id)
                self._store(record, logical_id, {**entry, "physical_id": physical_id, "attributes": {}})
            self._emit(stack, logical_id, resource_type, "CREATE_FAILED", str(error))
            raise
        except Exception as error:
            self._emit(stack, logical_id, resource_type, "CREATE_FAILED", str(error))
            raise
        self._store(record, logical_id, {**entry, "physical_id": physical_id, "attributes": attributes})
        self._emit(stack, logical_id, resource_type, "CREATE_COMPLETE")

    @staticmethod
    def _invented_id(stack: str, logical_id: str) -> str:
        return f"{stack}-{logical_id}-{''.join(secrets.choice(string.ascii_uppercase) for _ in range(12))}"

    def _update_resource(
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
            if _is_custom(resource_type):
                physical_id, attributes = self._invoke_custom(
                    record,
                    logical_id,
                    "Update",
                    properties,
                    cancel,
                    physical_id=current["physical_id"],
                    old_properties=current["properties"],
                )
            else:
                physical_id, attributes = self._update_native(record, artifact, logical_id, current, properties)
        except Exception as error:
            self._emit(stack, logical_id, resource_type, "UPDATE_FAILED", str(error))
            raise
        replaced = bool(physical_id != current["physical_id"])
        deletion_policy = artifact.template["Resources"][logical_id].get("DeletionPolicy", "Delete")
        self._store(
            record,
            logical_id,
            {
                "type": resource_type,
                "properties": properties,
                "physical_id": physical_id,
                "attributes": attributes,
                "deletion_policy": deletion_policy,
            },
        )
        self._emit(stack, logical_id, resource_type, "UPDATE_COMPLETE", "replaced" if replaced else "")
        return replaced

    def _delete_resources(self, record: dict[str, Any], logical_ids: list[str], *, keep_retained: bool) -> list[str]:
        """Delete these resources, dependents first; the failures, as text."""
        resources = record["resources"]
        targets = [logical_id for logical_id in logical_ids if logical_id in resources]
        # Keys are logical ids, or "<id>#old" for what a cleanup deletes: the template names them by id.
        names = {key: resources[key].get("logical_id", key) for key in targets}
        key_of = {name: key for key, name in names.items()}
        in_template = [name for name in names.values() if name in record["template"].get("Resources", {})]
        dependents: dict[str, set[str]] = {key: set() for key in targets}
        for name, needs in dependencies(record["template"], in_template).items():
            for needed in needs:
                dependents[key_of[needed]].add(key_of[name])
        problems: list[str] = []

        def delete(logical_id: str, cancel: threading.Event) -> None:
            entry = resources[logical_id]
            name = entry.get("logical_id", logical_id)
            if keep_retained and entry.get("deletion_policy") == "Retain":
                self._emit(record["stack_name"], name, entry["type"], "DELETE_SKIPPED")
                with self._lock:
                    resources.pop(logical_id)
                return
            self._emit(record["stack_name"], name, entry["type"], "DELETE_IN_PROGRESS")
            try:
                if _is_custom(entry["type"]):
                    self._invoke_custom(
                        record, name, "Delete", entry["properties"], threading.Event(), physical_id=entry["physical_id"]
                    )
                else:
                    self._delete_native(entry)
            except Exception as error:
                self._emit(record["stack_name"], name, entry["type"], "DELETE_FAILED", str(error))
                problems.append(f"{name}: {error}")
                raise
            with self._lock:
                resources.pop(logical_id)
                self._save()
            self._emit(record["stack_name"], name, entry["type"], "DELETE_COMPLETE")

        # A failed delete stops the ones depending on it: they are kept, as CloudFormation keeps them.
        self._run_graph(list(reversed(targets)), dependents, delete)
        return problems

    # --- native resource types -----------------------------------------------------------------

    def _generated_name(self, record: dict[str, Any], logical_id: str, limit: int = 64) -> str:
        suffix = "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(12))
        return f"{record['stack_name']}-{logical_id}"[: limit - 13] + "-" + suffix

    def _create_native(
        self,
        record: dict[str, Any],
        artifact: StackArtifact,
        logical_id: str,
        resource_type: str,
        properties: dict[str, Any],
    ) -> tuple[str, dict[str, Any]]:
        region, account = self.settings.region, self.settings.account
        if resource_type == "AWS::Personalize::DatasetGroup":
            arn = self._create_dataset_group(properties)
            return arn, {"DatasetGroupArn": arn}
        if resource_type == "AWS::IAM::Role":
            name = properties.get("RoleName") or self._generated_name(record, logical_id)
            return name, {"Arn": f"arn:aws:iam::{account}:role/{name}", "RoleId": f"AROA{secrets.token_hex(8).upper()}"}
        if resource_type in ("AWS::IAM::Policy", "AWS::CDK::Metadata"):
            return self._generated_name(record, logical_id), {}
        if resource_type == "AWS::IAM::ManagedPolicy":
            # what CDK adds when a role's inline policy outgrows IAM's size limit (about 100 dataset groups)
            name = properties.get("ManagedPolicyName") or self._generated_name(record, logical_id, 128)
            arn = f"arn:aws:iam::{account}:policy{properties.get('Path', '/')}{name}"
            return arn, {"PolicyArn": arn}
        if resource_type == "AWS::Logs::LogGroup":
            name = properties.get("LogGroupName") or self._generated_name(record, logical_id, 512)
            return name, {"Arn": f"arn:aws:logs:{region}:{account}:log-group:{name}:*"}
        if resource_type == "AWS::Lambda::Function":
            name = properties.get("FunctionName") or self._generated_name(record, logical_id)
            arn = f"arn:aws:lambda:{region}:{account}:function:{name}"
            code_key = str(properties.get("Code", {}).get("S3Key", ""))
            if code_key not in artifact.assets:
                raise TemplateError(f"{logical_id}: no staged asset for code {code_key!r}")
            return name, {"Arn": arn, "localcloud:asset": str(artifact.assets[code_key])}
        raise TemplateError(f"the local cloud does not emulate {resource_type} ({logical_id})")

    def _update_native(
        self,
        record: dict[str, Any],
        artifact: StackArtifact,
        logical_id: str,
        current: dict[str, Any],
        properties: dict[str, Any],
    ) -> tuple[str, dict[str, Any]]:
        if current["type"] == "AWS::Personalize::DatasetGroup":
            # every property of a dataset group is create-only: a change replaces it
            return self._create_native(record, artifact, logical_id, current["type"], properties)
        if current["type"] == "AWS::Lambda::Function":
            _, attributes = self._create_native(record, artifact, logical_id, current["type"], properties)
            return current["physical_id"], {**current["attributes"], **attributes, "Arn": current["attributes"]["Arn"]}
        return current["physical_id"], current["attributes"]

    def _delete_native(self, entry: dict[str, Any]) -> None:
        if entry["type"] != "AWS::Personalize::DatasetGroup":
            return
        arn = entry["physical_id"]
        try:
            self.personalize.delete_dataset_group(datasetGroupArn=arn)
        except ClientError as error:
            if error.response["Error"]["Code"] == "ResourceNotFoundException":
                return
            raise ResourceFailed(str(error)) from None
        self._wait_for_dataset_group(arn, lambda status: status is None, "be deleted")

    def _create_dataset_group(self, properties: dict[str, Any]) -> str:
        request = {"name": properties["Name"]}
        for prop, param in (("Domain", "domain"), ("KmsKeyArn", "kmsKeyArn"), ("RoleArn", "roleArn")):
            if prop in properties:
                request[param] = properties[prop]
        try:
            arn = str(self.personalize.create_dataset_group(**request)["datasetGroupArn"])
        except ClientError as error:
            raise ResourceFailed(str(error)) from None
        status = self._wait_for_dataset_group(arn, lambda s: s in ("ACTIVE", "CREATE FAILED"), "become ACTIVE")
        if status != "ACTIVE":
            raise ResourceFailed(f"dataset group {arn} ended in {status}", physical_id=arn)
        return arn

    def _wait_for_dataset_group(self, arn: str, done: Callable[[str | None], bool], goal: str) -> str | None:
        deadline = time.monotonic() + 300
        while True:
            try:
                status: str | None = self.personalize.describe_dataset_group(datasetGroupArn=arn)["datasetGroup"][
                    "status"
                ]
            except ClientError as error:
                if error.response["Error"]["Code"] != "ResourceNotFoundException":
                    raise
                status = None
            if done(status):
                return status
            if time.monotonic() > deadline:
                raise ResourceFailed(f"dataset group {arn} did not {goal} in time (status {status})")
            time.sleep(0.1)

    # --- custom resources ----------------------------------------------------------------------

    def _create_custom(
        self, record: dict[str, Any], logical_id: str, properties: dict[str, Any], cancel: threading.Event
    ) -> tuple[str, dict[str, Any]]:
        if self.settings.duplicate_creates:
            # The same request delivered twice at once: CloudFormation keeps the first answer.
            return self._invoke_custom(record, logical_id, "Create", properties, cancel, deliveries=2)
        return self._invoke_custom(record, logical_id, "Create", properties, cancel)

    def _function(self, service_token: str) -> dict[str, Any]:
        with self._lock:
            for stack in self.stacks.values():
                for entry in stack["resources"].values():
                    if entry["type"] == "AWS::Lambda::Function" and entry["attributes"].get("Arn") == service_token:
                        return dict(entry)
        raise ResourceFailed(f"ServiceToken {service_token} is not a function of the local cloud")

    def _invoke_custom(
        self,
        record: dict[str, Any],
        logical_id: str,
        request_type: str,
        properties: dict[str, Any],
        cancel: threading.Event,
        *,
        physical_id: str | None = None,
        old_properties: dict[str, Any] | None = None,
        deliveries: int = 1,
    ) -> tuple[str, dict[str, Any]]:
        """Send one request the way CloudFormation does and wait for its answer at the ResponseURL."""
        function = self._function(str(properties.get("ServiceToken", "")))
        event: dict[str, Any] = {
            "RequestType": request_type,
            "ServiceToken": properties["ServiceToken"],
            "StackId": record["stack_id"],
            "RequestId": str(uuid.uuid4()),
            "LogicalResourceId": logical_id,
            "ResourceType": record["template"]["Resources"].get(logical_id, {}).get("Type", "Custom::Resource"),
            "ResourceProperties": properties,
        }
        if physical_id is not None:
            event["PhysicalResourceId"] = physical_id
        if old_properties is not None:
            event["OldResourceProperties"] = old_properties
        event["ResponseURL"] = self.responses.url_for(event)
        for _ in range(deliveries):
            self._start_invocation(function, logical_id, event)
        service_timeout = self.settings.service_timeout or float(
            properties.get("ServiceTimeout", DEFAULT_SERVICE_TIMEOUT)
        )
        deadline = time.monotonic() + service_timeout
        while True:
            answer = self.responses.wait_for_answer(event["ResponseURL"], timeout=0.05)
            if answer is not None:
                break
            if cancel.is_set():
                raise Cancelled(logical_id)
            if time.monotonic() > deadline:
                raise ResourceFailed(f"no answer within ServiceTimeout ({service_timeout:g} s)")
        if answer.problems:
            raise ResourceFailed("invalid answer: " + "; ".join(answer.problems))
        body = answer.body
        if body["Status"] != "SUCCESS":
            raise ResourceFailed(str(body.get("Reason", "")), physical_id=str(body.get("PhysicalResourceId", "")))
        return str(body["PhysicalResourceId"]), dict(body.get("Data") or {})

    def _start_invocation(self, function: dict[str, Any], logical_id: str, event: dict[str, Any]) -> Invocation:
        invocation = Invocation(logical_id, event["RequestType"], event["ResponseURL"])
        with self._lock:
            self.invocations.append(invocation)
        properties = function["properties"]
        timeout = self.settings.function_timeout or float(properties.get("Timeout", 3))
        environment = {
            **{k: str(v) for k, v in properties.get("Environment", {}).get("Variables", {}).items()},
            **self.emulator.client_environment(),
            "AWS_ACCESS_KEY_ID": "localcloud",
            "AWS_SECRET_ACCESS_KEY": "localcloud",
            "SSL_CERT_FILE": str(self.responses.certificate_file),
        }

        def run() -> None:
            try:
                for _attempt in range(1 + LAMBDA_ASYNC_RETRIES):
                    result = lambda_runtime.invoke(
                        Path(function["attributes"]["localcloud:asset"]),
                        event,
                        handler=str(properties.get("Handler", "index.handler")),
                        timeout_seconds=timeout,
                        environment=environment,
                        region=self.settings.region,
                    )
                    invocation.attempts.append(result)
                    if result.returncode == 0:
                        return
                    # An error or a timeout: Lambda retries the asynchronous invocation.
                    time.sleep(self.settings.lambda_retry_delay)
            finally:
                invocation.done.set()

        threading.Thread(target=run, name=f"lambda-{logical_id}", daemon=True).start()
        return invocation

    # --- bookkeeping ---------------------------------------------------------------------------

    def _emit(self, stack: str, logical_id: str, resource_type: str, status: str, reason: str = "") -> None:
        self.progress(stack, logical_id, resource_type, status, reason)

    def _save(self) -> None:
        if self._state_file is not None:
            with self._lock:
                self._state_file.parent.mkdir(parents=True, exist_ok=True)
                self._state_file.write_text(json.dumps(self.stacks, indent=1))


def _is_custom(resource_type: str) -> bool:
    return resource_type in CUSTOM_TYPES or resource_type.startswith("Custom::")


def _summary(failed: dict[str, Exception]) -> str:
    return "; ".join(f"{logical_id}: {error}" for logical_id, error in failed.items())
