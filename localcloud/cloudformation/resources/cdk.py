"""AWS::CDK::Metadata: what the CDK adds to every template; nothing to emulate."""

from __future__ import annotations

from .base import NativeType, ResourceRequest, Result, generated_name


class Metadata(NativeType):
    type_name = "AWS::CDK::Metadata"

    def create(self, request: ResourceRequest) -> Result:
        return generated_name(request), {}
