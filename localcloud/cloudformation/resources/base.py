"""The interface between the stack engine and the native resource types it emulates."""

from __future__ import annotations

import os
import secrets
import string
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol

import boto3
import botocore.session
from botocore.config import Config

from ..parameter_store import ParameterStore

TEST_KEY = "test"  # the endpoint takes any keys; these are the conventional ones


def session(region: str) -> boto3.session.Session:
    """A boto3 session of its own (clients made in threads share no default session) with test
    keys, blind to the caller's AWS_PROFILE and ini files: nothing here may reach a real account."""
    core = botocore.session.Session()
    store = core.get_component("config_store")
    for variable in ("config_file", "credentials_file"):
        store.set_config_variable(variable, os.devnull)
    store.set_config_variable("profile", None)  # not AWS_PROFILE: the default, absent with no files
    return boto3.session.Session(
        region_name=region, aws_access_key_id=TEST_KEY, aws_secret_access_key=TEST_KEY, botocore_session=core
    )


class Parameters(Protocol):
    """Systems Manager's Parameter Store, as the stack engine uses it."""

    def put(self, name: str, value: str, *, parameter_type: str = "String", description: str = "") -> None: ...
    def get(self, name: str) -> str: ...
    def exists(self, name: str) -> bool: ...
    def delete(self, name: str) -> None: ...


class Clients:
    """boto3 clients of the services at the endpoint (moto's S3, IAM, SSM, Logs, ECR; our
    Personalize), one per service, shared by the threads of a stack operation."""

    def __init__(self, endpoint_url: str, region: str) -> None:
        self.endpoint_url = endpoint_url
        self.region = region
        self._session = session(region)
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    def __call__(self, service: str) -> Any:
        with self._lock:
            if service not in self._clients:
                self._clients[service] = self._session.client(
                    service,  # type: ignore[call-overload]
                    endpoint_url=self.endpoint_url,
                    config=Config(retries={"mode": "standard", "total_max_attempts": 5}, max_pool_connections=64),
                )
            return self._clients[service]


Result = tuple[str, dict[str, Any]]  # physical id, attributes (what Fn::GetAtt returns)


@dataclass(frozen=True)
class ResourceRequest:
    """What a resource type is asked to create or update."""

    stack_name: str
    logical_id: str
    properties: dict[str, Any]
    assets: Mapping[str, Path]  # the assembly's staged assets, by the S3 key a template names
    # ImportExistingResources: a named resource that exists already is taken over, not refused
    import_existing: bool = False


@dataclass(frozen=True)
class Environment:
    """What every resource type may use: the account, the region and the emulated services."""

    region: str
    account: str
    personalize: Any  # a boto3 client of the Personalize emulator
    parameters: Parameters = field(default_factory=ParameterStore)  # SSM Parameter Store
    # the endpoint's services; None when the engine runs without an endpoint (an assembly
    # deployed directly): then the types that only the endpoint could hold are recorded only
    clients: Clients | None = None
    code_dir: Path | None = None  # where Lambda code fetched from S3 is unpacked, by digest

    @staticmethod
    def generated_name(request: ResourceRequest, limit: int = 64) -> str:
        """A name as CloudFormation makes one: stack, logical id and a random suffix."""
        suffix = "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(12))
        return f"{request.stack_name}-{request.logical_id}"[: limit - 13] + "-" + suffix

    def client(self, service: str) -> Any:
        """A boto3 client of the endpoint's service; only for types that need the endpoint."""
        if self.clients is None:
            raise RuntimeError(f"{service} is reachable only behind the endpoint")
        return self.clients(service)


class NativeType:
    """One native resource type: how the local cloud creates, updates and deletes it.

    The defaults suit a type the local cloud only records: an update keeps the resource as it
    is, a delete has nothing to remove.
    """

    type_name: ClassVar[str]
    # properties whose change replaces the resource (CloudFormation's "Update requires: Replacement")
    replaced_by: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, environment: Environment) -> None:
        self.environment = environment

    def create(self, request: ResourceRequest) -> Result:
        raise NotImplementedError

    def update(self, request: ResourceRequest, current: dict[str, Any]) -> Result:
        return str(current["physical_id"]), dict(current["attributes"])

    def delete(self, entry: dict[str, Any]) -> None:
        return None
