"""AWS::CDK::Metadata: what the CDK adds to every template; nothing to emulate."""

from __future__ import annotations

from .base import NativeType, Request, Result


class Metadata(NativeType):
    type_name = "AWS::CDK::Metadata"

    def create(self, request: Request) -> Result:
        return self.environment.generated_name(request), {}
