"""AWS::ECR::Repository, made in the endpoint's ECR (moto): the bootstrap stack's image repository."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from ..errors import ResourceFailed
from ..state import ResourceRecord
from .base import NativeType, ResourceRequest, Result, generated_name


class Repository(NativeType):
    type_name = "AWS::ECR::Repository"
    replaced_by = frozenset({"RepositoryName", "EncryptionConfiguration"})

    def create(self, request: ResourceRequest) -> Result:
        properties = request.properties
        name = str(properties.get("RepositoryName") or generated_name(request, 256).lower())
        ecr = self.services.client("ecr")
        call: dict[str, Any] = {"repositoryName": name}
        if "ImageTagMutability" in properties:
            call["imageTagMutability"] = properties["ImageTagMutability"]
        if "ImageScanningConfiguration" in properties:
            call["imageScanningConfiguration"] = {
                "scanOnPush": str(properties["ImageScanningConfiguration"].get("ScanOnPush", False)).lower() == "true"
            }
        if properties.get("Tags"):
            call["tags"] = properties["Tags"]
        try:
            repository = ecr.create_repository(**call)["repository"]
        except ClientError as error:
            if error.response["Error"]["Code"] != "RepositoryAlreadyExistsException" or not request.import_existing:
                raise ResourceFailed(str(error)) from None
            repository = ecr.describe_repositories(repositoryNames=[name])["repositories"][0]
        self._configure(name, properties)
        return name, {"Arn": repository["repositoryArn"], "RepositoryUri": repository["repositoryUri"]}

    def update(self, request: ResourceRequest, current: ResourceRecord) -> Result:
        name = request.properties.get("RepositoryName") or current["physical_id"]
        if name != current["physical_id"]:
            return self.create(request)
        self._configure(str(name), request.properties)
        return str(name), dict(current["attributes"])

    def delete(self, entry: ResourceRecord) -> None:
        force = str(entry["properties"].get("EmptyOnDelete", False)).lower() == "true"
        try:
            self.services.client("ecr").delete_repository(repositoryName=entry["physical_id"], force=force)
        except ClientError as error:
            if error.response["Error"]["Code"] != "RepositoryNotFoundException":
                raise ResourceFailed(str(error)) from None

    def _configure(self, name: str, properties: dict[str, Any]) -> None:
        ecr = self.services.client("ecr")
        if "RepositoryPolicyText" in properties:
            text = properties["RepositoryPolicyText"]
            ecr.set_repository_policy(
                repositoryName=name, policyText=text if isinstance(text, str) else json.dumps(text)
            )
        lifecycle = properties.get("LifecyclePolicy", {}).get("LifecyclePolicyText")
        if lifecycle:
            ecr.put_lifecycle_policy(repositoryName=name, lifecyclePolicyText=lifecycle)
