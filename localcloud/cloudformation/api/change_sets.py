"""Change sets, and DeleteStack: the operations that change a stack.

A change set is computed when it is created: CREATE_COMPLETE at once, or FAILED when it changes
nothing. Executing it, or deleting a stack, starts the engine in the background (`Operations`);
the stack's status changes before the answer, as the caller's next DescribeStacks must see it.
A CREATE change set leaves its new stack in REVIEW_IN_PROGRESS until it is executed.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from ..changes import resource_changes
from ..context import Deployment
from ..engine import StackEngine
from ..errors import DeploymentFailed
from ..intrinsics import TemplateError
from ..parameters import ParameterError, Settled
from ..query import ApiError, validation_error
from ..resources import NATIVE_TYPES
from ..settings import Settings
from ..state import NOT_DEPLOYED, ChangeSetRecord, StackRecord
from .capabilities import check_capabilities
from .operations import Operations
from .records import (
    CHANGE_SET_MEMBERS,
    EXECUTED,
    SUMMARY_MEMBERS,
    find_change_set,
    find_stack,
    shown_parameters,
)
from .template_source import refuse_unrunnable, requested_template

EMPTY_CHANGE_SET = (
    "The submitted information didn't contain changes. Submit different information to create a change set."
)


def create_change_set(
    engine: StackEngine, request: dict[str, Any], *, endpoint_url: str, settings: Settings
) -> dict[str, Any]:
    created = time.time()  # the stack's events, its REVIEW_IN_PROGRESS too, come after
    stack_name, name = request["StackName"], request["ChangeSetName"]
    change_set_type = request.get("ChangeSetType", "UPDATE")
    token = request.get("ClientToken")
    if token:
        for earlier in engine.state.change_sets.values():
            if earlier.get("client_token") == token and earlier["StackName"] == stack_name:
                return {"Id": earlier["ChangeSetId"], "StackId": earlier["StackId"]}
    if not name[:1].isalpha() or not all(c.isalnum() or c == "-" for c in name) or len(name) > 128:
        raise validation_error(
            f"1 validation error detected: Value '{name}' at 'changeSetName' failed to satisfy constraint: "
            "Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*"
        )
    record = _stack_to_change(engine, stack_name, name, change_set_type)
    template, body = requested_template(engine, endpoint_url, request, record)
    refuse_unrunnable(template)
    check_capabilities(template, request.get("Capabilities", []))
    given: dict[str, str | None] = {}
    for parameter in request.get("Parameters", []):
        key = parameter.get("ParameterKey", "")
        given[key] = None if parameter.get("UsePreviousValue") else parameter.get("ParameterValue", "")
    logical_name = record["stack_name"] if record is not None else stack_name
    try:
        settled = engine.settle(logical_name, template, given)
    except ParameterError as error:
        raise validation_error(str(error)) from None
    # The new stack is made only now: a change set refused above leaves nothing behind, as in CloudFormation.
    if record is None:
        record = engine.review_stack(logical_name, str(template.get("Description", "")))
    changes, empty = _changes(engine, record, template, settled)
    change_set: ChangeSetRecord = {
        "ChangeSetId": f"arn:aws:cloudformation:{settings.region}:{settings.account}:changeSet/{name}/{uuid.uuid4()}",
        "ChangeSetName": name,
        "StackId": record["stack_id"],
        "StackName": record["stack_name"],
        "Description": request.get("Description"),
        "Parameters": shown_parameters(settled),
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
    engine.state.change_sets[change_set["ChangeSetId"]] = change_set
    engine.state.save()
    return {"Id": change_set["ChangeSetId"], "StackId": record["stack_id"]}


def _stack_to_change(engine: StackEngine, stack_name: str, name: str, change_set_type: str) -> StackRecord | None:
    """The stack a change set named `name` may change: None for a CREATE of a new stack; refused
    when the type, the stack's status or another change set of that name forbids it."""
    record = engine.state.find(stack_name)
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
        for change_set in engine.state.change_sets.values():
            if (
                change_set["StackId"] == record["stack_id"]
                and change_set["ChangeSetName"] == name
                and change_set["ExecutionStatus"] not in EXECUTED
            ):
                raise ApiError("AlreadyExistsException", f"ChangeSet {name} already exists")
    return record


