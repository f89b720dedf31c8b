"""AWS Systems Manager Parameter Store, as much of it as stacks use: String parameters by name.

Written by `AWS::SSM::Parameter` resources and read by template parameters of type
`AWS::SSM::Parameter::Value<String>` when a stack deploys.

- `EndpointParameters`: Systems Manager itself, through boto3 at the endpoint (moto's SSM): what
  the CDK CLI, the handler and a user's inspection see. The stack engine uses it whenever it
  runs behind the endpoint.
- `ParameterStore`: a store of its own, in memory or in a file, for the engine driven directly
  with a cloud assembly (the fault matrix and the scale tests), where no endpoint runs.
"""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

# The local cloud stands for a bootstrapped environment: the CDK's bootstrap version parameter,
# which every template of the default synthesizer reads, answers with a recent version.
BOOTSTRAP_VERSION = re.compile(r"/cdk-bootstrap/[^/]+/version")
BOOTSTRAPPED_VERSION = "30"


class ParameterNotFound(KeyError):
    """No parameter has this name."""


class ParameterStore:
    def __init__(self, state_file: Path | None = None) -> None:
        self._lock = threading.Lock()
        self._state_file = state_file
        self._values: dict[str, str] = {}
        if state_file is not None and state_file.exists():
            self._values = json.loads(state_file.read_text())

    def put(self, name: str, value: str, *, parameter_type: str = "String", description: str = "") -> None:
        with self._lock:
            self._values[name] = value
            self._save()

    def get(self, name: str) -> str:
        with self._lock:
            if name not in self._values:
                if BOOTSTRAP_VERSION.fullmatch(name):
                    return BOOTSTRAPPED_VERSION
                raise ParameterNotFound(name)
            return self._values[name]

    def exists(self, name: str) -> bool:
        with self._lock:
            return name in self._values

    def delete(self, name: str) -> None:
        with self._lock:
            self._values.pop(name, None)
            self._save()

    def _save(self) -> None:
        if self._state_file is not None:
            self._state_file.parent.mkdir(parents=True, exist_ok=True)
            self._state_file.write_text(json.dumps(self._values, indent=1))


class EndpointParameters:
    """Parameters kept by Systems Manager at the endpoint, read and written with boto3."""

    def __init__(self, ssm_client: Any) -> None:
        self._client = ssm_client

    def put(self, name: str, value: str, *, parameter_type: str = "String", description: str = "") -> None:
        call: dict[str, Any] = {"Name": name, "Value": value, "Type": parameter_type, "Overwrite": True}
        if description:
            call["Description"] = description
        self._client.put_parameter(**call)

    def exists(self, name: str) -> bool:
        try:
            self.get(name)
        except ParameterNotFound:
            return False
        return True

    def get(self, name: str) -> str:
        try:
            return str(self._client.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"])
        except ClientError as error:
            if error.response["Error"]["Code"] in ("ParameterNotFound", "ValidationException"):
                raise ParameterNotFound(name) from None
            raise

    def delete(self, name: str) -> None:
        try:
            self._client.delete_parameter(Name=name)
        except ClientError as error:
            if error.response["Error"]["Code"] != "ParameterNotFound":
                raise
