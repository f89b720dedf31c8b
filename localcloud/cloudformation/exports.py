"""CloudFormation's rule for exports: one another stack imports can be neither changed nor removed."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from .state import StackRecord


def imported_names(template: Any) -> Iterator[str]:
    """The export names a template imports (literal `Fn::ImportValue` names, as CDK writes them)."""
    if isinstance(template, dict):
        for key, value in template.items():
            if key == "Fn::ImportValue" and isinstance(value, str):
                yield value
            else:
                yield from imported_names(value)
    elif isinstance(template, list):
        for item in template:
            yield from imported_names(item)


def importers(stacks: Mapping[str, StackRecord], exporter: str) -> dict[str, str]:
    """Export name -> the stack importing it, over every stack but the exporter."""
    found: dict[str, str] = {}
    for name, record in stacks.items():
        if name != exporter:
            for export in imported_names(record.get("template", {})):
                found.setdefault(export, name)
    return found


def refusals(old: Mapping[str, str], new: Mapping[str, str] | None, in_use: Mapping[str, str]) -> list[str]:
    """CloudFormation's messages for each imported export the change would alter (new None: a delete)."""
    problems = []
    for export, value in old.items():
        importer = in_use.get(export)
        if importer is None:
            continue
        if new is None or export not in new:
            problems.append(f"Export {export} cannot be deleted as it is in use by {importer}")
        elif new[export] != value:
            problems.append(f"Cannot update export {export} as it is in use by {importer}")
    return problems
