"""Read a cloud assembly made by `cdk synth` and show what a deployment would do, in order.

python -m localcloud.plan cdk.out
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .intrinsics import references


def dependencies(template: dict[str, Any], wanted: Iterable[str] | None = None) -> dict[str, set[str]]:
    """Each resource's logical id (of `wanted`, default all) with the resources it must follow."""
    resources = template.get("Resources", {})
    chosen = list(resources) if wanted is None else list(wanted)
    graph: dict[str, set[str]] = {}
    for logical_id in chosen:
        resource = resources[logical_id]
        depends_on = resource.get("DependsOn", [])
        depends_on = [depends_on] if isinstance(depends_on, str) else depends_on
        found = set(references(resource.get("Properties", {}))) | set(depends_on)
        graph[logical_id] = {ref for ref in found if ref in chosen and ref != logical_id}
    return graph


def deployment_order(template: dict[str, Any]) -> list[str]:
    """Logical ids in an order where each resource follows all it depends on (template order otherwise)."""
    graph = dependencies(template)
    ordered: list[str] = []
    visiting: set[str] = set()

    def visit(logical_id: str) -> None:
        if logical_id in ordered:
            return
        if logical_id in visiting:
            raise ValueError(f"circular dependency through {logical_id}")
        visiting.add(logical_id)
        for dependency in sorted(graph[logical_id]):
            visit(dependency)
        visiting.discard(logical_id)
        ordered.append(logical_id)

    for logical_id in graph:
        visit(logical_id)
    return ordered


def stack_templates(assembly: Path) -> dict[str, dict[str, Any]]:
    manifest = json.loads((assembly / "manifest.json").read_text())
    templates = {}
    for name, artifact in manifest.get("artifacts", {}).items():
        if artifact.get("type") == "aws:cloudformation:stack":
            template_file = artifact["properties"]["templateFile"]
            templates[name] = json.loads((assembly / template_file).read_text())
    return templates


def describe(assembly: Path) -> str:
    lines = []
    for stack, template in stack_templates(assembly).items():
        lines.append(f"Stack {stack}: what a deployment would create, in order")
        resources = template.get("Resources", {})
        for logical_id in deployment_order(template):
            resource = resources[logical_id]
            if resource["Type"] == "AWS::CDK::Metadata":
                continue
            lines.append(f"  {resource['Type']:<36} {logical_id}")
        for output_id, output in template.get("Outputs", {}).items():
            export = output.get("Export", {}).get("Name")
            lines.append(f"  output {output_id}" + (f" (export {export})" if export else ""))
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    assembly = Path(argv[1] if len(argv) > 1 else "cdk.out")
    print(describe(assembly))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
