"""The interface between the stack engine and the native resource types it emulates.

A type creates, updates and deletes its resources (`NativeType.create`, `update`, `delete`). A
type that can be imported (an IMPORT change set, `cdk import`) also names the properties that
identify an existing resource, CloudFormation's primary identifier (`identifier`, e.g.
`("Name",)`, `("EventTrackerArn",)`), and reads one (`read`):

    class EventTracker(NativeType):
        type_name = "AWS::Personalize::EventTracker"
        identifier = ("EventTrackerArn",)

        def read(self, identifier: dict[str, str]) -> Result:
            arn = identifier["EventTrackerArn"]
            try:
                tracker = self.services.client("personalize").describe_event_tracker(eventTrackerArn=arn)
            except ClientError as error:
                if error.response["Error"]["Code"] == "ResourceNotFoundException":
                    raise self.not_found(identifier) from None
                raise
            return arn, {"EventTrackerArn": arn, "TrackingId": tracker["eventTracker"]["trackingId"]}

`read` answers what `create` would have: the physical id (what `Ref` gives) and the attributes
(what `Fn::GetAtt` gives), read from the service; it changes nothing. It raises
`ResourceNotFound` (`self.not_found(identifier)`) when no such resource exists, and
`ResourceFailed` with the service's words when the resource exists but cannot be taken over (a
resource still being created or deleted). The engine calls it with exactly the keys of
`identifier`; a type without both cannot be imported, and the API refuses it by name.
"""

from __future__ import annotations

import json
import secrets
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from ..errors import ResourceFailed
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


class ResourceNotFound(ResourceFailed):
    """What `NativeType.read` raises when its identifier names no resource."""


def generated_name(request: ResourceRequest, limit: int = 64) -> str:
    """A name as CloudFormation makes one: stack, logical id and a random suffix."""
    suffix = "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(12))
    return f"{request.stack_name}-{request.logical_id}"[: limit - 13] + "-" + suffix


def identifier_text(identifier: dict[str, str]) -> str:
    """An identifier as CloudFormation's messages show it: its one value, or its keys and values."""
    if len(identifier) == 1:
        return next(iter(identifier.values()))
    return json.dumps(identifier, sort_keys=True)


class NativeType:
    """One native resource type: how the local cloud creates, updates and deletes it (and, for a
    type that can be imported, reads it), in the services at the endpoint (`services`).

    The defaults suit a type that exists only in the stack (AWS::CDK::Metadata): an update keeps
    the resource as it is, a delete has nothing to remove, and nothing can be imported.
    """

    type_name: ClassVar[str]
    # properties whose change replaces the resource (CloudFormation's "Update requires: Replacement")
    replaced_by: ClassVar[frozenset[str]] = frozenset()
    # the properties that identify an existing resource for import; empty: it cannot be imported
    identifier: ClassVar[tuple[str, ...]] = ()

    def __init__(self, services: Services, code_dir: Path) -> None:
        self.services = services
        self.code_dir = code_dir  # where Lambda code fetched from S3 is unpacked, by digest

    @classmethod
    def importable(cls) -> bool:
        """Whether an IMPORT change set can adopt a resource of this type."""
        return bool(cls.identifier) and cls.read is not NativeType.read

    def create(self, request: ResourceRequest) -> Result:
        raise NotImplementedError

    def update(self, request: ResourceRequest, current: ResourceRecord) -> Result:
        return str(current["physical_id"]), dict(current["attributes"])

    def delete(self, entry: ResourceRecord) -> None:
        return None

    def read(self, identifier: dict[str, str]) -> Result:
        """The existing resource `identifier` names, as `create` would have answered it;
        ResourceNotFound when there is none."""
        raise NotImplementedError(f"{self.type_name} cannot be imported")

    def not_found(self, identifier: dict[str, str]) -> ResourceNotFound:
        """The error `read` raises when nothing has this identifier, in Cloud Control's words."""
        return ResourceNotFound(
            f"Resource of type '{self.type_name}' with identifier '{identifier_text(identifier)}' was not found."
        )
