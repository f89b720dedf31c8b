"""CloudFormation's API as the CDK CLI, boto3 and the AWS CLI use it: the query protocol over the
stack engine.

The endpoint decodes each request whose SigV4 scope names `cloudformation` and hands its form to
`CloudFormationApi.handle`, which answers an HTTP status and the XML body. Change sets are
computed when created (CREATE_COMPLETE at once, or FAILED when empty) and executed in the
background: the caller polls DescribeStacks and DescribeStackEvents, as against AWS. Stacks,
change sets and events are kept under `state_dir`.

Every other service (S3, SSM, IAM, Logs, ECR, Personalize) is reached with boto3 at
`endpoint_url`: templates at a TemplateURL, Lambda code, SSM parameter types, resources.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from .changesets import resource_changes
from .context import Deployment
from .engine import StackEngine
from .errors import DeploymentFailed
from .intrinsics import TemplateError
from .parameters import ParameterError, Settled
from .query import ApiError, operation, read_input, validation_error, write_error, write_output
from .resources import NATIVE_TYPES
from .response_server import ResponseServer
from .services import Services
from .settings import Settings
from .state import NOT_DEPLOYED
from .templates import TemplateFormatError, parse_template, s3_location

LOG = logging.getLogger(__name__)
EMPTY_CHANGE_SET = (
    "The submitted information didn't contain changes. Submit different information to create a change set."
)
EVENTS_PAGE = 100
EXECUTED = ("EXECUTE_IN_PROGRESS", "EXECUTE_COMPLETE", "EXECUTE_FAILED")
IAM_NAMES = {
    "AWS::IAM::Role": "RoleName",
    "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
    "AWS::IAM::User": "UserName",
    "AWS::IAM::Group": "GroupName",
    "AWS::IAM::InstanceProfile": "InstanceProfileName",
    "AWS::IAM::Policy": "",
    "AWS::IAM::AccessKey": "",
}


class CloudFormationApi:
    """The query API of the local CloudFormation; `handle` answers one decoded request."""

    def __init__(self, endpoint_url: str, state_dir: Path | None, settings: Settings | None = None) -> None:
        self.endpoint_url = endpoint_url
        self.state_dir = state_dir
        self.settings = settings or Settings()
        self.responses = ResponseServer()
        self.unknown_actions: list[str] = []  # actions asked for that the local cloud lacks
        self._cloud: StackEngine | None = None
        self._threads: list[threading.Thread] = []
        self._lock = threading.RLock()

    # --- lifecycle -----------------------------------------------------------------------------

    def start(self) -> None:
        self.responses.start()
        state_file = self.state_dir / "cloudformation" / "stacks.json" if self.state_dir else None
        code_dir = self.state_dir / "cloudformation" / "lambda-code" if self.state_dir else None
        self._cloud = StackEngine(
            Services(self.endpoint_url, self.settings.region, self.settings.account),
            self.responses,
            state_file=state_file,
            settings=self.settings,
            progress=self._log_progress,
            code_dir=code_dir,
        )
        self._recover()

    def stop(self) -> None:
        for thread in list(self._threads):
            thread.join(timeout=1)
        self.responses.stop()

    @property
    def cloud(self) -> StackEngine:
        if self._cloud is None:
            raise RuntimeError("CloudFormationApi.start() was not called")
        return self._cloud

    def wait_idle(self, timeout: float = 600) -> None:
        """Wait until no stack operation runs in the background (for tests and shutdown)."""
        deadline = time.monotonic() + timeout
        for thread in list(self._threads):
            thread.join(max(0.0, deadline - time.monotonic()))

    # --- the protocol: each operation is the method op_<its name in snake case> -----------------------

    def handle(self, params: Mapping[str, str]) -> tuple[int, bytes]:
        action = params.get("Action", "")
        try:
            model = operation(action)
            method = "op_" + re.sub(r"(?<!^)(?=[A-Z])", "_", action).lower()
            handler: Callable[[dict[str, Any]], dict[str, Any]] | None = getattr(self, method, None)
            if model is None or handler is None:
                self.unknown_actions.append(action)
                LOG.warning("cloudformation %s: not emulated by the local cloud", action or "(no Action)")
                raise ApiError("InvalidAction", f"Could not find operation {action} for version 2010-05-15")
            # one request at a time, and none while the engine changes a record in a thread of its own
            with self._lock, self.cloud.state.lock:
                result = handler(read_input(model, params))
            return 200, write_output(model, result)
        except ApiError as error:
            return error.status, write_error(error)
        except Exception as error:  # an error of the local cloud's own: the service's 500, logged
            LOG.exception("cloudformation %s failed", action)
            return 500, write_error(ApiError("InternalFailure", f"{type(error).__name__}: {error}", 500, sender=False))

    def _log_progress(self, stack: str, logical_id: str, resource_type: str, status: str, reason: str) -> None:
        LOG.info("%s %s %s %s %s", stack, status, resource_type, logical_id, reason)

    # --- stacks --------------------------------------------------------------------------------

    def _stack(self, name: str, message: str = "Stack with id {} does not exist") -> dict[str, Any]:
        record = self.cloud.state.find(name)
        if record is None:
            raise validation_error(message.format(name))
        return record

    def op_describe_stacks(self, request: dict[str, Any]) -> dict[str, Any]:
        name = request.get("StackName")
        records = [self._stack(name)] if name else list(self.cloud.stacks.values())
        return {"Stacks": [self._describe_stack(record) for record in records]}

    def _describe_stack(self, record: dict[str, Any]) -> dict[str, Any]:
        template = record.get("template", {})
        settled = Settled.from_record(record.get("parameters"))
        outputs = []
        for key, value in record.get("outputs", {}).items():
            output = {"OutputKey": key, "OutputValue": value}
            description = template.get("Outputs", {}).get(key, {}).get("Description")
            if description:
                output["Description"] = description
            if key in record.get("export_names", {}):
                output["ExportName"] = record["export_names"][key]
            outputs.append(output)
        described = {
            "StackId": record["stack_id"],
            "StackName": record["stack_name"],
            "ChangeSetId": record.get("change_set_id"),
            "Description": record.get("description") or None,
            "Parameters": _parameters(settled),
            "CreationTime": record.get("creation_time", time.time()),
            "DeletionTime": record.get("deletion_time"),
            "LastUpdatedTime": record.get("last_updated_time"),
            "StackStatus": record.get("status", "CREATE_COMPLETE"),
            "StackStatusReason": record.get("status_reason") or None,
            "DisableRollback": False,
            "NotificationARNs": [],
            "Capabilities": record.get("capabilities", []),
            "Outputs": outputs,
            "Tags": record.get("tags", []),
            "EnableTerminationProtection": False,
            "DriftInformation": {"StackDriftStatus": "NOT_CHECKED"},
        }
        return described

    def op_describe_stack_events(self, request: dict[str, Any]) -> dict[str, Any]:
        record = self._stack(request["StackName"], "Stack [{}] does not exist")
        events = self.cloud.state.events_of(record["stack_id"])
        end = len(events)
        if request.get("NextToken"):
            try:
                end = int(request["NextToken"])
            except ValueError:
                raise validation_error("Invalid NextToken") from None
        start = max(0, end - EVENTS_PAGE)
        page = list(reversed(events[start:end]))
        result: dict[str, Any] = {"StackEvents": page}
        if start > 0:
            result["NextToken"] = str(start)
        return result

    def op_describe_stack_resources(self, request: dict[str, Any]) -> dict[str, Any]:
        if "StackName" not in request:
            raise validation_error("StackName must be specified")  # by physical id: not emulated
        record = self._stack(request["StackName"])
        rows = []
        for row in self._resource_rows(record):
            if request.get("LogicalResourceId") not in (None, row["LogicalResourceId"]):
                continue
            rows.append(
                {
                    **row,
                    "StackName": record["stack_name"],
                    "StackId": record["stack_id"],
                    "Timestamp": row.pop("LastUpdatedTimestamp"),
                }
            )
        return {"StackResources": rows}

    def op_list_stack_resources(self, request: dict[str, Any]) -> dict[str, Any]:
        record = self._stack(request["StackName"])
        return {"StackResourceSummaries": self._resource_rows(record)}

    def op_describe_stack_resource(self, request: dict[str, Any]) -> dict[str, Any]:
        record = self._stack(request["StackName"])
        for row in self._resource_rows(record):
            if row["LogicalResourceId"] == request["LogicalResourceId"]:
                detail = {**row, "StackName": record["stack_name"], "StackId": record["stack_id"]}
                return {"StackResourceDetail": detail}
        raise validation_error(
            f"Resource {request['LogicalResourceId']} does not exist for stack {request['StackName']}"
        )

    def _resource_rows(self, record: dict[str, Any]) -> list[dict[str, Any]]:
        statuses = record.get("resource_status", {})
        rows = []
        for logical_id in dict.fromkeys([*record.get("resources", {}), *statuses]):
            entry = record["resources"].get(logical_id)
            status = statuses.get(logical_id, {})
            if entry is None and not str(status.get("status", "")).endswith("FAILED"):
                continue
            row = {
                "LogicalResourceId": logical_id,
                "PhysicalResourceId": entry["physical_id"] if entry else None,
                "ResourceType": entry["type"]
                if entry
                else record["template"].get("Resources", {}).get(logical_id, {}).get("Type", ""),
                "LastUpdatedTimestamp": status.get("timestamp", record.get("creation_time", time.time())),
                "ResourceStatus": status.get("status", "CREATE_COMPLETE"),
                "ResourceStatusReason": status.get("reason") or None,
                "DriftInformation": {"StackResourceDriftStatus": "NOT_CHECKED"},
            }
            rows.append(row)
        return rows

    def op_list_exports(self, request: dict[str, Any]) -> dict[str, Any]:
        exports = []
        for record in self.cloud.state.deployed().values():
            for name, value in record.get("exports", {}).items():
                exports.append({"ExportingStackId": record["stack_id"], "Name": name, "Value": value})
        return {"Exports": exports}

    def op_list_stacks(self, request: dict[str, Any]) -> dict[str, Any]:
        wanted = set(request.get("StackStatusFilter", []))
        summaries = []
        for record in [*self.cloud.stacks.values(), *self.cloud.state.deleted.values()]:
            status = record.get("status", "CREATE_COMPLETE")
            if wanted and status not in wanted:
                continue
            summaries.append(
                {
                    "StackId": record["stack_id"],
                    "StackName": record["stack_name"],
                    "CreationTime": record.get("creation_time", time.time()),
                    "LastUpdatedTime": record.get("last_updated_time"),
                    "DeletionTime": record.get("deletion_time"),
                    "StackStatus": status,
                    "StackStatusReason": record.get("status_reason") or None,
                    "DriftInformation": {"StackDriftStatus": "NOT_CHECKED"},
                }
            )
        return {"StackSummaries": summaries}

    def op_get_template(self, request: dict[str, Any]) -> dict[str, Any]:
        if request.get("ChangeSetName"):
            change_set = self._change_set(request["ChangeSetName"], request.get("StackName"))
            return {"TemplateBody": change_set["template_body"], "StagesAvailable": ["Original", "Processed"]}
        if "StackName" not in request:
            raise validation_error("Either StackName or ChangeSetName must be specified")
        record = self._stack(request["StackName"])
        return {"TemplateBody": _body(record), "StagesAvailable": ["Original", "Processed"]}

    def op_delete_stack(self, request: dict[str, Any]) -> dict[str, Any]:
        record = self.cloud.state.find(request["StackName"])
        if record is None or record.get("status") == "DELETE_COMPLETE":
            return {}  # deleting what is not there succeeds, as in CloudFormation
        status = str(record.get("status", ""))
        if status.endswith("_IN_PROGRESS") and status != "REVIEW_IN_PROGRESS":
            if status.startswith("DELETE"):
                return {}
            raise validation_error(f"Stack [{record['stack_name']}] cannot be deleted while in status {status}")
        record["status"] = "DELETE_IN_PROGRESS"  # at once, as the caller's next DescribeStacks sees it
        self._background(
            f"delete-{record['stack_name']}", record["stack_id"], lambda: self.cloud.destroy(record["stack_id"])
        )
        return {}

    # --- templates -----------------------------------------------------------------------------

    def _template(self, request: dict[str, Any], record: dict[str, Any] | None) -> tuple[dict[str, Any], str]:
        """The template a request names (body, URL or the stack's previous one), parsed."""
        if request.get("UsePreviousTemplate"):
            if record is None or record.get("status") in NOT_DEPLOYED:
                raise validation_error("UsePreviousTemplate can only be used with an existing stack")
            body = _body(record)
        elif request.get("TemplateBody"):
            body = request["TemplateBody"]
        elif request.get("TemplateURL"):
            body = self._fetch_template(request["TemplateURL"])
        else:
            raise validation_error("Either Template URL or Template Body must be specified.")
        try:
            return parse_template(body), body
        except TemplateFormatError as error:
            raise validation_error(str(error)) from None

    def _fetch_template(self, url: str) -> str:
        try:
            bucket, key = s3_location(url, self.endpoint_url)
        except ValueError as error:
            raise validation_error(str(error)) from None
        s3 = self.cloud.services.client("s3")
        try:
            return str(s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8"))
        except ClientError as error:
            code = error.response["Error"]["Code"]
            raise validation_error(f"S3 error: Unable to get object {key} from bucket {bucket}: {code}") from None
        except UnicodeDecodeError:
            raise validation_error(f"Template format error: s3://{bucket}/{key} is not text") from None

    def op_get_template_summary(self, request: dict[str, Any]) -> dict[str, Any]:
        record = self.cloud.state.find(request["StackName"]) if request.get("StackName") else None
        if request.get("StackName") and record is None:
            raise validation_error(f"Stack with id {request['StackName']} does not exist")
        template, _ = (record["template"], "") if record else self._template(request, None)
        capabilities, reason = _capabilities_needed(template)
        return {
            "Parameters": [
                {
                    "ParameterKey": name,
                    "DefaultValue": None if "Default" not in p else str(p["Default"]),
                    "ParameterType": str(p.get("Type", "String")),
                    "NoEcho": str(p.get("NoEcho", "false")).lower() == "true",
                    "Description": p.get("Description"),
                    "ParameterConstraints": {"AllowedValues": [str(v) for v in p["AllowedValues"]]}
                    if "AllowedValues" in p
                    else None,
                }
                for name, p in (template.get("Parameters") or {}).items()
            ],
            "Description": template.get("Description"),
            "Capabilities": capabilities,
            "CapabilitiesReason": reason or None,
            "ResourceTypes": sorted({r["Type"] for r in template["Resources"].values()}),
            "Version": str(template.get("AWSTemplateFormatVersion", "2010-09-09")),
            "Metadata": json.dumps(template["Metadata"]) if "Metadata" in template else None,
        }

    def op_validate_template(self, request: dict[str, Any]) -> dict[str, Any]:
        template, _ = self._template(request, None)
        capabilities, reason = _capabilities_needed(template)
        return {
            "Parameters": [
                {
                    "ParameterKey": name,
                    "DefaultValue": None if "Default" not in p else str(p["Default"]),
                    "NoEcho": str(p.get("NoEcho", "false")).lower() == "true",
                    "Description": p.get("Description"),
                }
                for name, p in (template.get("Parameters") or {}).items()
            ],
            "Description": template.get("Description"),
            "Capabilities": capabilities,
            "CapabilitiesReason": reason or None,
        }

    # --- change sets ---------------------------------------------------------------------------

    def _change_set(self, name: str, stack_name: str | None) -> dict[str, Any]:
        """A change set by ARN, or by name on its stack; ChangeSetNotFound (404) otherwise."""
        change_sets = self.cloud.state.change_sets
        if name.startswith("arn:"):
            found = change_sets.get(name)
        else:
            record = self.cloud.state.find(stack_name) if stack_name else None
            found = next(
                (
                    change_set
                    for change_set in change_sets.values()
                    if record is not None
                    and change_set["StackId"] == record["stack_id"]
                    and change_set["ChangeSetName"] == name
                    and change_set["ExecutionStatus"] not in EXECUTED
                ),
                None,
            )
        if found is None:
            raise ApiError("ChangeSetNotFound", f"ChangeSet [{name}] does not exist", 404)
        return found

    def op_create_change_set(self, request: dict[str, Any]) -> dict[str, Any]:
        created = time.time()  # the stack's events, its REVIEW_IN_PROGRESS too, come after
        stack_name, name = request["StackName"], request["ChangeSetName"]
        change_set_type = request.get("ChangeSetType", "UPDATE")
        token = request.get("ClientToken")
        if token:
            for change_set in self.cloud.state.change_sets.values():
                if change_set.get("client_token") == token and change_set["StackName"] == stack_name:
                    return {"Id": change_set["ChangeSetId"], "StackId": change_set["StackId"]}
        if not name[:1].isalpha() or not all(c.isalnum() or c == "-" for c in name) or len(name) > 128:
            raise validation_error(
                f"1 validation error detected: Value '{name}' at 'changeSetName' failed to satisfy constraint: "
                "Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*"
            )
        record = self.cloud.state.find(stack_name)
        if record is not None and record.get("status") == "DELETE_COMPLETE":
            record = None
        if change_set_type == "CREATE":
            if stack_name.startswith("arn:"):
                raise validation_error("A stack to create is named by its name, not an ARN")
            if record is not None and record.get("status") != "REVIEW_IN_PROGRESS":
                raise ApiError(
                    "AlreadyExistsException",
                    f"Stack [{stack_name}] already exists and cannot be created again with the changeSet [{name}].",
                )
        elif change_set_type == "UPDATE":
            if record is None:
                raise validation_error(f"Stack [{stack_name}] does not exist")
            status = str(record.get("status", ""))
            if status in ("REVIEW_IN_PROGRESS", "ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "DELETE_FAILED") or (
                status.endswith("_IN_PROGRESS")
            ):
                raise validation_error(f"Stack:{record['stack_id']} is in {status} state and can not be updated.")
        else:
            raise validation_error(f"ChangeSetType {change_set_type} is not supported by the local cloud")
        if record is not None:
            for change_set in self.cloud.state.change_sets.values():
                if (
                    change_set["StackId"] == record["stack_id"]
                    and change_set["ChangeSetName"] == name
                    and change_set["ExecutionStatus"] not in EXECUTED
                ):
                    raise ApiError("AlreadyExistsException", f"ChangeSet {name} already exists")
        template, body = self._template(request, record)
        _check_capabilities(template, request.get("Capabilities", []))
        given: dict[str, str | None] = {}
        for parameter in request.get("Parameters", []):
            key = parameter.get("ParameterKey", "")
            given[key] = None if parameter.get("UsePreviousValue") else parameter.get("ParameterValue", "")
        logical_name = record["stack_name"] if record is not None else stack_name
        try:
            settled = self.cloud.settle(logical_name, template, given)
        except ParameterError as error:
            raise validation_error(str(error)) from None
        if record is None:
            record = self.cloud.review_stack(logical_name, str(template.get("Description", "")))
        changes, empty = self._changes(record, template, settled)
        change_set = {
            "ChangeSetId": f"arn:aws:cloudformation:{self.settings.region}:{self.settings.account}:changeSet/"
            f"{name}/{uuid.uuid4()}",
            "ChangeSetName": name,
            "StackId": record["stack_id"],
            "StackName": record["stack_name"],
            "Description": request.get("Description"),
            "Parameters": _parameters(settled),
            "CreationTime": created,
            "ExecutionStatus": "UNAVAILABLE" if empty else "AVAILABLE",
            "Status": "FAILED" if empty else "CREATE_COMPLETE",
            "StatusReason": EMPTY_CHANGE_SET if empty else None,
            "NotificationARNs": [],
            "Capabilities": request.get("Capabilities", []),
            "Tags": request.get("Tags", []),
            "Changes": changes,
            "IncludeNestedStacks": bool(request.get("IncludeNestedStacks", False)),
            "ImportExistingResources": bool(request.get("ImportExistingResources", False)),
            "ChangeSetType": change_set_type,
            "template": template,
            "template_body": body,
            "settled": settled.as_record(),
            "client_token": token,
        }
        self.cloud.state.change_sets[change_set["ChangeSetId"]] = change_set
        self.cloud.state.save()
        return {"Id": change_set["ChangeSetId"], "StackId": record["stack_id"]}

    def _changes(
        self, record: dict[str, Any], template: dict[str, Any], settled: Settled
    ) -> tuple[list[dict[str, Any]], bool]:
        """The change set's Changes, and whether it changes nothing at all."""
        deployed = record.get("resources", {}) if record.get("status") not in NOT_DEPLOYED else {}
        try:
            wanted = self.cloud.wanted_resources(record, template, settled)
        except TemplateError as error:
            raise validation_error(f"Template error: {error}") from None
        old = Settled.from_record(record.get("parameters"))
        changed_parameters = {name for name, value in settled.resolved.items() if old.resolved.get(name) != value}
        changes = resource_changes(
            record.get("template", {}), deployed, template, wanted, changed_parameters, _replaced_by
        )
        same = (
            not changes
            and record.get("status") not in NOT_DEPLOYED
            and template.get("Outputs") == record.get("template", {}).get("Outputs")
            and not changed_parameters
        )
        return changes, same

    def op_describe_change_set(self, request: dict[str, Any]) -> dict[str, Any]:
        change_set = self._change_set(request["ChangeSetName"], request.get("StackName"))
        described = {key: value for key, value in change_set.items() if key[0].isupper()}
        if not request.get("IncludePropertyValues"):
            described["Changes"] = [_without_values(change) for change in change_set["Changes"]]
        return described

    def op_list_change_sets(self, request: dict[str, Any]) -> dict[str, Any]:
        record = self._stack(request["StackName"], "Stack [{}] does not exist")
        summaries = [
            {
                key: change_set.get(key)
                for key in (
                    "StackId",
                    "StackName",
                    "ChangeSetId",
                    "ChangeSetName",
                    "ExecutionStatus",
                    "Status",
                    "StatusReason",
                    "CreationTime",
                    "Description",
                    "IncludeNestedStacks",
                    "ImportExistingResources",
                )
            }
            for change_set in self.cloud.state.change_sets.values()
            if change_set["StackId"] == record["stack_id"] and change_set["ExecutionStatus"] not in EXECUTED
        ]
        return {"Summaries": summaries}

    def op_delete_change_set(self, request: dict[str, Any]) -> dict[str, Any]:
        name, stack_name = request["ChangeSetName"], request.get("StackName")
        if stack_name and not name.startswith("arn:"):
            self._stack(stack_name, "Stack [{}] does not exist")
        try:
            change_set = self._change_set(name, stack_name)
        except ApiError:
            return {}  # nothing to delete
        if change_set["ExecutionStatus"] == "EXECUTE_IN_PROGRESS":
            raise ApiError(
                "InvalidChangeSetStatus",
                f"Cannot delete ChangeSet {change_set['ChangeSetId']} in status EXECUTE_IN_PROGRESS",
            )
        del self.cloud.state.change_sets[change_set["ChangeSetId"]]
        self.cloud.state.save()
        return {}

    def op_execute_change_set(self, request: dict[str, Any]) -> dict[str, Any]:
        change_set = self._change_set(request["ChangeSetName"], request.get("StackName"))
        if change_set["Status"] != "CREATE_COMPLETE" or change_set["ExecutionStatus"] != "AVAILABLE":
            state = (
                f"status of [{change_set['Status']}]"
                if change_set["Status"] != "CREATE_COMPLETE"
                else f"execution status of [{change_set['ExecutionStatus']}]"
            )
            raise ApiError(
                "InvalidChangeSetStatus",
                f"ChangeSet [{change_set['ChangeSetId']}] cannot be executed in its current {state}",
            )
        record = self._stack(change_set["StackId"])
        status = str(record.get("status", ""))
        if status.endswith("_IN_PROGRESS") and status != "REVIEW_IN_PROGRESS":
            raise ApiError("InvalidChangeSetStatus", f"Stack:{record['stack_id']} is in {status} state")
        change_set["ExecutionStatus"] = "EXECUTE_IN_PROGRESS"
        # Executing a change set removes the stack's other change sets.
        for other_id, other in list(self.cloud.state.change_sets.items()):
            if other["StackId"] == record["stack_id"] and other is not change_set:
                del self.cloud.state.change_sets[other_id]
        record["capabilities"] = change_set["Capabilities"]
        record["tags"] = change_set["Tags"]
        # in progress at once, as the caller's next DescribeStacks must see it
        creating = change_set["ChangeSetType"] == "CREATE"
        record["status"] = "CREATE_IN_PROGRESS" if creating else "UPDATE_IN_PROGRESS"
        self.cloud.state.save()
        deployment = Deployment(
            record["stack_name"],
            change_set["template"],
            parameters=Settled.from_record(change_set["settled"]),
            template_body=change_set["template_body"],
            import_existing=change_set["ImportExistingResources"],
            change_set_id=change_set["ChangeSetId"],
            create=creating,
        )

        def execute() -> None:
            try:
                self.cloud.run(deployment)
                change_set["ExecutionStatus"] = "EXECUTE_COMPLETE"
            except DeploymentFailed:
                change_set["ExecutionStatus"] = "EXECUTE_FAILED"
            finally:
                self.cloud.state.save()

        self._background(f"execute-{record['stack_name']}", record["stack_id"], execute)
        return {}

    def _background(self, name: str, stack_id: str, work: Callable[[], None]) -> None:
        """A stack operation in a thread of its own; an error of ours ends it in a failed state."""

        def run() -> None:
            try:
                work()
            except DeploymentFailed:
                pass
            except Exception as error:
                LOG.exception("%s failed", name)
                self.cloud.interrupted(stack_id, f"Internal error of the local cloud: {type(error).__name__}: {error}")

        thread = threading.Thread(target=run, name=name, daemon=True)
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()

    def _recover(self) -> None:
        """After a restart: operations that were running end failed, so that no one waits forever."""
        for record in list(self.cloud.stacks.values()):
            self.cloud.interrupted(record["stack_name"], "The local cloud stopped during this operation")
        for change_set in self.cloud.state.change_sets.values():
            if change_set["ExecutionStatus"] == "EXECUTE_IN_PROGRESS":
                change_set["ExecutionStatus"] = "EXECUTE_FAILED"
        self.cloud.state.save()


# --- helpers -------------------------------------------------------------------------------------


def _body(record: dict[str, Any]) -> str:
    """The template as it was submitted; as JSON for a stack deployed from a cloud assembly."""
    body = record.get("template_body")
    return body if isinstance(body, str) else json.dumps(record.get("template", {}), indent=1)


def _parameters(settled: Settled) -> list[dict[str, Any]]:
    parameters = []
    for name, value in settled.values.items():
        parameter = {"ParameterKey": name, "ParameterValue": value}
        if name in settled.ssm_types:
            parameter["ResolvedValue"] = settled.resolved.get(name, "")
        parameters.append(parameter)
    return parameters


def _replaced_by(resource_type: str) -> frozenset[str]:
    native = NATIVE_TYPES.get(resource_type)
    return native.replaced_by if native is not None else frozenset()


def _without_values(change: dict[str, Any]) -> dict[str, Any]:
    resource = {k: v for k, v in change["ResourceChange"].items() if k not in ("BeforeContext", "AfterContext")}
    resource["Details"] = [
        {
            **detail,
            "Target": {k: v for k, v in detail["Target"].items() if k not in ("BeforeValue", "AfterValue")},
        }
        for detail in resource.get("Details", [])
    ]
    return {**change, "ResourceChange": resource}


def _capabilities_needed(template: Mapping[str, Any]) -> tuple[list[str], str]:
    needed: set[str] = set()
    causes = []
    for logical_id, resource in template.get("Resources", {}).items():
        resource_type = str(resource.get("Type", ""))
        if resource_type in IAM_NAMES:
            name_property = IAM_NAMES[resource_type]
            named = bool(name_property) and name_property in (resource.get("Properties") or {})
            needed.add("CAPABILITY_NAMED_IAM" if named else "CAPABILITY_IAM")
            causes.append(logical_id)
    if "CAPABILITY_NAMED_IAM" in needed:
        needed = {"CAPABILITY_NAMED_IAM"}
    reason = f"The following resource(s) require capabilities: [{', '.join(sorted(set(causes)))}]" if causes else ""
    return sorted(needed), reason


def _check_capabilities(template: Mapping[str, Any], given: list[str]) -> None:
    needed, _ = _capabilities_needed(template)
    if needed == ["CAPABILITY_IAM"] and "CAPABILITY_NAMED_IAM" in given:
        return
    missing = [capability for capability in needed if capability not in given]
    if missing:
        raise ApiError("InsufficientCapabilitiesException", f"Requires capabilities : [{', '.join(missing)}]")


__all__ = ["CloudFormationApi"]
