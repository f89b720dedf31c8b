"""The interface between the stack engine and the native resource types it emulates."""

from __future__ import annotations

import secrets
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from ...ssm import ParameterStore

Result = tuple[str, dict[str, Any]]  # physical id, attributes (what Fn::GetAtt returns)


@dataclass(frozen=True)
class Request:
    """What a resource type is asked to create or update."""

    stack_name: str
    logical_id: str
    properties: dict[str, Any]
    assets: Mapping[str, Path]  # the assembly's staged assets, by the S3 key a template names


@dataclass(frozen=True)
class Environment:
    """What every resource type may use: the account, the region and the emulated services."""

    region: str
    account: str
    personalize: Any  # a boto3 client of the Personalize emulator
    parameters: ParameterStore = field(default_factory=ParameterStore)  # SSM Parameter Store

    @staticmethod
    def generated_name(request: Request, limit: int = 64) -> str:
        """A name as CloudFormation makes one: stack, logical id and a random suffix."""
        suffix = "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(12))
        return f"{request.stack_name}-{request.logical_id}"[: limit - 13] + "-" + suffix


class NativeType:
    """One native resource type: how the local cloud creates, updates and deletes it.

    The defaults suit a type the local cloud only records: an update keeps the resource as it
    is, a delete has nothing to remove.
    """

    type_name: ClassVar[str]

    def __init__(self, environment: Environment) -> None:
        self.environment = environment

    def create(self, request: Request) -> Result:
        raise NotImplementedError

    def update(self, request: Request, current: dict[str, Any]) -> Result:
        return str(current["physical_id"]), dict(current["attributes"])

    def delete(self, entry: dict[str, Any]) -> None:
        return None
