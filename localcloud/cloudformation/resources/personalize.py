"""AWS::Personalize::DatasetGroup, and what the Personalize types share: waiting for a status,
tags changed in place, the service's errors as the stack shows them.

A dataset group's Tags change in place (TagResource, UntagResource: `Tags.of(...)` on a stack
reaches the dataset group too); every other property is create-only, and a change replaces the
group.
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
NOT_FOUND = "ResourceNotFoundException"


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def tags_of(properties: dict[str, Any]) -> dict[str, str]:
    return {str(tag["Key"]): str(tag["Value"]) for tag in properties.get("Tags") or []}


def tag_list(properties: dict[str, Any]) -> list[dict[str, str]]:
    """The template's Tags as Personalize's `tags` parameter."""
    return [{"tagKey": key, "tagValue": value} for key, value in tags_of(properties).items()]


class PersonalizeType(NativeType):
    """A Personalize resource type: its statuses waited for on the service, its tags kept in place."""

    noun: str  # as failure reasons name the resource: "dataset group", "event tracker"

    def describe_status(self, arn: str) -> str | None:
        """The resource's status; None once it is gone."""
        raise NotImplementedError

    def wait(self, arn: str, done: Callable[[str | None], bool], goal: str) -> str | None:
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            try:
                status = self.describe_status(arn)
            except ClientError as error:
                if error_code(error) != NOT_FOUND:
                    raise ResourceFailed(str(error), physical_id=arn) from None
                status = None
            if done(status):
                return status
            if time.monotonic() > deadline:
                raise ResourceFailed(f"{self.noun} {arn} did not {goal} in time (status {status})", physical_id=arn)
            time.sleep(0.1)

    def read_active(self, arn: str, identifier: dict[str, str]) -> None:
        """For an import: the resource exists and is ACTIVE; one being created or deleted, or that
        failed, is nothing a stack can take over as it is."""
        try:
            status = self.describe_status(arn)
        except ClientError as error:
            if error_code(error) in (NOT_FOUND, "InvalidInputException"):
                raise self.not_found(identifier) from None
            raise
        if status != "ACTIVE":
            raise ResourceFailed(f"{self.noun} {arn} is {status}: only an ACTIVE {self.noun} can be imported")

    def wait_active(self, arn: str) -> None:
        status = self.wait(arn, lambda s: s in ("ACTIVE", "CREATE FAILED"), "become ACTIVE")
        if status != "ACTIVE":
            raise ResourceFailed(f"{self.noun} {arn} ended in {status}", physical_id=arn)

    def retag(self, arn: str, old: dict[str, str], new: dict[str, str]) -> None:
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

    def delete_and_wait(self, arn: str, delete: Callable[[], Any]) -> None:
        """Delete, and return once the resource is gone. One still being created is waited for
        first (Personalize refuses to delete it until then); any other refusal fails the delete."""
        while True:
            try:
                delete()
                break
            except ClientError as error:
                if error_code(error) == NOT_FOUND:
                    return
                if error_code(error) != "ResourceInUseException":
                    raise ResourceFailed(str(error), physical_id=arn) from None
                status = self.wait(arn, lambda s: True, "")  # as it is now
                if status is None:
                    return
                if status in ("CREATE PENDING", "CREATE IN_PROGRESS"):
                    self.wait(arn, lambda s: s not in ("CREATE PENDING", "CREATE IN_PROGRESS"), "finish being created")
                    continue
                if status in ("DELETE PENDING", "DELETE IN_PROGRESS"):
                    break
                raise ResourceFailed(str(error), physical_id=arn) from None
        self.wait(arn, lambda status: status is None, "be deleted")


class DatasetGroup(PersonalizeType):
    type_name = "AWS::Personalize::DatasetGroup"
    replaced_by = frozenset({"Name", "Domain", "KmsKeyArn", "RoleArn"})
    noun = "dataset group"
    identifier = ("DatasetGroupArn",)

    def describe_status(self, arn: str) -> str | None:
        described = self.services.client("personalize").describe_dataset_group(datasetGroupArn=arn)
        return str(described["datasetGroup"]["status"])

    def create(self, request: ResourceRequest) -> Result:
        properties = request.properties
        call: dict[str, Any] = {"name": properties["Name"]}
        for prop, param in (("Domain", "domain"), ("KmsKeyArn", "kmsKeyArn"), ("RoleArn", "roleArn")):
            if prop in properties:
                call[param] = properties[prop]
        if properties.get("Tags"):
            call["tags"] = tag_list(properties)
        try:
            arn = str(self.services.client("personalize").create_dataset_group(**call)["datasetGroupArn"])
        except ClientError as error:
            raise ResourceFailed(str(error)) from None
        self.wait_active(arn)
        return arn, {"DatasetGroupArn": arn}

    def update(self, request: ResourceRequest, current: ResourceRecord) -> Result:
        old, new = current.get("properties", {}), request.properties
        if any(old.get(name) != new.get(name) for name in self.replaced_by):
            return self.create(request)
        arn = current["physical_id"]
        self.retag(arn, tags_of(old), tags_of(new))
        return arn, {"DatasetGroupArn": arn}

    def delete(self, entry: ResourceRecord) -> None:
        arn = entry["physical_id"]
        personalize = self.services.client("personalize")
        self.delete_and_wait(arn, lambda: personalize.delete_dataset_group(datasetGroupArn=arn))

    def read(self, identifier: dict[str, str]) -> Result:
        arn = identifier["DatasetGroupArn"]
        self.read_active(arn, identifier)
        return arn, {"DatasetGroupArn": arn}
