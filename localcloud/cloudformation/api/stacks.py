"""CreateStack and UpdateStack: CloudFormation's other door, a stack operation with no change set.

`cdk deploy --method=direct` and SDK scripts use them. A request is checked as CreateChangeSet
checks one (`checked_template`: the template, its parameters and Rules, the capabilities), then
the operation runs in the background as an executed change set does (`Operations.deploy`), and
the answer is the StackId; the caller polls DescribeStacks and DescribeStackEvents. CloudFormation's
refusals, in its words: a stack that exists already (AlreadyExistsException), an update of a
stack that does not exist, or whose status allows none, and an update that changes nothing
("No updates are to be performed.", which the CDK CLI takes for a no-op).

A ClientRequestToken seen before on the same stack answers the same StackId and runs nothing
again. OnFailure (ROLLBACK, DELETE, DO_NOTHING) or DisableRollback says what a failed create
leaves; DisableRollback on UpdateStack leaves a failed update UPDATE_FAILED.
"""

from __future__ import annotations

import re
from typing import Any

from ..context import Deployment
from ..engine import StackEngine
from ..query import ApiError, validation_error
from .change_sets import planned_changes, refuse_unless_updatable
from .operations import Operations
from .template_source import checked_template

NO_UPDATES = "No updates are to be performed."
ON_FAILURE = ("DO_NOTHING", "ROLLBACK", "DELETE")
STACK_NAME = re.compile(r"[a-zA-Z][-a-zA-Z0-9]*")


def create_stack(
    engine: StackEngine, request: dict[str, Any], *, endpoint_url: str, operations: Operations
) -> dict[str, Any]:
    stack_name = request["StackName"]
    token = request.get("ClientRequestToken")
    earlier = operations.started_by(token, stack_name)
    if earlier is not None:
        return {"StackId": earlier}
    if not STACK_NAME.fullmatch(stack_name) or len(stack_name) > 128:
        raise validation_error(
            f"1 validation error detected: Value '{stack_name}' at 'stackName' failed to satisfy constraint: "
            "Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*"
        )
    on_failure = _on_failure(request)
    existing = engine.state.find(stack_name)
    if existing is not None and existing.get("status") != "DELETE_COMPLETE":
        raise ApiError("AlreadyExistsException", f"Stack [{stack_name}] already exists")
    checked = checked_template(engine, endpoint_url, request, None, stack_name)
    # Made only now: a refused request leaves nothing behind.
    record = engine.reserve(stack_name, "CREATE_IN_PROGRESS", str(checked.template.get("Description", "")))
    record["capabilities"] = request.get("Capabilities", [])
    record["tags"] = request.get("Tags", [])
    deployment = Deployment(
        stack_name,
        checked.template,
        parameters=checked.settled,
        template_body=checked.body,
        create=True,
        on_failure=on_failure,
    )
    operations.remember(token, stack_name, record["stack_id"])
    operations.deploy(record, deployment)
    return {"StackId": record["stack_id"]}


def update_stack(
    engine: StackEngine, request: dict[str, Any], *, endpoint_url: str, operations: Operations
) -> dict[str, Any]:
    record = engine.state.find(request["StackName"])
    if record is None or record.get("status") == "DELETE_COMPLETE":
        raise validation_error(f"Stack [{request['StackName']}] does not exist")
    token = request.get("ClientRequestToken")
    earlier = operations.started_by(token, record["stack_name"])
    if earlier is not None:
        return {"StackId": earlier}
    refuse_unless_updatable(record)
    checked = checked_template(engine, endpoint_url, request, record, record["stack_name"])
    _, unchanged = planned_changes(engine, record, record["stack_name"], checked.template, checked.settled)
    # Tags not given are kept; given (even empty), they replace the stack's.
    tags = request["Tags"] if "Tags" in request else record.get("tags", [])
    if unchanged and tags == record.get("tags", []):
        raise validation_error(NO_UPDATES)
    record["status"] = "UPDATE_IN_PROGRESS"
    record["capabilities"] = request.get("Capabilities", [])
    record["tags"] = tags
    engine.state.save()
    deployment = Deployment(
        record["stack_name"],
        checked.template,
        parameters=checked.settled,
        template_body=checked.body,
        on_failure="DO_NOTHING" if request.get("DisableRollback") else "ROLLBACK",
    )
    operations.remember(token, record["stack_name"], record["stack_id"])
    operations.deploy(record, deployment)
    return {"StackId": record["stack_id"]}


def _on_failure(request: dict[str, Any]) -> str:
    """What a failed create leaves: OnFailure, or DisableRollback (DO_NOTHING); ROLLBACK by default."""
    if "DisableRollback" in request and "OnFailure" in request:
        raise validation_error("You can specify either DisableRollback or OnFailure, but not both.")
    if request.get("DisableRollback"):
        return "DO_NOTHING"
    on_failure = str(request.get("OnFailure", "ROLLBACK"))
    if on_failure not in ON_FAILURE:
        raise validation_error(
            f"1 validation error detected: Value '{on_failure}' at 'onFailure' failed to satisfy constraint: "
            f"Member must satisfy enum value set: [{', '.join(ON_FAILURE)}]"
        )
    return on_failure
