"""The interface between the stack engine and the native resource types it emulates."""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from ..services import Services
from ..state import ResourceRecord

Result = tuple[str, dict[str, Any]]  # physical id, attributes (what Fn::GetAtt returns)


@dataclass(frozen=True)
class ResourceRequest:
    """What a resource type is asked to create or update."""

    stack_name: str
    logical_id: str
    properties: dict[str, Any]
    # ImportExistingResources: a named resource that exists already is taken over, not refused
    import_existing: bool = False
    # the attributes the template reads with Fn::GetAtt (in properties, Fn::Sub and Outputs)
    attribute_names: frozenset[str] = frozenset()


def generated_name(request: ResourceRequest, limit: int = 64) -> str:
    """A name as CloudFormation makes one: stack, logical id and a random suffix."""
    suffix = "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(12))
    return f"{request.stack_name}-{request.logical_id}"[: limit - 13] + "-" + suffix


class NativeType:
    """One native resource type: how the local cloud creates, updates and deletes it, in the
    services at the endpoint (`services`).

    The defaults suit a type that exists only in the stack (AWS::CDK::Metadata): an update keeps
    the resource as it is, a delete has nothing to remove.
    """

    type_name: ClassVar[str]
    # properties whose change replaces the resource (CloudFormation's "Update requires: Replacement")
    replaced_by: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, services: Services, code_dir: Path) -> None:
        self.services = services
        self.code_dir = code_dir  # where Lambda code fetched from S3 is unpacked, by digest

    def create(self, request: ResourceRequest) -> Result:
        raise NotImplementedError

    def update(self, request: ResourceRequest, current: ResourceRecord) -> Result:
        return str(current["physical_id"]), dict(current["attributes"])

    def delete(self, entry: ResourceRecord) -> None:
        return None
