"""AWS::S3::Bucket and AWS::S3::BucketPolicy, made in the endpoint's S3 (moto).

A bucket of ours that exists already is taken over, not refused: the endpoint creates the CDK's
assets bucket before any bootstrap, so that `cdk deploy` works on a fresh local cloud.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from botocore.exceptions import ClientError

from ..errors import ResourceFailed
from ..state import ResourceRecord
from .base import NativeType, ResourceRequest, Result, generated_name

LOG = logging.getLogger(__name__)


class Bucket(NativeType):
    type_name = "AWS::S3::Bucket"
    replaced_by = frozenset({"BucketName", "ObjectLockEnabled"})
    identifier = ("BucketName",)

    def create(self, request: ResourceRequest) -> Result:
        name = str(request.properties.get("BucketName") or generated_name(request, 63).lower())
        s3 = self.services.client("s3")
        call: dict[str, Any] = {"Bucket": name}
        if self.services.region != "us-east-1":
            call["CreateBucketConfiguration"] = {"LocationConstraint": self.services.region}
        try:
            s3.create_bucket(**call)
        except ClientError as error:
            if error.response["Error"]["Code"] != "BucketAlreadyOwnedByYou":
                raise ResourceFailed(
                    f"{name} already exists" if "AlreadyExists" in str(error) else str(error)
                ) from None
            LOG.info("bucket %s exists already: taken over", name)
        self._configure(name, request.properties)
        return name, self._attributes(name)

    def update(self, request: ResourceRequest, current: ResourceRecord) -> Result:
        name = request.properties.get("BucketName") or current["physical_id"]
        if name != current["physical_id"]:
            return self.create(request)
        self._configure(name, request.properties)
        return str(name), self._attributes(str(name))

    def delete(self, entry: ResourceRecord) -> None:
        try:
            self.services.client("s3").delete_bucket(Bucket=entry["physical_id"])
        except ClientError as error:
            code = error.response["Error"]["Code"]
            if code == "NoSuchBucket":
                return
            if code == "BucketNotEmpty":
                raise ResourceFailed(
                    f"The bucket you tried to delete is not empty (Bucket: {entry['physical_id']})"
                ) from None
            raise ResourceFailed(str(error)) from None

    def read(self, identifier: dict[str, str]) -> Result:
        name = identifier["BucketName"]
        try:
            self.services.client("s3").head_bucket(Bucket=name)
        except ClientError as error:
            if error.response["Error"]["Code"] in ("404", "NoSuchBucket"):
                raise self.not_found(identifier) from None
            raise
        return name, self._attributes(name)

    def _configure(self, name: str, properties: dict[str, Any]) -> None:
        s3 = self.services.client("s3")
        if "BucketEncryption" in properties:
            s3.put_bucket_encryption(
                Bucket=name, ServerSideEncryptionConfiguration=_encryption(properties["BucketEncryption"])
            )
        if "VersioningConfiguration" in properties:
            s3.put_bucket_versioning(
                Bucket=name, VersioningConfiguration={"Status": properties["VersioningConfiguration"]["Status"]}
            )
        if "PublicAccessBlockConfiguration" in properties:
            block = {key: _flag(value) for key, value in properties["PublicAccessBlockConfiguration"].items()}
            s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=block)
        if properties.get("Tags"):
            s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": properties["Tags"]})
        # LifecycleConfiguration, CORS and the rest are recorded only: nothing local acts on them

    def _attributes(self, name: str) -> dict[str, Any]:
        region = self.services.region
        return {
            "Arn": f"arn:aws:s3:::{name}",
            "DomainName": f"{name}.s3.amazonaws.com",
            "RegionalDomainName": f"{name}.s3.{region}.amazonaws.com",
            "DualStackDomainName": f"{name}.s3.dualstack.{region}.amazonaws.com",
            "WebsiteURL": f"http://{name}.s3-website-{region}.amazonaws.com",
        }


def _flag(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def _encryption(configuration: dict[str, Any]) -> dict[str, Any]:
    rules = []
    for rule in configuration.get("ServerSideEncryptionConfiguration", []):
        default = dict(rule.get("ServerSideEncryptionByDefault", {}))
        entry: dict[str, Any] = {"ApplyServerSideEncryptionByDefault": default}
        if "BucketKeyEnabled" in rule:
            entry["BucketKeyEnabled"] = _flag(rule["BucketKeyEnabled"])
        rules.append(entry)
    return {"Rules": rules}


class BucketPolicy(NativeType):
    type_name = "AWS::S3::BucketPolicy"
    replaced_by = frozenset({"Bucket"})

    def create(self, request: ResourceRequest) -> Result:
        self._put(request.properties)
        return generated_name(request), {}

    def update(self, request: ResourceRequest, current: ResourceRecord) -> Result:
        if request.properties["Bucket"] != current["properties"]["Bucket"]:
            return self.create(request)
        self._put(request.properties)
        return str(current["physical_id"]), {}

    def delete(self, entry: ResourceRecord) -> None:
        try:
            self.services.client("s3").delete_bucket_policy(Bucket=entry["properties"]["Bucket"])
        except ClientError as error:
            if error.response["Error"]["Code"] not in ("NoSuchBucket", "NoSuchBucketPolicy"):
                raise ResourceFailed(str(error)) from None

    def _put(self, properties: dict[str, Any]) -> None:
        document = properties["PolicyDocument"]
        document = json.loads(document) if isinstance(document, str) else document
        applied = {**document, "Statement": [s for s in _statements(document) if not _requires_tls(s)]}
        if len(applied["Statement"]) != len(_statements(document)):
            # The endpoint is plain HTTP, and moto's S3 applies a Deny without its condition: the
            # bootstrap bucket's "AllowSSLRequestsOnly" would refuse every upload of the CDK CLI.
            LOG.info("bucket %s: statements denying requests without TLS are kept, not applied", properties["Bucket"])
        if applied["Statement"]:
            self.services.client("s3").put_bucket_policy(Bucket=properties["Bucket"], Policy=json.dumps(applied))


def _statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    statements = document.get("Statement", [])
    return [statements] if isinstance(statements, dict) else list(statements)


def _requires_tls(statement: dict[str, Any]) -> bool:
    """A Deny of requests made without TLS (`aws:SecureTransport` false)."""
    condition = statement.get("Condition", {})
    return statement.get("Effect") == "Deny" and any(
        str(values.get("aws:SecureTransport", "")).lower() == "false" for values in condition.values()
    )
