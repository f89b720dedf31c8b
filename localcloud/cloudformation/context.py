"""What every step of a stack operation shares: the deployment asked for, and the engine's parts.

The stack engine (`engine.py`) decides which stack operation runs, a deployment
(`deployment.py`) decides which resources take which step and in which order, and
`resource_operations.py` does one step to one resource. All three work on the same things,
gathered here so that none of them has to import another to reach them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..personalize.faults import Gates
from .custom_resources import CustomResources
from .intrinsics import Context, TemplateError
from .parameters import Settled
from .resources import NativeType, native_type
from .services import Services
from .settings import Progress, Settings
from .state import StackRecord, StackState

STACK_TYPE = "AWS::CloudFormation::Stack"
USER_INITIATED = "User Initiated"  # the reason of a stack operation's first event


@dataclass
class Deployment:
    """What one create or update of a stack deploys."""

    stack_name: str
    template: dict[str, Any]
    parameters: Settled | None = None  # None: the template's defaults, settled when it runs
    template_body: str | None = None  # the body as submitted, for GetTemplate
    import_existing: bool = False  # ImportExistingResources
    change_set_id: str = ""
    create: bool | None = None  # a CREATE change set's (None: create unless the stack is deployed)
    # what a failed create does: ROLLBACK (delete what it made), DELETE (the stack too), DO_NOTHING
    on_failure: str = "ROLLBACK"
    # an IMPORT change set's: each resource it adopts (logical id -> the identifier of the resource)
    imports: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass
class EngineContext:
    """The stacks' state, the services at the endpoint, the custom-resource invoker, the settings,
    the one way a step is reported (a stack event, kept on the record and shown), and the gates a
    test holds a step at."""

    state: StackState
    services: Services
    custom: CustomResources
    settings: Settings
    code_dir: Path  # where Lambda code is unpacked, by digest
    progress: Progress
    # `operation:<stack>` holds a stack operation before its first step, `create:<logical id>`,
    # `update:<logical id>` and `delete:<logical id>` a resource's step before it starts
    gates: Gates = field(default_factory=Gates)

    def native(self, resource_type: str, logical_id: str) -> NativeType:
        return native_type(resource_type, self.services, self.code_dir, logical_id)

    def intrinsics(self, record: StackRecord, template: dict[str, Any], settled: Settled | None = None) -> Context:
        """What intrinsic functions resolve against: this stack's resources, parameters, exports."""
        return intrinsics_context(record, template, self.settings, self.state, settled)

    def emit(
        self,
        record: StackRecord,
        logical_id: str,
        resource_type: str,
        status: str,
        reason: str = "",
        physical_id: str = "",
    ) -> None:
        """One stack event: recorded, its status kept on the stack or resource, and shown."""
        with self.state.lock:
            self.state.add_event(record, logical_id, physical_id, resource_type, status, reason)
            if resource_type == STACK_TYPE and logical_id == record["stack_name"]:
                record["status"], record["status_reason"] = status, reason
                if not status.endswith("_IN_PROGRESS"):
                    record.pop("operation", None)  # over: nothing left for a restart to conclude
                self.state.save()
            else:
                record.setdefault("resource_status", {})[logical_id] = {
                    "status": status,
                    "reason": reason,
                    "timestamp": time.time(),
                }
        self.progress(record["stack_name"], logical_id, resource_type, status, reason)

    def stack_event(self, record: StackRecord, status: str, reason: str = "") -> None:
        """The stack's own event: its status changes."""
        self.emit(record, record["stack_name"], STACK_TYPE, status, reason, record["stack_id"])


def intrinsics_context(
    record: StackRecord,
    template: dict[str, Any],
    settings: Settings,
    state: StackState,
    settled: Settled | None = None,
) -> Context:
    """Intrinsic functions' view of a stack: Ref and GetAtt of its resources, its parameters (these,
    or the stack's settled ones), the pseudo parameters, conditions, mappings and every export."""

    def ref(logical_id: str) -> str:
        resource = record["resources"].get(logical_id)
        if resource is None:
            raise TemplateError(f"Ref to {logical_id}, which does not exist")
        return str(resource["physical_id"])

    def get_att(logical_id: str, attribute: str) -> Any:
        resource = record["resources"].get(logical_id)
        if resource is None or attribute not in resource["attributes"]:
            raise TemplateError(f"{logical_id} has no attribute {attribute}")
        return resource["attributes"][attribute]

    if settled is None:
        settled = Settled.from_record(record["parameters"]) if record.get("parameters") else None
    parameters = settled.typed(template) if settled is not None else template_defaults(template)
    pseudo = {
        "AWS::Region": settings.region,
        "AWS::AccountId": settings.account,
        "AWS::Partition": "aws",
        "AWS::URLSuffix": "amazonaws.com",
        "AWS::StackName": record["stack_name"],
        "AWS::StackId": record["stack_id"],
    }
    return Context(
        pseudo=pseudo,
        parameters=parameters,
        ref=ref,
        get_att=get_att,
        conditions=template.get("Conditions", {}),
        exports=state.exports(),
        mappings=template.get("Mappings", {}),
    )


def template_defaults(template: dict[str, Any]) -> dict[str, str]:
    """The template's parameter defaults: for a stack record from before parameters were settled."""
    return {name: str(p.get("Default", "")) for name, p in template.get("Parameters", {}).items()}
