"""The native resource types the local cloud emulates, one small unit each, looked up by type.

Adding a type is one new `NativeType` subclass and a line in `NATIVE_TYPES`; the stack engine
does not change.
"""

from __future__ import annotations

from pathlib import Path

from ..intrinsics import TemplateError
from ..services import Services
from .base import NativeType, ResourceRequest, Result, generated_name
from .cdk import Metadata
from .ecr import Repository
from .iam import ManagedPolicy, Policy, Role
from .lambda_function import ASSET_ATTRIBUTE, Function
from .logs import LogGroup
from .personalize import DatasetGroup
from .personalize_datasets import Dataset, Schema
from .personalize_event_tracker import EventTracker
from .s3 import Bucket, BucketPolicy
from .ssm import Parameter

NATIVE_TYPES: dict[str, type[NativeType]] = {
    native.type_name: native
    for native in (
        Bucket,
        BucketPolicy,
        Dataset,
        DatasetGroup,
        EventTracker,
        Function,
        LogGroup,
        ManagedPolicy,
        Metadata,
        Parameter,
        Policy,
        Repository,
        Role,
        Schema,
    )
}
CUSTOM_TYPE_NAMES = ("Custom::*", "AWS::CloudFormation::CustomResource")


def supported_types() -> list[str]:
    return [*sorted(NATIVE_TYPES), *CUSTOM_TYPE_NAMES]


def native_type(type_name: str, services: Services, code_dir: Path, logical_id: str) -> NativeType:
    """The unit that emulates `type_name`; TemplateError when the local cloud does not emulate it."""
    found = NATIVE_TYPES.get(type_name)
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
    "generated_name",
    "native_type",
    "supported_types",
]
