"""AWS::CDK::Metadata: what the CDK adds to every template; nothing to emulate."""

from __future__ import annotations

from .base import NativeType, ResourceRequest, Result


class Metadata(NativeType):
    type_name = "AWS::CDK::Metadata"

    def create(self, request: ResourceRequest) -> Result:
        return self.environment.generated_name(request), {}
