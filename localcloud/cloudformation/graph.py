"""Read a cloud assembly made by `cdk synth` and show what a deployment would do, in order.

python -m localcloud.cloudformation.graph cdk.out
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
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


class Cancelled(Exception):
    """A node's action stopped because another node failed while it was in progress."""


def run_graph(
    nodes: list[str], dependencies: dict[str, set[str]], action: Callable[[str, threading.Event], None]
) -> tuple[dict[str, Exception], list[str]]:
    """Run `action` on each node once all it depends on are done, independent nodes at once.

    After the first failure nothing new starts and the nodes in progress are cancelled: their
    action sees the event set and raises Cancelled. Returns the failures and the cancelled nodes.
    """
    cancel = threading.Event()
    failed: dict[str, Exception] = {}
    cancelled: list[str] = []
    done: set[str] = set()
    running: dict[Future[None], str] = {}
    started: set[str] = set()
    # CloudFormation starts every resource whose dependencies are met at once: a stack of 50
    # trackers invokes the provider 50 times together, which is what rate limits are tested by.
    with ThreadPoolExecutor(max_workers=max(1, len(nodes))) as pool:
        while True:
            if not cancel.is_set():
                for node in nodes:
                    if node not in started and dependencies[node] <= done:
                        started.add(node)
                        running[pool.submit(action, node, cancel)] = node
            if not running:
                break
            finished, _ = wait(list(running), return_when=FIRST_COMPLETED)
            for future in finished:
                node = running.pop(future)
                error = future.exception()
                if isinstance(error, Cancelled):
                    cancelled.append(node)
                elif isinstance(error, Exception):
                    failed[node] = error
                    cancel.set()
                else:
                    done.add(node)
    return failed, cancelled


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
