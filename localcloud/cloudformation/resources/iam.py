"""AWS::IAM::Role, AWS::IAM::Policy and AWS::IAM::ManagedPolicy.

They are made in the endpoint's IAM (moto), so `aws iam get-role` and the CDK CLI see them.
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


def _document(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _code(error: ClientError) -> str:
    return str(error.response["Error"]["Code"])


class Role(NativeType):
    type_name = "AWS::IAM::Role"
    replaced_by = frozenset({"RoleName", "Path"})
    identifier = ("RoleName",)

    def create(self, request: ResourceRequest) -> Result:
        properties = request.properties
        name = properties.get("RoleName") or generated_name(request)
        path = properties.get("Path", "/")
        iam = self.services.client("iam")
        call: dict[str, Any] = {
            "RoleName": name,
            "Path": path,
            "AssumeRolePolicyDocument": _document(properties.get("AssumeRolePolicyDocument", {})),
        }
        for prop in ("Description", "MaxSessionDuration", "PermissionsBoundary", "Tags"):
            if prop in properties:
                call[prop] = properties[prop]
        try:
            role = iam.create_role(**call)["Role"]
        except ClientError as error:
            if _code(error) != "EntityAlreadyExists" or not request.import_existing:
                raise ResourceFailed(
                    f"{name} already exists" if _code(error) == "EntityAlreadyExists" else str(error)
                ) from None
            role = iam.get_role(RoleName=name)["Role"]
            iam.update_assume_role_policy(RoleName=name, PolicyDocument=call["AssumeRolePolicyDocument"])
        self._attach(name, properties)
        return name, {"Arn": role["Arn"], "RoleId": role["RoleId"]}

    def update(self, request: ResourceRequest, current: ResourceRecord) -> Result:
        name = request.properties.get("RoleName") or current["physical_id"]
        if name != current["physical_id"] or request.properties.get("Path", "/") != current["properties"].get(
            "Path", "/"
        ):
            return self.create(request)
        iam = self.services.client("iam")
        iam.update_assume_role_policy(
            RoleName=name, PolicyDocument=_document(request.properties.get("AssumeRolePolicyDocument", {}))
        )
        self._detach(name, current["properties"], keep=request.properties)
        self._attach(name, request.properties)
        return name, dict(current["attributes"])

    def delete(self, entry: ResourceRecord) -> None:
        name = entry["physical_id"]
        iam = self.services.client("iam")
        try:
            for policy in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]:
                iam.detach_role_policy(RoleName=name, PolicyArn=policy["PolicyArn"])
            for policy_name in iam.list_role_policies(RoleName=name)["PolicyNames"]:
                iam.delete_role_policy(RoleName=name, PolicyName=policy_name)
            iam.delete_role(RoleName=name)
        except ClientError as error:
            if _code(error) != "NoSuchEntity":
                raise ResourceFailed(str(error)) from None

    def read(self, identifier: dict[str, str]) -> Result:
        name = identifier["RoleName"]
        try:
            role = self.services.client("iam").get_role(RoleName=name)["Role"]
        except ClientError as error:
            if _code(error) == "NoSuchEntity":
                raise self.not_found(identifier) from None
            raise
        return name, {"Arn": role["Arn"], "RoleId": role["RoleId"]}

    def _attach(self, name: str, properties: dict[str, Any]) -> None:
        iam = self.services.client("iam")
        for policy in properties.get("Policies", []):
            iam.put_role_policy(
                RoleName=name, PolicyName=policy["PolicyName"], PolicyDocument=_document(policy["PolicyDocument"])
            )
        for arn in properties.get("ManagedPolicyArns", []):
            try:
                iam.attach_role_policy(RoleName=name, PolicyArn=arn)
            except ClientError as error:
                if _code(error) != "NoSuchEntity" or ":iam::aws:policy/" not in arn:
                    raise ResourceFailed(str(error)) from None
                # an AWS managed policy the endpoint's IAM does not hold: nothing to grant locally
                LOG.info("%s: AWS managed policy %s is not known to the local IAM; not attached", name, arn)

    def _detach(self, name: str, old: dict[str, Any], keep: dict[str, Any]) -> None:
        iam = self.services.client("iam")
        kept = {policy["PolicyName"] for policy in keep.get("Policies", [])}
        for policy in old.get("Policies", []):
            if policy["PolicyName"] not in kept:
                iam.delete_role_policy(RoleName=name, PolicyName=policy["PolicyName"])
        for arn in set(old.get("ManagedPolicyArns", [])) - set(keep.get("ManagedPolicyArns", [])):
            try:
                iam.detach_role_policy(RoleName=name, PolicyArn=arn)
            except ClientError as error:
                if _code(error) != "NoSuchEntity":
                    raise


class Policy(NativeType):
    """An inline policy put on each of its roles (users and groups too)."""

    type_name = "AWS::IAM::Policy"

    def create(self, request: ResourceRequest) -> Result:
        physical_id = generated_name(request)
        self._put(request.properties)
        return physical_id, {}

    def update(self, request: ResourceRequest, current: ResourceRecord) -> Result:
        self._remove(current["properties"], keep=request.properties)
        self._put(request.properties)
        return str(current["physical_id"]), {}

    def delete(self, entry: ResourceRecord) -> None:
        self._remove(entry["properties"], keep={})

    def _put(self, properties: dict[str, Any]) -> None:
        iam = self.services.client("iam")
        document = _document(properties["PolicyDocument"])
        name = properties["PolicyName"]
        for role in properties.get("Roles", []):
            iam.put_role_policy(RoleName=role, PolicyName=name, PolicyDocument=document)
        for user in properties.get("Users", []):
            iam.put_user_policy(UserName=user, PolicyName=name, PolicyDocument=document)
        for group in properties.get("Groups", []):
            iam.put_group_policy(GroupName=group, PolicyName=name, PolicyDocument=document)

    def _remove(self, old: dict[str, Any], keep: dict[str, Any]) -> None:
        iam = self.services.client("iam")
        name = old.get("PolicyName")
        same_name = keep.get("PolicyName") == name
        calls = (
            ("Roles", iam.delete_role_policy, "RoleName"),
            ("Users", iam.delete_user_policy, "UserName"),
            ("Groups", iam.delete_group_policy, "GroupName"),
        )
        for key, delete, argument in calls:
            for holder in old.get(key, []):
                if same_name and holder in keep.get(key, []):
                    continue
                try:
                    delete(**{argument: holder, "PolicyName": name})
                except ClientError as error:
                    if _code(error) != "NoSuchEntity":
                        raise


class ManagedPolicy(NativeType):
    """What CDK adds when a role's inline policy outgrows IAM's size limit (about 100 dataset groups)."""

    type_name = "AWS::IAM::ManagedPolicy"
    replaced_by = frozenset({"ManagedPolicyName", "Path", "Description"})

    def create(self, request: ResourceRequest) -> Result:
        properties = request.properties
        name = properties.get("ManagedPolicyName") or generated_name(request, 128)
        path = properties.get("Path", "/")
        iam = self.services.client("iam")
        call = {"PolicyName": name, "Path": path, "PolicyDocument": _document(properties["PolicyDocument"])}
        if "Description" in properties:
            call["Description"] = properties["Description"]
        arn = iam.create_policy(**call)["Policy"]["Arn"]
        self._attach(arn, properties)
        return arn, {"PolicyArn": arn}

    def update(self, request: ResourceRequest, current: ResourceRecord) -> Result:
        old = current["properties"]
        if any(request.properties.get(prop) != old.get(prop) for prop in self.replaced_by):
            return self.create(request)
        arn = str(current["physical_id"])
        iam = self.services.client("iam")
        for version in iam.list_policy_versions(PolicyArn=arn)["Versions"]:
            if not version["IsDefaultVersion"]:
                iam.delete_policy_version(PolicyArn=arn, VersionId=version["VersionId"])
        iam.create_policy_version(
            PolicyArn=arn, PolicyDocument=_document(request.properties["PolicyDocument"]), SetAsDefault=True
        )
        for role in set(old.get("Roles", [])) - set(request.properties.get("Roles", [])):
            iam.detach_role_policy(RoleName=role, PolicyArn=arn)
        self._attach(arn, request.properties)
        return arn, {"PolicyArn": arn}

    def delete(self, entry: ResourceRecord) -> None:
        iam = self.services.client("iam")
        arn = entry["physical_id"]
        try:
            for role in entry["properties"].get("Roles", []):
                iam.detach_role_policy(RoleName=role, PolicyArn=arn)
            for version in iam.list_policy_versions(PolicyArn=arn)["Versions"]:
                if not version["IsDefaultVersion"]:
                    iam.delete_policy_version(PolicyArn=arn, VersionId=version["VersionId"])
            iam.delete_policy(PolicyArn=arn)
        except ClientError as error:
            if _code(error) != "NoSuchEntity":
                raise ResourceFailed(str(error)) from None

    def _attach(self, arn: str, properties: dict[str, Any]) -> None:
        iam = self.services.client("iam")
        for role in properties.get("Roles", []):
            iam.attach_role_policy(RoleName=role, PolicyArn=arn)
