"""The dependency graph of a template's resources: what CloudFormation refuses before anything
runs (`check_template`), what each resource must follow (`dependencies`), and the runner that
starts every node as soon as all it follows is done (`run_graph`).

A resource follows what its properties refer to (Ref, Fn::GetAtt, Fn::Sub) and what its
DependsOn names.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Collection, Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

from .intrinsics import references
from .lambda_deliveries import undelivered

PSEUDO_PARAMETERS = frozenset(
    {
        "AWS::AccountId",
        "AWS::NoValue",
        "AWS::NotificationARNs",
        "AWS::Partition",
        "AWS::Region",
        "AWS::StackId",
        "AWS::StackName",
        "AWS::URLSuffix",
    }
)
# The shape of a type in CloudFormation's registry, and of a custom resource's. A well-formed type
# the local cloud does not emulate is refused with a message of its own (`check_template`).
RESOURCE_TYPE = re.compile(r"^(AWS|Alexa)::[A-Za-z0-9]+::[A-Za-z0-9]+(::[A-Za-z0-9]+)?$")
CUSTOM_TYPE = re.compile(r"^Custom::[A-Za-z0-9_@-]+$")


class TemplateRefused(Exception):
    """A template CloudFormation refuses before anything runs, with CloudFormation's message."""


class CircularDependency(TemplateRefused):
    """Resources that depend on each other in a circle: none of them can ever start."""

    def __init__(self, logical_ids: Iterable[str]) -> None:
        super().__init__(f"Circular dependency between resources: [{', '.join(sorted(logical_ids))}]")


class Cancelled(Exception):
    """A node's action stopped because another node failed while it was in progress."""


def check_template(template: Mapping[str, Any], emulated: Collection[str] | None = None) -> None:
    """TemplateRefused if the template's resources cannot run: a type that cannot exist, or that
    is not in `emulated` (the types the local cloud emulates, and then a delivery to Lambda it
    does not make; None: any type and any delivery), a reference to
    nothing the template declares, or resources that depend on each other in a circle."""
    resources: Mapping[str, Any] = template.get("Resources", {})
    unrecognized = sorted(
        {
            str(resource["Type"])
            for resource in resources.values()
            if not (RESOURCE_TYPE.match(resource["Type"]) or CUSTOM_TYPE.match(resource["Type"]))
        }
    )
    if unrecognized:
        raise TemplateRefused(f"Template format error: Unrecognized resource types: [{', '.join(unrecognized)}]")
    if emulated is not None:
        refused = undelivered(resources)  # before the types: it names what would not arrive
        if refused:
            raise TemplateRefused("; ".join(refused))
        _refuse_not_emulated(resources, emulated)
    declared = set(resources) | set(template.get("Parameters") or {}) | PSEUDO_PARAMETERS
    unresolved: set[str] = set()
    for resource in resources.values():
        unresolved |= {name for name in references(resource.get("Properties", {})) if name not in declared}
        unresolved |= {name for name in _depends_on(resource) if name not in resources}  # resources only
    if unresolved:
        # CloudFormation says the same of a DependsOn on nothing as of a Ref, a GetAtt or a Sub.
        raise TemplateRefused(
            f"Template format error: Unresolved resource dependencies [{', '.join(sorted(unresolved))}] "
            "in the Resources block of the template"
        )
    # Here a resource that refers to itself is a circle of one, as CloudFormation counts it.
    graph = {logical_id: _needs(resource) & set(resources) for logical_id, resource in resources.items()}
    circular = _in_circles(graph)
    if circular:
        raise CircularDependency(circular)


def _refuse_not_emulated(resources: Mapping[str, Any], emulated: Collection[str]) -> None:
    """A type CloudFormation has and the local cloud does not emulate: refused now, by name, rather
    than failing its resource at deploy time and rolling the stack back.

    A resource under a Condition is left to deploy time: the parameters are not settled yet, and
    a template whose optional part the local cloud lacks still deploys without it.
    """
    missing = sorted(
        {
            str(resource["Type"])
            for resource in resources.values()
            if not CUSTOM_TYPE.match(resource["Type"])
            and resource["Type"] not in emulated
            and "Condition" not in resource
        }
    )
    if missing:
        raise TemplateRefused(
            f"The local cloud does not emulate resource types: [{', '.join(missing)}]; it emulates "
            f"{', '.join(sorted(emulated))} and Custom::*"
        )


def dependencies(template: Mapping[str, Any], wanted: Iterable[str] | None = None) -> dict[str, set[str]]:
    """Each resource's logical id (of `wanted`, default all) with the resources it must follow."""
    resources = template.get("Resources", {})
    chosen = list(resources) if wanted is None else list(wanted)
    # A reference to itself is left out: `check_template` refuses one, and a stack deployed before
    # that check may hold one and must still be deletable.
    return {
        logical_id: {name for name in _needs(resources[logical_id]) if name in chosen and name != logical_id}
        for logical_id in chosen
    }


def _depends_on(resource: Mapping[str, Any]) -> list[str]:
    depends_on = resource.get("DependsOn", [])
    return [depends_on] if isinstance(depends_on, str) else list(depends_on)


def _needs(resource: Mapping[str, Any]) -> set[str]:
    """Every name the resource's properties refer to, and its DependsOn."""
    return set(references(resource.get("Properties", {}))) | set(_depends_on(resource))


def _in_circles(graph: Mapping[str, set[str]]) -> list[str]:
    """The nodes that a path through the graph leads back to: the members of every circle, sorted."""

    def reachable(start: str) -> set[str]:
        seen: set[str] = set()
        pending = list(graph[start])
        while pending:
            node = pending.pop()
            if node not in seen:
                seen.add(node)
                pending.extend(graph.get(node, ()))
        return seen

    return sorted(node for node in graph if node in reachable(node))


def run_graph(
    nodes: list[str], dependencies: dict[str, set[str]], action: Callable[[str, threading.Event], None]
) -> tuple[dict[str, Exception], list[str]]:
    """Run `action` on each node once all it depends on are done, independent nodes at once.

    After the first failure nothing new starts and the nodes in progress are cancelled: their
    action sees the event set and raises Cancelled. Nodes that can never start, because they
    depend on each other in a circle or wait on such nodes, fail with CircularDependency.
    Returns the failures and the cancelled nodes.
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
                elif error is not None:  # the thread is told to end (a fenced state: StateFenced)
                    cancel.set()
                    raise error
                else:
                    done.add(node)
    stuck = [node for node in nodes if node not in started]
    if stuck and not cancel.is_set():
        # CloudFormation refuses such a template before it runs (check_template); one that got
        # this far fails here rather than end as if all its resources were made.
        waiting = {node: dependencies[node] & set(stuck) for node in stuck}
        circle = CircularDependency(_in_circles(waiting) or stuck)
        failed.update(dict.fromkeys(stuck, circle))
    return failed, cancelled
