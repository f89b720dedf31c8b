"""Change sets, and DeleteStack: the operations that change a stack.

A change set is computed when it is created: CREATE_COMPLETE at once, or FAILED when it changes
nothing. Executing it, or deleting a stack, starts the engine in the background (`Operations`);
the stack's status changes before the answer, as the caller's next DescribeStacks must see it.
A CREATE change set, or an IMPORT one for a new stack, leaves the stack in REVIEW_IN_PROGRESS
until it is executed; what an IMPORT one may hold is `imports.py`'s business. CreateStack and
UpdateStack (`stacks.py`) check a stack's status and plan its changes with the same functions.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from ..changes import resource_changes
from ..context import Deployment
from ..deployment import new_record
from ..engine import StackEngine
from ..intrinsics import TemplateError
from ..parameters import Settled
from ..query import ApiError, validation_error
from ..resources import resource_types
from ..settings import Settings
from ..state import NOT_DEPLOYED, ChangeSetRecord, StackRecord
from .imports import IMPORT_REASON, check_imports, import_changes, only_imports, requested_imports, resources_to_import
from .operations import Operations
from .records import (
    CHANGE_SET_MEMBERS,
    EXECUTED,
    SUMMARY_MEMBERS,
    find_change_set,
    find_stack,
    shown_parameters,
)
from .template_source import checked_template

EMPTY_CHANGE_SET = (
    "The submitted information didn't contain changes. Submit different information to create a change set."
)
# Statuses from which no update may start (besides any *_IN_PROGRESS): a stack that failed to be
# created or deleted can only be deleted.
NOT_UPDATABLE = ("ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "DELETE_FAILED")


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
    types, imports = requested_imports(request, change_set_type)
    record = _stack_to_change(engine, stack_name, name, change_set_type)
    logical_name = record["stack_name"] if record is not None else stack_name
    checked = checked_template(engine, endpoint_url, request, record, logical_name)
    template, settled = checked.template, checked.settled
    changes, empty = planned_changes(engine, record, logical_name, template, settled)
    reason = EMPTY_CHANGE_SET if empty else None
    if imports:
        check_imports(engine, record, template, types, imports)
        only_imports(changes, imports, template, record.get("template", {}) if record is not None else {})
        changes, failure = import_changes(engine, template, imports)
        empty, reason = bool(failure), failure or IMPORT_REASON
    # The new stack is made only now: a change set refused above leaves nothing behind, as in CloudFormation.
    if record is None:
        record = engine.review_stack(logical_name, str(template.get("Description", "")))
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
        "StatusReason": reason,
        "NotificationARNs": [],
        "Capabilities": request.get("Capabilities", []),
        "Tags": request.get("Tags", []),
        "Changes": changes,
        "IncludeNestedStacks": bool(request.get("IncludeNestedStacks", False)),
        "ImportExistingResources": bool(request.get("ImportExistingResources", False)),
        "ChangeSetType": change_set_type,
        "template": template,
        "template_body": checked.body,
        "settled": settled.as_record(),
        "client_token": token,
    }
    engine.state.change_sets[change_set["ChangeSetId"]] = change_set
    engine.state.save()
    return {"Id": change_set["ChangeSetId"], "StackId": record["stack_id"]}


def _stack_to_change(engine: StackEngine, stack_name: str, name: str, change_set_type: str) -> StackRecord | None:
    """The stack a change set named `name` may change: None for a new stack (CREATE, or an IMPORT
    that creates it); refused when the type, the stack's status or another change set of that
    name forbids it."""
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
    elif change_set_type == "UPDATE" or (change_set_type == "IMPORT" and record is not None):
        if record is None:
            raise validation_error(f"Stack [{stack_name}] does not exist")
        if record.get("status") != "REVIEW_IN_PROGRESS" or change_set_type == "UPDATE":
            refuse_unless_updatable(record)
    elif change_set_type == "IMPORT":
        if stack_name.startswith("arn:"):
            raise validation_error("A stack to create is named by its name, not an ARN")
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


def refuse_unless_updatable(record: StackRecord) -> None:
    """CloudFormation's ValidationError for a stack whose status allows no update."""
    status = str(record.get("status", ""))
    if status in NOT_UPDATABLE or status.endswith("_IN_PROGRESS"):
        raise validation_error(f"Stack:{record['stack_id']} is in {status} state and can not be updated.")


def planned_changes(
    engine: StackEngine, record: StackRecord | None, stack_name: str, template: dict[str, Any], settled: Settled
) -> tuple[list[dict[str, Any]], bool]:
    """What deploying `template` would change, as DescribeChangeSet shows it (everything is an Add
    for a stack not made yet), and whether it changes nothing at all."""
    target = record if record is not None else new_record(stack_name, engine.settings)
    deployed = target.get("resources", {}) if target.get("status") not in NOT_DEPLOYED else {}
    try:
        wanted = engine.wanted_resources(target, template, settled)
    except TemplateError as error:
        raise validation_error(f"Template error: {error}") from None
    old = Settled.from_record(target.get("parameters"))
    changed_parameters = {name for name, value in settled.resolved.items() if old.resolved.get(name) != value}
    changes = resource_changes(target.get("template", {}), deployed, template, wanted, changed_parameters, _replaced_by)
    same = (
        not changes
        and target.get("status") not in NOT_DEPLOYED
        and record is not None
        and template.get("Outputs") == target.get("template", {}).get("Outputs")
        and not changed_parameters
    )
    return changes, same


def _replaced_by(resource_type: str) -> frozenset[str]:
    native = resource_types().get(resource_type)
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
    change_set_type = change_set["ChangeSetType"]
    imports = resources_to_import(change_set) if change_set_type == "IMPORT" else {}
    record["status"] = {"CREATE": "CREATE_IN_PROGRESS", "IMPORT": "IMPORT_IN_PROGRESS"}.get(
        change_set_type, "UPDATE_IN_PROGRESS"
    )
    engine.state.save()
    deployment = Deployment(
        record["stack_name"],
        change_set["template"],
        parameters=Settled.from_record(change_set["settled"]),
        template_body=change_set["template_body"],
        import_existing=change_set["ImportExistingResources"],
        change_set_id=change_set["ChangeSetId"],
        create=change_set_type == "CREATE",
        on_failure="DO_NOTHING" if request.get("DisableRollback") else "ROLLBACK",
        imports=imports,
    )

    def ended(succeeded: bool) -> None:
        change_set["ExecutionStatus"] = "EXECUTE_COMPLETE" if succeeded else "EXECUTE_FAILED"

    operations.deploy(record, deployment, ended)
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
