"""AWS::Logs::LogGroup: made in the endpoint's CloudWatch Logs (moto)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from ..errors import ResourceFailed
from ..state import ResourceRecord
from .base import NativeType, ResourceRequest, Result, generated_name


class LogGroup(NativeType):
    type_name = "AWS::Logs::LogGroup"
    replaced_by = frozenset({"LogGroupName", "LogGroupClass"})
    identifier = ("LogGroupName",)

    def create(self, request: ResourceRequest) -> Result:
        name = request.properties.get("LogGroupName") or generated_name(request, 512)
        region, account = self.services.region, self.services.account
        logs = self.services.client("logs")
        try:
            logs.create_log_group(logGroupName=name)
        except ClientError as error:
            if error.response["Error"]["Code"] != "ResourceAlreadyExistsException" or not request.import_existing:
                raise ResourceFailed(str(error)) from None
        self._retention(name, request.properties)
        return name, {"Arn": f"arn:aws:logs:{region}:{account}:log-group:{name}:*"}

    def update(self, request: ResourceRequest, current: ResourceRecord) -> Result:
        name = request.properties.get("LogGroupName") or current["physical_id"]
        if name != current["physical_id"]:
            return self.create(request)
        self._retention(str(name), request.properties)
        return str(name), dict(current["attributes"])

    def delete(self, entry: ResourceRecord) -> None:
        try:
            self.services.client("logs").delete_log_group(logGroupName=entry["physical_id"])
        except ClientError as error:
            if error.response["Error"]["Code"] != "ResourceNotFoundException":
                raise ResourceFailed(str(error)) from None

    def read(self, identifier: dict[str, str]) -> Result:
        name = identifier["LogGroupName"]
        pages = self.services.client("logs").get_paginator("describe_log_groups").paginate(logGroupNamePrefix=name)
        if not any(group["logGroupName"] == name for page in pages for group in page["logGroups"]):
            raise self.not_found(identifier)
        region, account = self.services.region, self.services.account
        return name, {"Arn": f"arn:aws:logs:{region}:{account}:log-group:{name}:*"}

    def _retention(self, name: str, properties: dict[str, Any]) -> None:
        logs = self.services.client("logs")
        if "RetentionInDays" in properties:
            logs.put_retention_policy(logGroupName=name, retentionInDays=int(properties["RetentionInDays"]))
        else:
            logs.delete_retention_policy(logGroupName=name)
