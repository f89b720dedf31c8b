"""The read operations: stacks, their events, resources and templates, exports, and templates not
yet deployed, each record turned into the shape CloudFormation's answer has.

DescribeStacks, DescribeStackEvents, DescribeStackResource(s), ListStackResources, ListExports,
ListStacks, GetTemplate, GetTemplateSummary (with the identifiers `cdk import` asks for) and
ValidateTemplate. Nothing here changes a record.
"""

from __future__ import annotations

import json
import time
from typing import Any

from ..engine import StackEngine
from ..parameters import Settled
from ..query import validation_error
from ..state import ResourceStatus, StackRecord
from .capabilities import capabilities_needed
from .imports import identifier_summaries
from .records import find_change_set, find_stack, shown_parameters, submitted_body
from .template_source import refuse_unrunnable, requested_template

EVENTS_PAGE = 100  # DescribeStackEvents' page, as CloudFormation's
STAGES = ["Original", "Processed"]


# --- stacks --------------------------------------------------------------------------------------


def describe_stacks(engine: StackEngine, request: dict[str, Any]) -> dict[str, Any]:
    name = request.get("StackName")
    records = [find_stack(engine, name)] if name else list(engine.stacks.values())
    return {"Stacks": [_stack(record) for record in records]}


def _stack(record: StackRecord) -> dict[str, Any]:
    template = record.get("template", {})
    outputs = []
    for key, value in record.get("outputs", {}).items():
        output = {"OutputKey": key, "OutputValue": value}
        description = template.get("Outputs", {}).get(key, {}).get("Description")
        if description:
            output["Description"] = description
        if key in record.get("export_names", {}):
            output["ExportName"] = record["export_names"][key]
        outputs.append(output)
    return {
        "StackId": record["stack_id"],
        "StackName": record["stack_name"],
        "ChangeSetId": record.get("change_set_id"),
        "Description": record.get("description") or None,
        "Parameters": shown_parameters(Settled.from_record(record.get("parameters"))),
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


def list_stacks(engine: StackEngine, request: dict[str, Any]) -> dict[str, Any]:
    wanted = set(request.get("StackStatusFilter", []))
    summaries = []
    for record in [*engine.stacks.values(), *engine.state.deleted.values()]:
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


def list_exports(engine: StackEngine, request: dict[str, Any]) -> dict[str, Any]:
    exports = []
    for record in engine.state.deployed().values():
        for name, value in record.get("exports", {}).items():
            exports.append({"ExportingStackId": record["stack_id"], "Name": name, "Value": value})
    return {"Exports": exports}


def describe_stack_events(engine: StackEngine, request: dict[str, Any]) -> dict[str, Any]:
    """A page of the stack's events, newest first; the NextToken is where the next page ends."""
    record = find_stack(engine, request["StackName"], "Stack [{}] does not exist")
    events = engine.state.events_of(record["stack_id"])
    end = len(events)
    if request.get("NextToken"):
        try:
            end = int(request["NextToken"])
        except ValueError:
            raise validation_error("Invalid NextToken") from None
    start = max(0, end - EVENTS_PAGE)
    result: dict[str, Any] = {"StackEvents": list(reversed(events[start:end]))}
    if start > 0:
        result["NextToken"] = str(start)
    return result


# --- resources -----------------------------------------------------------------------------------


def describe_stack_resources(engine: StackEngine, request: dict[str, Any]) -> dict[str, Any]:
    if "StackName" not in request:
        raise validation_error("StackName must be specified")  # by physical id: not emulated
    record = find_stack(engine, request["StackName"])
    rows = []
    for row in _resource_rows(record):
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


def list_stack_resources(engine: StackEngine, request: dict[str, Any]) -> dict[str, Any]:
    record = find_stack(engine, request["StackName"])
    return {"StackResourceSummaries": _resource_rows(record)}


def describe_stack_resource(engine: StackEngine, request: dict[str, Any]) -> dict[str, Any]:
    record = find_stack(engine, request["StackName"])
    for row in _resource_rows(record):
        if row["LogicalResourceId"] == request["LogicalResourceId"]:
            detail = {**row, "StackName": record["stack_name"], "StackId": record["stack_id"]}
            return {"StackResourceDetail": detail}
    raise validation_error(f"Resource {request['LogicalResourceId']} does not exist for stack {request['StackName']}")


def _resource_rows(record: StackRecord) -> list[dict[str, Any]]:
    """The stack's resources, and those that failed to be created, as ListStackResources shows them."""
    statuses = record.get("resource_status", {})
    rows = []
    for logical_id in dict.fromkeys([*record.get("resources", {}), *statuses]):
        entry = record["resources"].get(logical_id)
        # a resource with no event of its own is shown as created with the stack
        status: ResourceStatus = statuses.get(logical_id) or {
            "status": "CREATE_COMPLETE",
            "reason": "",
            "timestamp": record.get("creation_time", time.time()),
        }
        if entry is None and not status["status"].endswith("FAILED"):
            continue
        rows.append(
            {
                "LogicalResourceId": logical_id,
                "PhysicalResourceId": entry["physical_id"] if entry else None,
                "ResourceType": entry["type"]
                if entry
                else record["template"].get("Resources", {}).get(logical_id, {}).get("Type", ""),
                "LastUpdatedTimestamp": status["timestamp"],
                "ResourceStatus": status["status"],
                "ResourceStatusReason": status["reason"] or None,
                "DriftInformation": {"StackResourceDriftStatus": "NOT_CHECKED"},
            }
        )
    return rows


# --- templates -----------------------------------------------------------------------------------


def get_template(engine: StackEngine, request: dict[str, Any]) -> dict[str, Any]:
    """The body as submitted, byte for byte: the CDK CLI compares it to decide on a change set."""
    if request.get("ChangeSetName"):
        change_set = find_change_set(engine, request["ChangeSetName"], request.get("StackName"))
        return {"TemplateBody": change_set["template_body"], "StagesAvailable": STAGES}
    if "StackName" not in request:
        raise validation_error("Either StackName or ChangeSetName must be specified")
    record = find_stack(engine, request["StackName"])
    return {"TemplateBody": submitted_body(record), "StagesAvailable": STAGES}


def get_template_summary(engine: StackEngine, request: dict[str, Any], *, endpoint_url: str) -> dict[str, Any]:
    record = engine.state.find(request["StackName"]) if request.get("StackName") else None
    if request.get("StackName") and record is None:
        raise validation_error(f"Stack with id {request['StackName']} does not exist")
    template = record["template"] if record else requested_template(engine, endpoint_url, request, None)[0]
    capabilities, reason = capabilities_needed(template)
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
        "ResourceIdentifierSummaries": identifier_summaries(template),
    }


def validate_template(engine: StackEngine, request: dict[str, Any], *, endpoint_url: str) -> dict[str, Any]:
    template, _ = requested_template(engine, endpoint_url, request, None)
    refuse_unrunnable(template)
    capabilities, reason = capabilities_needed(template)
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
