"""The native resource types the local cloud emulates, one small unit each, looked up by type.

Adding a type is one new `NativeType` subclass and a line in `NATIVE_TYPES`; the stack engine
does not change.
"""

from __future__ import annotations

from ...intrinsics import TemplateError
from .base import Environment, NativeType, Request, Result
from .cdk import Metadata
from .iam import ManagedPolicy, Policy, Role
from .lambda_function import ASSET_ATTRIBUTE, Function
from .logs import LogGroup
from .personalize import DatasetGroup
from .ssm import Parameter

NATIVE_TYPES: dict[str, type[NativeType]] = {
    native.type_name: native
    for native in (DatasetGroup, Role, Policy, ManagedPolicy, LogGroup, Function, Metadata, Parameter)
}


def native_type(type_name: str, environment: Environment, logical_id: str) -> NativeType:
    """The unit that emulates `type_name`; TemplateError when the local cloud does not emulate it."""
    found = NATIVE_TYPES.get(type_name)
    if found is None:
        raise TemplateError(f"the local cloud does not emulate {type_name} ({logical_id})")
    return found(environment)


__all__ = ["ASSET_ATTRIBUTE", "NATIVE_TYPES", "Environment", "NativeType", "Request", "Result", "native_type"]
