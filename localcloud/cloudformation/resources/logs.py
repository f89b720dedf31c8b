"""AWS::Logs::LogGroup: recorded, with its ARN."""

from __future__ import annotations

from .base import NativeType, Request, Result


class LogGroup(NativeType):
    type_name = "AWS::Logs::LogGroup"

    def create(self, request: Request) -> Result:
        name = request.properties.get("LogGroupName") or self.environment.generated_name(request, 512)
        region, account = self.environment.region, self.environment.account
        return name, {"Arn": f"arn:aws:logs:{region}:{account}:log-group:{name}:*"}
