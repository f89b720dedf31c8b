"""AWS::IAM::Role, AWS::IAM::Policy and AWS::IAM::ManagedPolicy: recorded, with their ARNs."""

from __future__ import annotations

import secrets

from .base import NativeType, Request, Result


class Role(NativeType):
    type_name = "AWS::IAM::Role"

    def create(self, request: Request) -> Result:
        name = request.properties.get("RoleName") or self.environment.generated_name(request)
        arn = f"arn:aws:iam::{self.environment.account}:role/{name}"
        return name, {"Arn": arn, "RoleId": f"AROA{secrets.token_hex(8).upper()}"}


class Policy(NativeType):
    type_name = "AWS::IAM::Policy"

    def create(self, request: Request) -> Result:
        return self.environment.generated_name(request), {}


class ManagedPolicy(NativeType):
    """What CDK adds when a role's inline policy outgrows IAM's size limit (about 100 dataset groups)."""

    type_name = "AWS::IAM::ManagedPolicy"

    def create(self, request: Request) -> Result:
        name = request.properties.get("ManagedPolicyName") or self.environment.generated_name(request, 128)
        arn = f"arn:aws:iam::{self.environment.account}:policy{request.properties.get('Path', '/')}{name}"
        return arn, {"PolicyArn": arn}
