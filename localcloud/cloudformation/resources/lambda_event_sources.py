"""AWS::Lambda::EventSourceMapping and AWS::Lambda::Permission, recorded in the stack.

moto's models of both look the function up in moto's Lambda (which needs Docker), so these are
hand-written. A mapping is its record only: its UUID (Ref, `Id`) and ARN; the pollers that
read its queue or stream and invoke the function run in `event_sources.py`, which the engine
keeps in step with the mappings the stacks hold. A permission is recorded and nothing more: the
local cloud does not check resource policies, so no one is refused for lack of one.
"""

from __future__ import annotations

import uuid

from ..errors import ResourceFailed
from ..state import ResourceRecord
from .base import NativeType, ResourceRequest, Result, generated_name

MAPPING_TYPE = "AWS::Lambda::EventSourceMapping"
# the event sources the local cloud polls, by the service in their ARN
POLLED_SOURCES = ("sqs", "kinesis")


def source_service(arn: str) -> str:
    """The service of an event source's ARN (`sqs`, `kinesis`, `dynamodb`, `kafka`...)."""
    parts = str(arn).split(":")
    return parts[2] if len(parts) > 2 and parts[0] == "arn" else ""


class EventSourceMapping(NativeType):
    type_name = MAPPING_TYPE
    replaced_by = frozenset({"EventSourceArn", "StartingPosition", "StartingPositionTimestamp"})

    def create(self, request: ResourceRequest) -> Result:
        source = str(request.properties.get("EventSourceArn", ""))
        if source_service(source) not in POLLED_SOURCES:
            raise ResourceFailed(f"The local cloud does not deliver events from {source or 'this source'} to Lambda")
        mapping_id = str(uuid.uuid4())
        return mapping_id, self._attributes(mapping_id)

    def update(self, request: ResourceRequest, current: ResourceRecord) -> Result:
        mapping_id = str(current["physical_id"])
        return mapping_id, self._attributes(mapping_id)

    def _attributes(self, mapping_id: str) -> dict[str, str]:
        arn = f"arn:aws:lambda:{self.services.region}:{self.services.account}:event-source-mapping:{mapping_id}"
        return {"Id": mapping_id, "EventSourceMappingArn": arn}


class Permission(NativeType):
    """A function's resource-policy statement, recorded only: the local cloud does not check
    resource policies, so every principal may invoke every function, with or without one."""

    type_name = "AWS::Lambda::Permission"
    replaced_by = frozenset(
        {"Action", "EventSourceToken", "FunctionName", "FunctionUrlAuthType", "Principal", "SourceAccount", "SourceArn"}
    )

    def create(self, request: ResourceRequest) -> Result:
        return generated_name(request), {}
