"""AWS::SecretsManager::Secret: a secret in the endpoint's Secrets Manager (moto).

moto's CloudFormation has no model of it. As CloudFormation does: the value is SecretString, or
one generated (GenerateSecretString: a password, alone or under GenerateStringKey in the JSON of
SecretStringTemplate); an unnamed secret is named `<LogicalId>-<12 characters>`; Ref and
`Fn::GetAtt Id` are its ARN; a new Name replaces it. A deleted secret is deleted at once, without
a recovery window, so that a destroyed stack leaves nothing behind.
"""

from __future__ import annotations

import json
import secrets
import string
from typing import Any

from botocore.exceptions import ClientError

from ..errors import ResourceFailed
from ..state import ResourceRecord
from .base import NativeType, ResourceRequest, Result

# GenerateSecretString's members that GetRandomPassword takes as they are
PASSWORD_OPTIONS = (
    "ExcludeCharacters",
    "ExcludeLowercase",
    "ExcludeNumbers",
    "ExcludePunctuation",
    "ExcludeUppercase",
    "IncludeSpace",
    "PasswordLength",
    "RequireEachIncludedType",
)


class Secret(NativeType):
    type_name = "AWS::SecretsManager::Secret"
    replaced_by = frozenset({"Name"})

    def create(self, request: ResourceRequest) -> Result:
        properties = request.properties
        if "SecretString" in properties and "GenerateSecretString" in properties:
            raise ResourceFailed("You can't specify both SecretString and GenerateSecretString")
        suffix = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(12))
        call: dict[str, Any] = {
            "Name": str(properties.get("Name") or f"{request.logical_id}-{suffix}"),
            "SecretString": self._value(properties),
        }
        for name in ("Description", "KmsKeyId"):
            if name in properties:
                call[name] = str(properties[name])
        if properties.get("Tags"):
            call["Tags"] = [{"Key": str(t["Key"]), "Value": str(t["Value"])} for t in properties["Tags"]]
        try:
            arn = str(self.services.client("secretsmanager").create_secret(**call)["ARN"])
        except ClientError as error:
            raise ResourceFailed(error.response["Error"]["Message"]) from None
        return arn, {"Id": arn}

    def update(self, request: ResourceRequest, current: ResourceRecord) -> Result:
        old, new = current["properties"], request.properties
        if new.get("Name") != old.get("Name"):
            return self.create(request)  # a new secret; the cleanup deletes the old one
        arn = str(current["physical_id"])
        client = self.services.client("secretsmanager")
        try:
            described = ("Description", "KmsKeyId")
            changes = {name: str(new.get(name, "")) for name in described if new.get(name) != old.get(name)}
            if changes:
                client.update_secret(SecretId=arn, **changes)
            value_keys = ("SecretString", "GenerateSecretString")
            if any(new.get(name) != old.get(name) for name in value_keys):
                client.put_secret_value(SecretId=arn, SecretString=self._value(new))
            self._retag(arn, old.get("Tags") or [], new.get("Tags") or [])
        except ClientError as error:
            raise ResourceFailed(error.response["Error"]["Message"]) from None
        return arn, {"Id": arn}

    def delete(self, entry: ResourceRecord) -> None:
        try:
            self.services.client("secretsmanager").delete_secret(
                SecretId=entry["physical_id"], ForceDeleteWithoutRecovery=True
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ResourceNotFoundException":
                raise ResourceFailed(error.response["Error"]["Message"]) from None

    def _value(self, properties: dict[str, Any]) -> str:
        """SecretString, or the value GenerateSecretString asks for ("" when neither is given)."""
        if "SecretString" in properties:
            return str(properties["SecretString"])
        generate = properties.get("GenerateSecretString")
        if generate is None:
            return ""
        options = {name: generate[name] for name in PASSWORD_OPTIONS if name in generate}
        for name, value in options.items():
            if name == "PasswordLength":
                options[name] = int(value)
            elif name != "ExcludeCharacters":
                options[name] = str(value).lower() == "true"
        password = str(self.services.client("secretsmanager").get_random_password(**options)["RandomPassword"])
        if "SecretStringTemplate" not in generate:
            return password
        if "GenerateStringKey" not in generate:
            raise ResourceFailed("GenerateStringKey is required with SecretStringTemplate")
        return json.dumps({**json.loads(generate["SecretStringTemplate"]), generate["GenerateStringKey"]: password})

    def _retag(self, arn: str, old: list[dict[str, Any]], new: list[dict[str, Any]]) -> None:
        before = {str(t["Key"]): str(t["Value"]) for t in old}
        after = {str(t["Key"]): str(t["Value"]) for t in new}
        client = self.services.client("secretsmanager")
        if set(before) - set(after):
            client.untag_resource(SecretId=arn, TagKeys=sorted(set(before) - set(after)))
        changed = [{"Key": key, "Value": value} for key, value in after.items() if before.get(key) != value]
        if changed:
            client.tag_resource(SecretId=arn, Tags=changed)
