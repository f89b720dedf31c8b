"""The one seam between the stack engine and the services it deploys into: the local endpoint.

Whether a test drives the engine in process or `python -m localcloud serve` runs it behind the
endpoint, the engine reaches every service the same way: boto3 clients at the endpoint's URL,
with test keys. S3, IAM, SSM, Logs and ECR are moto's; Personalize is ours, with whatever clock,
gates and faults the endpoint was given. So no resource type knows how the engine was started,
and what a test sees (`aws iam get-role`, an SSM parameter, a dataset group) is what a user sees.
"""

from __future__ import annotations

import threading
from typing import Any

from botocore.exceptions import ClientError

from ..local_env import ACCOUNT, REGION, TEST_KEYS, local_client

# boto3's standard retries: a stack operation's threads ride out the endpoint's own throttling
# (Personalize's rate limits) the way CloudFormation's service calls do.
ATTEMPTS = 5
PERSONALIZE_ATTEMPTS = 10


class ParameterNotFound(KeyError):
    """No SSM parameter has this name."""


class Services:
    """The services at `endpoint_url`, one shared client per service, for the threads of every
    stack operation; the account, the region, and what a function needs to reach them."""

    def __init__(self, endpoint_url: str, region: str = REGION, account: str = ACCOUNT) -> None:
        self.endpoint_url = endpoint_url
        self.region = region
        self.account = account
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    def client(self, service: str) -> Any:
        with self._lock:
            if service not in self._clients:
                attempts = PERSONALIZE_ATTEMPTS if service == "personalize" else ATTEMPTS
                self._clients[service] = local_client(service, self.endpoint_url, region=self.region, attempts=attempts)
            return self._clients[service]

    def function_environment(self) -> dict[str, str]:
        """What a function's boto3 needs to reach these services, and only these: the endpoint
        and test keys (the function gets nothing of this process's environment)."""
        return {"AWS_ENDPOINT_URL": self.endpoint_url, **TEST_KEYS}

    # --- Systems Manager's Parameter Store, as stacks use it ------------------------------------
    # Written by AWS::SSM::Parameter, read by template parameters of type
    # AWS::SSM::Parameter::Value<String> (the CDK's bootstrap version among them).

    def put_parameter(self, name: str, value: str, *, parameter_type: str = "String", description: str = "") -> None:
        call: dict[str, Any] = {"Name": name, "Value": value, "Type": parameter_type, "Overwrite": True}
        if description:
            call["Description"] = description
        self.client("ssm").put_parameter(**call)

    def parameter(self, name: str) -> str:
        """The parameter's value; ParameterNotFound when there is none."""
        try:
            return str(self.client("ssm").get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"])
        except ClientError as error:
            if error.response["Error"]["Code"] in ("ParameterNotFound", "ValidationException"):
                raise ParameterNotFound(name) from None
            raise

    def parameter_exists(self, name: str) -> bool:
        try:
            self.parameter(name)
        except ParameterNotFound:
            return False
        return True

    def delete_parameter(self, name: str) -> None:
        try:
            self.client("ssm").delete_parameter(Name=name)
        except ClientError as error:
            if error.response["Error"]["Code"] != "ParameterNotFound":
                raise
