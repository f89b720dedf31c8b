"""IMPORT change sets: existing resources adopted by a stack, as `cdk import` asks for them.

The template holds the stack's resources as they are, plus the ones to import; each of those
names its resource in `ResourcesToImport` (`ResourceType`, `LogicalResourceId`,
`ResourceIdentifier`). CloudFormation refuses, with a ValidationError, before any change set is
made:

- a type that cannot be imported (a native type without `read`; a custom resource);
- a resource to import that the template does not declare, or declares with another type;
- one already in a stack (this one under that logical id, or any stack under that identifier);
- one without a DeletionPolicy;
- an identifier that is not the type's (`NativeType.identifier`), or that contradicts the
  template's own value of that property;
- any change besides the imports: an added, modified or removed resource, changed Outputs.

Whether each resource exists is asked of its service (`NativeType.read`) when the change set is
made: one that does not exist, or cannot be taken over, leaves the change set FAILED with the
service's reason. Each import is shown as an `Import` change.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..engine import StackEngine
from ..errors import ResourceFailed
from ..query import validation_error
from ..resources import NATIVE_TYPES
from ..resources.base import identifier_text
from ..state import ChangeSetRecord, StackRecord

# The status reason of an IMPORT change set that can run, in CloudFormation's words
IMPORT_REASON = (
    "Verify that resources and their properties defined in the template match the intended "
    "configuration of the resource import to avoid unexpected changes."
)
# Where an Import change keeps its resource's identifier for the execution (no answer shows it)
IDENTIFIER = "ResourceIdentifier"

Imports = dict[str, dict[str, str]]  # logical id -> the identifier of the resource it adopts


def requested_imports(request: Mapping[str, Any], change_set_type: str) -> tuple[dict[str, str], Imports]:
    """The request's ResourcesToImport: each one's type and identifier, by logical id; refused
    unless the change set is an IMPORT, and an IMPORT without them."""
    listed = request.get("ResourcesToImport") or []
    if change_set_type != "IMPORT":
        if listed:
            raise validation_error("ResourcesToImport can only be specified with ChangeSetType IMPORT")
        return {}, {}
    if not listed:
        raise validation_error("ResourcesToImport must be specified when ChangeSetType is IMPORT")
    types: dict[str, str] = {}
    imports: Imports = {}
    for resource in listed:
        logical_id = str(resource.get("LogicalResourceId", ""))
        if logical_id in imports:
            raise validation_error(f"Resource [{logical_id}] is listed more than once in ResourcesToImport")
        types[logical_id] = str(resource.get("ResourceType", ""))
        imports[logical_id] = {str(k): str(v) for k, v in (resource.get("ResourceIdentifier") or {}).items()}
    return types, imports


def check_imports(
    engine: StackEngine,
    record: StackRecord | None,
    template: Mapping[str, Any],
    types: Mapping[str, str],
    imports: Imports,
) -> None:
    """CloudFormation's ValidationError for resources to import that cannot be imported as asked."""
    resources: Mapping[str, Any] = template.get("Resources", {}) or {}
    unsupported = [t for t in types.values() if t not in NATIVE_TYPES or not NATIVE_TYPES[t].importable()]
    if unsupported:
        raise validation_error(
            f"The following resource types are not supported for resource import: {','.join(unsupported)}"
        )
    for logical_id, resource_type in types.items():
        declared = resources.get(logical_id)
        if declared is None:
            raise validation_error(f"Resource [{logical_id}] to import is not declared in the template")
        if declared.get("Type") != resource_type:
            raise validation_error(
                f"Resource [{logical_id}] to import is declared as {declared.get('Type')} in the template, "
                f"not {resource_type}"
            )
    in_a_stack = [logical_id for logical_id in types if _owner(engine, record, logical_id, types, imports)]
    if in_a_stack:
        raise validation_error(
            f"Resources [{', '.join(in_a_stack)}] passed in ResourceToImport are already in a stack and cannot be "
            "imported."
        )
    unprotected = [logical_id for logical_id in types if "DeletionPolicy" not in resources[logical_id]]
    if unprotected:
        raise validation_error(
            f"The following resources to import [{', '.join(unprotected)}] must have DeletionPolicy attribute "
            "specified in the template."
        )
    for logical_id, resource_type in types.items():
        _check_identifier(logical_id, NATIVE_TYPES[resource_type].identifier, imports[logical_id], resources)


