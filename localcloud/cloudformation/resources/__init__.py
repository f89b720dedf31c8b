"""The native resource types the local cloud emulates, one small unit each, looked up by type.

Adding a type is one new `NativeType` subclass and a line in `NATIVE_TYPES`; the stack engine
does not change.
"""

from __future__ import annotations

from ..intrinsics import TemplateError
from .base import Clients, Environment, NativeType, Parameters, ResourceRequest, Result
from .cdk import Metadata
from .ecr import Repository
from .iam import ManagedPolicy, Policy, Role
from .lambda_function import ASSET_ATTRIBUTE, Function
from .logs import LogGroup
from .personalize import DatasetGroup
from .s3 import Bucket, BucketPolicy
from .ssm import Parameter

NATIVE_TYPES: dict[str, type[NativeType]] = {
    native.type_name: native
    for native in (DatasetGroup, Role, Policy, ManagedPolicy, LogGroup, Function, Metadata, Parameter)
}
# Types that exist only in the endpoint's services (moto): deployable behind the endpoint.
ENDPOINT_TYPES: dict[str, type[NativeType]] = {
    native.type_name: native for native in (Bucket, BucketPolicy, Repository)
}
CUSTOM_TYPE_NAMES = ("Custom::*", "AWS::CloudFormation::CustomResource")


def supported_types(environment: Environment) -> list[str]:
    types = set(NATIVE_TYPES) | (set(ENDPOINT_TYPES) if environment.clients is not None else set())
    return [*sorted(types), *CUSTOM_TYPE_NAMES]


def native_type(type_name: str, environment: Environment, logical_id: str) -> NativeType:
    """The unit that emulates `type_name`; TemplateError when the local cloud does not emulate it."""
    found = NATIVE_TYPES.get(type_name)
    if found is None and environment.clients is not None:
        found = ENDPOINT_TYPES.get(type_name)
    if found is None:
        raise TemplateError(
            f"the local cloud does not emulate {type_name} ({logical_id}). "
            f"Resource type {type_name} is not supported; the supported types are "
            + ", ".join(supported_types(environment))
        )
    return found(environment)


__all__ = [
    "ASSET_ATTRIBUTE",
    "ENDPOINT_TYPES",
    "NATIVE_TYPES",
    "Clients",
    "Environment",
    "NativeType",
    "Parameters",
    "ResourceRequest",
    "Result",
    "native_type",
    "supported_types",
]