def _changes(
    engine: StackEngine, record: StackRecord, template: dict[str, Any], settled: Settled
) -> tuple[list[dict[str, Any]], bool]:
    """The change set's Changes, and whether it changes nothing at all."""
    deployed = record.get("resources", {}) if record.get("status") not in NOT_DEPLOYED else {}
    try:
        wanted = engine.wanted_resources(record, template, settled)
    except TemplateError as error:
        raise validation_error(f"Template error: {error}") from None
    old = Settled.from_record(record.get("parameters"))
    changed_parameters = {name for name, value in settled.resolved.items() if old.resolved.get(name) != value}
    changes = resource_changes(record.get("template", {}), deployed, template, wanted, changed_parameters, _replaced_by)
    same = (
        not changes
        and record.get("status") not in NOT_DEPLOYED
        and template.get("Outputs") == record.get("template", {}).get("Outputs")
        and not changed_parameters
    )
    return changes, same


def _replaced_by(resource_type: str) -> frozenset[str]:
    native = NATIVE_TYPES.get(resource_type)
    return native.replaced_by if native is not None else frozenset()


def describe_change_set(engine: StackEngine, request: dict[str, Any]) -> dict[str, Any]:
    change_set = find_change_set(engine, request["ChangeSetName"], request.get("StackName"))
    described = {key: change_set.get(key) for key in CHANGE_SET_MEMBERS}
    if not request.get("IncludePropertyValues"):
        described["Changes"] = [_without_values(change) for change in change_set["Changes"]]
    return described


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


def list_change_sets(engine: StackEngine, request: dict[str, Any]) -> dict[str, Any]:
    record = find_stack(engine, request["StackName"], "Stack [{}] does not exist")
    summaries = [
        {key: change_set.get(key) for key in SUMMARY_MEMBERS}
        for change_set in engine.state.change_sets.values()
        if change_set["StackId"] == record["stack_id"] and change_set["ExecutionStatus"] not in EXECUTED
    ]
    return {"Summaries": summaries}


def delete_change_set(engine: StackEngine, request: dict[str, Any]) -> dict[str, Any]:
    name, stack_name = request["ChangeSetName"], request.get("StackName")
    if stack_name and not name.startswith("arn:"):
        find_stack(engine, stack_name, "Stack [{}] does not exist")
    try:
        change_set = find_change_set(engine, name, stack_name)
    except ApiError:
        return {}  # nothing to delete
    if change_set["ExecutionStatus"] == "EXECUTE_IN_PROGRESS":
        raise ApiError(
            "InvalidChangeSetStatus",
            f"Cannot delete ChangeSet {change_set['ChangeSetId']} in status EXECUTE_IN_PROGRESS",
        )
    del engine.state.change_sets[change_set["ChangeSetId"]]
    engine.state.save()
    return {}


def execute_change_set(engine: StackEngine, request: dict[str, Any], *, operations: Operations) -> dict[str, Any]:
    change_set = find_change_set(engine, request["ChangeSetName"], request.get("StackName"))
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
    record = find_stack(engine, change_set["StackId"])
    status = str(record.get("status", ""))
    if status.endswith("_IN_PROGRESS") and status != "REVIEW_IN_PROGRESS":
        raise ApiError("InvalidChangeSetStatus", f"Stack:{record['stack_id']} is in {status} state")
    change_set["ExecutionStatus"] = "EXECUTE_IN_PROGRESS"
    # Executing a change set removes the stack's other change sets.
    for other_id, other in list(engine.state.change_sets.items()):
        if other["StackId"] == record["stack_id"] and other is not change_set:
            del engine.state.change_sets[other_id]
    record["capabilities"] = change_set["Capabilities"]
    record["tags"] = change_set["Tags"]
    creating = change_set["ChangeSetType"] == "CREATE"
    record["status"] = "CREATE_IN_PROGRESS" if creating else "UPDATE_IN_PROGRESS"
    engine.state.save()
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
            engine.run(deployment)
            change_set["ExecutionStatus"] = "EXECUTE_COMPLETE"
        except DeploymentFailed:
            change_set["ExecutionStatus"] = "EXECUTE_FAILED"
        finally:
            engine.state.save()

    operations.start(f"execute-{record['stack_name']}", record["stack_id"], execute)
    return {}


def delete_stack(engine: StackEngine, request: dict[str, Any], *, operations: Operations) -> dict[str, Any]:
    record = engine.state.find(request["StackName"])
    if record is None or record.get("status") == "DELETE_COMPLETE":
        return {}  # deleting what is not there succeeds, as in CloudFormation
    status = str(record.get("status", ""))
    if status.endswith("_IN_PROGRESS") and status != "REVIEW_IN_PROGRESS":
        if status.startswith("DELETE"):
            return {}
        raise validation_error(f"Stack [{record['stack_name']}] cannot be deleted while in status {status}")
    record["status"] = "DELETE_IN_PROGRESS"
    operations.start(f"delete-{record['stack_name']}", record["stack_id"], lambda: engine.destroy(record["stack_id"]))
    return {}
