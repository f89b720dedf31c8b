"""What a change set would change, described as CloudFormation describes it (`DescribeChangeSet`).

Each resource is compared as written in the old and the new template:

- Add: in the new template (its Condition true) and not deployed;
- Remove: deployed and no longer in the template, with the PolicyAction its DeletionPolicy gives;
- Modify: its definition differs. Each changed property is a detail, `Static`, from a
  `DirectModification`; a property written the same whose parameter's value changed is a
  `ParameterReference`; a property referring to a resource being replaced is `Dynamic`, a
  `ResourceReference` (Ref) or `ResourceAttribute` (GetAtt). `RequiresRecreation` is `Always`
  for the properties whose change replaces the resource (the native types'
  `replaced_by`), `Never` otherwise: a custom resource's provider decides at run time, so a
  custom resource's change is never announced as a replacement.

`Replacement` is True when a static change requires recreation, Conditional when only a dynamic
one may, False otherwise.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from .custom_resources import is_custom
from .intrinsics import references
from .state import ResourceRecord

OTHER_ATTRIBUTES = ("Metadata", "DeletionPolicy", "UpdateReplacePolicy", "CreationPolicy", "UpdatePolicy")


def _json(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def resource_changes(
    old_template: Mapping[str, Any],
    deployed: Mapping[str, ResourceRecord],
    new_template: Mapping[str, Any],
    wanted: list[str],
    changed_parameters: set[str],
    replaced_by: Callable[[str], frozenset[str]],
) -> list[dict[str, Any]]:
    """The `Changes` of a change set from the deployed stack to the new template."""
    old_resources = old_template.get("Resources", {}) or {}
    new_resources = new_template.get("Resources", {}) or {}
    changes: dict[str, dict[str, Any]] = {}
    for logical_id in wanted:
        definition = new_resources[logical_id]
        if logical_id not in deployed:
            changes[logical_id] = {
                "Action": "Add",
                "LogicalResourceId": logical_id,
                "ResourceType": definition["Type"],
                "Scope": [],
                "Details": [],
                "AfterContext": _json({"Properties": definition.get("Properties", {})}),
            }
            continue
        entry = deployed[logical_id]
        old = old_resources.get(logical_id, {"Type": entry["type"]})
        change = _modification(logical_id, entry, old, definition, changed_parameters, replaced_by)
        if change is not None:
            changes[logical_id] = change
    for logical_id, entry in deployed.items():
        if logical_id not in wanted:
            changes[logical_id] = {
                "Action": "Remove",
                "LogicalResourceId": logical_id,
                "PhysicalResourceId": entry["physical_id"],
                "ResourceType": entry["type"],
                "PolicyAction": "Retain" if entry.get("deletion_policy") == "Retain" else "Delete",
                "Scope": [],
                "Details": [],
                "BeforeContext": _json({"Properties": old_resources.get(logical_id, {}).get("Properties", {})}),
            }
    _add_dynamic_changes(changes, new_resources, deployed, old_resources, replaced_by)
    return [{"Type": "Resource", "ResourceChange": change} for change in changes.values()]


def _modification(
    logical_id: str,
    entry: ResourceRecord,
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    changed_parameters: set[str],
    replaced_by: Callable[[str], frozenset[str]],
) -> dict[str, Any] | None:
    resource_type = str(new["Type"])
    if old.get("Type") != resource_type:
        # a new type is a new resource: CloudFormation replaces it
        details = [_detail("Properties", name, "Always", "Modify", None, None) for name in new.get("Properties", {})]
        return _change(logical_id, entry, new, old, details, "True")
    recreates = replaced_by(resource_type)
    details = []
    old_properties, new_properties = old.get("Properties", {}) or {}, new.get("Properties", {}) or {}
    for name in sorted(set(old_properties) | set(new_properties)):
        before, after = old_properties.get(name), new_properties.get(name)
        requires = "Always" if name in recreates else "Never"
        if before != after:
            kind = "Add" if before is None else "Remove" if after is None else "Modify"
            details.append(_detail("Properties", name, requires, kind, before, after))
        else:
            causes = sorted(set(references(after)) & changed_parameters)
            for parameter in causes:
                detail = _detail("Properties", name, requires, "Modify", before, after)
                detail.update(ChangeSource="ParameterReference", CausingEntity=parameter)
                details.append(detail)
    for attribute in OTHER_ATTRIBUTES:
        if old.get(attribute) != new.get(attribute):
            details.append(_detail(attribute, None, "Never", "Modify", old.get(attribute), new.get(attribute)))
    if not details:
        return None
    static_recreation = any(d["Target"].get("RequiresRecreation") == "Always" for d in details)
    return _change(logical_id, entry, new, old, details, "True" if static_recreation else "False")


def _detail(attribute: str, name: str | None, requires: str, kind: str, before: Any, after: Any) -> dict[str, Any]:
    target: dict[str, Any] = {"Attribute": attribute, "RequiresRecreation": requires, "AttributeChangeType": kind}
    if name is not None:
        target["Name"] = name
        target["Path"] = f"/Properties/{name}"
    if before is not None:
        target["BeforeValue"] = _json(before)
    if after is not None:
        target["AfterValue"] = _json(after)
    return {"Target": target, "Evaluation": "Static", "ChangeSource": "DirectModification"}


def _change(
    logical_id: str,
    entry: ResourceRecord,
    new: Mapping[str, Any],
    old: Mapping[str, Any],
    details: list[dict[str, Any]],
    replacement: str,
) -> dict[str, Any]:
    if is_custom(str(new["Type"])):
        replacement = "False"
        for detail in details:
            detail["Target"]["RequiresRecreation"] = "Never"
    return {
        "Action": "Modify",
        "LogicalResourceId": logical_id,
        "PhysicalResourceId": entry["physical_id"],
        "ResourceType": new["Type"],
        "Replacement": replacement,
        "Scope": sorted({detail["Target"]["Attribute"] for detail in details}),
        "Details": details,
        "BeforeContext": _json({"Properties": old.get("Properties", {})}),
        "AfterContext": _json({"Properties": new.get("Properties", {})}),
    }


def _add_dynamic_changes(
    changes: dict[str, dict[str, Any]],
    new_resources: Mapping[str, Any],
    deployed: Mapping[str, ResourceRecord],
    old_resources: Mapping[str, Any],
    replaced_by: Callable[[str], frozenset[str]],
) -> None:
    """Resources referring to a replaced one may change with it: a Dynamic detail each, repeated
    until no new resource is reached."""
    while True:
        replaced = {lid for lid, c in changes.items() if c["Action"] == "Modify" and c["Replacement"] != "False"}
        grown = False
        for logical_id, definition in new_resources.items():
            if logical_id not in deployed:
                continue
            for name, value in (definition.get("Properties", {}) or {}).items():
                for _target, source, entity in _references_to(value, replaced):
                    change = changes.get(logical_id)
                    if change is None:
                        old = old_resources.get(logical_id, {})
                        change = _change(logical_id, deployed[logical_id], definition, old, [], "False")
                        changes[logical_id] = change
                        grown = True
                    known = {(d["Target"].get("Name"), d.get("CausingEntity")) for d in change["Details"]}
                    if (name, entity) in known:
                        continue
                    requires = "Always" if name in replaced_by(str(definition["Type"])) else "Never"
                    if is_custom(str(definition["Type"])):
                        requires = "Never"
                    detail = _detail("Properties", name, requires, "Modify", None, None)
                    detail.update(Evaluation="Dynamic", ChangeSource=source, CausingEntity=entity)
                    change["Details"].append(detail)
                    change["Scope"] = sorted(set(change["Scope"]) | {"Properties"})
                    if requires == "Always" and change["Replacement"] == "False":
                        change["Replacement"] = "Conditional"
                        grown = True
        if not grown:
            return


def _references_to(value: Any, replaced: set[str]) -> list[tuple[str, str, str]]:
    """(logical id, ChangeSource, CausingEntity) of each reference in `value` to a replaced resource."""
    found: list[tuple[str, str, str]] = []
    if isinstance(value, dict):
        for key, argument in value.items():
            if key == "Ref" and argument in replaced:
                found.append((argument, "ResourceReference", argument))
            elif key == "Fn::GetAtt":
                logical_id, attribute = argument if isinstance(argument, list) else str(argument).split(".", 1)
                if logical_id in replaced:
                    found.append((logical_id, "ResourceAttribute", f"{logical_id}.{attribute}"))
            elif key == "Fn::Sub":
                text = argument if isinstance(argument, str) else argument[0]
                for name in references({"Fn::Sub": text}):
                    if name in replaced:
                        found.append((name, "ResourceReference", name))
            found += _references_to(argument, replaced) if key != "Fn::GetAtt" else []
    elif isinstance(value, list):
        for item in value:
            found += _references_to(item, replaced)
    return found
