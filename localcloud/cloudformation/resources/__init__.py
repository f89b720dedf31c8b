"""The native resource types the local cloud emulates, one small unit each, looked up by type.

Adding a type is one new `NativeType` subclass and a line in `NATIVE_TYPES`; the stack engine
does not change. After them come moto's CloudFormation models (`moto_models.py`), one type each,
for every type no hand-written unit emulates: `resource_types()` is the whole registry, and
`emulated_types()` what a template may use (the change-set check refuses any other).
"""

from __future__ import annotations

from pathlib import Path

from ..intrinsics import TemplateError
from ..services import Services
from .base import NativeType, ResourceRequest, Result, generated_name
from .cdk import Metadata
from .ecr import Repository
from .iam import ManagedPolicy, Policy, Role
from .lambda_event_sources import EventSourceMapping, Permission
from .lambda_function import ASSET_ATTRIBUTE, Function
from .logs import LogGroup
from .moto_models import moto_types
from .personalize import DatasetGroup
from .personalize_datasets import Dataset, Schema
from .personalize_event_tracker import EventTracker
from .s3 import Bucket, BucketPolicy
from .secretsmanager import Secret
from .sns import Subscription
from .sqs import QueuePolicy
from .ssm import Parameter

NATIVE_TYPES: dict[str, type[NativeType]] = {
    native.type_name: native
    for native in (
        Bucket,
        BucketPolicy,
        Dataset,
        DatasetGroup,
        EventSourceMapping,
        EventTracker,
        Function,
        LogGroup,
        ManagedPolicy,
        Metadata,
        Parameter,
        Permission,
        Policy,
        QueuePolicy,
        Repository,
        Role,
        Schema,
        Secret,
        Subscription,
    )
}
CUSTOM_TYPE_NAMES = ("Custom::*", "AWS::CloudFormation::CustomResource")


def resource_types() -> dict[str, type[NativeType]]:
    """Every native type: the hand-written ones, then moto's models for the types they leave."""
    return {**moto_types(), **NATIVE_TYPES}


def emulated_types() -> frozenset[str]:
    """The types a template may use: the native ones and AWS::CloudFormation::CustomResource
    (a `Custom::` type is always emulated)."""
    return frozenset(resource_types()) | {"AWS::CloudFormation::CustomResource"}


def supported_types() -> list[str]:
    return [*sorted(resource_types()), *CUSTOM_TYPE_NAMES]


def native_type(type_name: str, services: Services, code_dir: Path, logical_id: str) -> NativeType:
    """The unit that emulates `type_name`; TemplateError when the local cloud does not emulate it."""
    found = resource_types().get(type_name)
    if found is None:
        raise TemplateError(
            f"the local cloud does not emulate {type_name} ({logical_id}). "
            f"Resource type {type_name} is not supported; the supported types are " + ", ".join(supported_types())
        )
    return found(services, code_dir)


__all__ = [
    "ASSET_ATTRIBUTE",
    "NATIVE_TYPES",
    "NativeType",
    "ResourceRequest",
    "Result",
    "emulated_types",
    "generated_name",
    "native_type",
    "resource_types",
    "supported_types",
]
