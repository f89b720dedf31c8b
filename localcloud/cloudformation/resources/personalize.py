"""AWS::Personalize::DatasetGroup: created in the Personalize emulator, and waited for.

Its Tags change in place (TagResource, UntagResource: `Tags.of(...)` on a stack reaches the
dataset group too); every other property is create-only, and a change replaces the group.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from ..errors import ResourceFailed
from ..state import ResourceRecord
from .base import NativeType, ResourceRequest, Result

WAIT_SECONDS = 300


class DatasetGroup(NativeType):
    type_name = "AWS::Personalize::DatasetGroup"
    replaced_by = frozenset({"Name", "Domain", "KmsKeyArn", "RoleArn"})
    identifier = ("DatasetGroupArn",)

    def create(self, request: ResourceRequest) -> Result:
        properties = request.properties
        call = {"name": properties["Name"]}
        for prop, param in (("Domain", "domain"), ("KmsKeyArn", "kmsKeyArn"), ("RoleArn", "roleArn")):
            if prop in properties:
                call[param] = properties[prop]
        if properties.get("Tags"):
            call["tags"] = [{"tagKey": tag["Key"], "tagValue": tag["Value"]} for tag in properties["Tags"]]
        try:
            arn = str(self.services.client("personalize").create_dataset_group(**call)["datasetGroupArn"])
        except ClientError as error:
            raise ResourceFailed(str(error)) from None
        status = self._wait(arn, lambda s: s in ("ACTIVE", "CREATE FAILED"), "become ACTIVE")
        if status != "ACTIVE":
            raise ResourceFailed(f"dataset group {arn} ended in {status}", physical_id=arn)
        return arn, {"DatasetGroupArn": arn}

    def update(self, request: ResourceRequest, current: ResourceRecord) -> Result:
        old, new = current.get("properties", {}), request.properties
        if any(old.get(name) != new.get(name) for name in self.replaced_by):
            return self.create(request)
        arn = current["physical_id"]
        self._retag(arn, _tags(old), _tags(new))
        return arn, {"DatasetGroupArn": arn}

    def _retag(self, arn: str, old: dict[str, str], new: dict[str, str]) -> None:
        personalize = self.services.client("personalize")
        try:
            removed = sorted(set(old) - set(new))
            if removed:
                personalize.untag_resource(resourceArn=arn, tagKeys=removed)
            changed = [{"tagKey": k, "tagValue": v} for k, v in new.items() if old.get(k) != v]
            if changed:
                personalize.tag_resource(resourceArn=arn, tags=changed)
        except ClientError as error:
            raise ResourceFailed(str(error), physical_id=arn) from None

    def delete(self, entry: ResourceRecord) -> None:
        arn = entry["physical_id"]
        try:
            self.services.client("personalize").delete_dataset_group(datasetGroupArn=arn)
        except ClientError as error:
            if error.response["Error"]["Code"] == "ResourceNotFoundException":
                return
            raise ResourceFailed(str(error)) from None
        self._wait(arn, lambda status: status is None, "be deleted")

    def read(self, identifier: dict[str, str]) -> Result:
        arn = identifier["DatasetGroupArn"]
        try:
            status = self.services.client("personalize").describe_dataset_group(datasetGroupArn=arn)["datasetGroup"][
                "status"
            ]
        except ClientError as error:
            if error.response["Error"]["Code"] in ("ResourceNotFoundException", "InvalidInputException"):
                raise self.not_found(identifier) from None
            raise
        if status != "ACTIVE":
            # one being created, deleted, or that failed: nothing a stack can take over as it is
            raise ResourceFailed(f"dataset group {arn} is {status}: only an ACTIVE dataset group can be imported")
        return arn, {"DatasetGroupArn": arn}

    def _wait(self, arn: str, done: Callable[[str | None], bool], goal: str) -> str | None:
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            try:
                described = self.services.client("personalize").describe_dataset_group(datasetGroupArn=arn)
                status: str | None = described["datasetGroup"]["status"]
            except ClientError as error:
                if error.response["Error"]["Code"] != "ResourceNotFoundException":
                    raise
                status = None
            if done(status):
                return status
            if time.monotonic() > deadline:
                raise ResourceFailed(f"dataset group {arn} did not {goal} in time (status {status})")
            time.sleep(0.1)


def _tags(properties: dict[str, Any]) -> dict[str, str]:
    return {str(tag["Key"]): str(tag["Value"]) for tag in properties.get("Tags") or []}