def _owner(
    engine: StackEngine, record: StackRecord | None, logical_id: str, types: Mapping[str, str], imports: Imports
) -> str:
    """The stack that holds this resource already (by logical id here, by identifier anywhere), or ""."""
    if record is not None and logical_id in record.get("resources", {}):
        return record["stack_name"]
    physical_id = identifier_text(imports[logical_id])
    for stack in engine.state.deployed().values():
        for entry in stack["resources"].values():
            if entry["type"] == types[logical_id] and entry["physical_id"] == physical_id:
                return stack["stack_name"]
    return ""


def _check_identifier(
    logical_id: str, expected: tuple[str, ...], identifier: dict[str, str], resources: Mapping[str, Any]
) -> None:
    if sorted(identifier) != sorted(expected):
        raise validation_error(
            f"Invalid ResourceIdentifier for resource [{logical_id}]: expected [{', '.join(expected)}], "
            f"got [{', '.join(sorted(identifier))}]"
        )
    properties = resources[logical_id].get("Properties") or {}
    for name, value in identifier.items():
        written = properties.get(name)
        if isinstance(written, str) and written != value:
            raise validation_error(
                f"Resource [{logical_id}]: its {name} in the template ({written}) is not the identifier to "
                f"import ({value})"
            )


def only_imports(
    changes: list[dict[str, Any]], imports: Imports, template: Mapping[str, Any], old: Mapping[str, Any]
) -> None:
    """CloudFormation's ValidationError when the change set would change more than the imports."""
    others = [
        change["ResourceChange"]["LogicalResourceId"]
        for change in changes
        if change["ResourceChange"]["Action"] != "Add" or change["ResourceChange"]["LogicalResourceId"] not in imports
    ]
    if others:
        raise validation_error(
            f"You have modified resources [{', '.join(others)}] in your template that are not being imported. "
            "Update, create or delete operations cannot be executed during import operations."
        )
    if (template.get("Outputs") or {}) != (old.get("Outputs") or {}):
        raise validation_error("As part of the import operation, you cannot modify or add [Outputs]")


def import_changes(
    engine: StackEngine, template: Mapping[str, Any], imports: Imports
) -> tuple[list[dict[str, Any]], str]:
    """Each resource read from its service, as an Import change; and why the change set fails
    ("" when every resource exists and can be taken over)."""
    changes, problems = [], []
    for logical_id, identifier in imports.items():
        resource_type = str(template["Resources"][logical_id]["Type"])
        try:
            physical_id, _ = engine.native(resource_type, logical_id).read(identifier)
        except ResourceFailed as error:
            problems.append(f"[{logical_id}] {error}")
            physical_id = identifier_text(identifier)
        change = {
            "Action": "Import",
            "LogicalResourceId": logical_id,
            "PhysicalResourceId": physical_id,
            "ResourceType": resource_type,
            "Replacement": "False",
            "Scope": [],
            "Details": [],
            IDENTIFIER: identifier,
        }
        changes.append({"Type": "Resource", "ResourceChange": change})
    reason = ("Resource import failed: " + " ".join(problems)) if problems else ""
    return changes, reason


def resources_to_import(change_set: ChangeSetRecord) -> Imports:
    """What an IMPORT change set adopts when it is executed."""
    return {
        change["ResourceChange"]["LogicalResourceId"]: dict(change["ResourceChange"][IDENTIFIER])
        for change in change_set["Changes"]
        if change["ResourceChange"].get("Action") == "Import"
    }


def identifier_summaries(template: Mapping[str, Any]) -> list[dict[str, Any]]:
    """GetTemplateSummary's ResourceIdentifierSummaries: each importable type of the template,
    its logical ids and the properties that identify one (what `cdk import` asks the user for)."""
    by_type: dict[str, list[str]] = {}
    for logical_id, resource in (template.get("Resources") or {}).items():
        native = NATIVE_TYPES.get(str(resource.get("Type", "")))
        if native is not None and native.importable():
            by_type.setdefault(native.type_name, []).append(logical_id)
    return [
        {
            "ResourceType": resource_type,
            "LogicalResourceIds": logical_ids,
            # one entry per way to identify a resource, its properties joined by commas
            "ResourceIdentifiers": [",".join(NATIVE_TYPES[resource_type].identifier)],
        }
        for resource_type, logical_ids in by_type.items()
    ]
