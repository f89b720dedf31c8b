"""The stored records as requests name them, and as answers show them.

A stack is named by its name or its ARN; a change set by its ARN, or by its name on its stack.
The records are the engine's (`state.py`): a change set's record holds what DescribeChangeSet
shows, under the API's names, beside keys of the engine's own.
"""

from __future__ import annotations

import json
from typing import Any

from ..engine import StackEngine
from ..parameters import Settled
from ..query import ApiError, validation_error
from ..state import ChangeSetRecord, StackRecord

EXECUTED = ("EXECUTE_IN_PROGRESS", "EXECUTE_COMPLETE", "EXECUTE_FAILED")

# What DescribeChangeSet shows of a change set's record. The record also holds the request's
# ChangeSetType and the engine's own keys (the parsed template, its body, the settled parameters,
# the ClientToken), which no answer shows.
CHANGE_SET_MEMBERS = (
    "ChangeSetName",
    "ChangeSetId",
    "StackId",
    "StackName",
    "Description",
    "Parameters",
    "CreationTime",
    "ExecutionStatus",
    "Status",
    "StatusReason",
    "NotificationARNs",
    "Capabilities",
    "Tags",
    "Changes",
    "IncludeNestedStacks",
    "ImportExistingResources",
)
# What ListChangeSets shows of one
SUMMARY_MEMBERS = (
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


def find_stack(engine: StackEngine, name: str, message: str = "Stack with id {} does not exist") -> StackRecord:
    """The stack a request names; a ValidationError in the operation's own words otherwise."""
    record = engine.state.find(name)
    if record is None:
        raise validation_error(message.format(name))
    return record


def find_change_set(engine: StackEngine, name: str, stack_name: str | None) -> ChangeSetRecord:
    """A change set by ARN, or by name on its stack; ChangeSetNotFound (404) otherwise."""
    change_sets = engine.state.change_sets
    if name.startswith("arn:"):
        found = change_sets.get(name)
    else:
        record = engine.state.find(stack_name) if stack_name else None
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


def submitted_body(record: StackRecord) -> str:
    """The template as it was submitted; as JSON for a stack deployed from a cloud assembly."""
    body = record.get("template_body")
    return body if isinstance(body, str) else json.dumps(record.get("template", {}), indent=1)


def shown_parameters(settled: Settled) -> list[dict[str, Any]]:
    """Parameters as DescribeStacks and DescribeChangeSet show them, an SSM type's with its value."""
    parameters = []
    for name, value in settled.values.items():
        parameter = {"ParameterKey": name, "ParameterValue": value}
        if name in settled.ssm_types:
            parameter["ResolvedValue"] = settled.resolved.get(name, "")
        parameters.append(parameter)
    return parameters
