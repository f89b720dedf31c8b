"""The functions stacks deploy, invoked from one place, as Lambda invokes them.

Lambda's API (`endpoint/lambda_api.py`) and custom resources (`custom_resources.py`) both run a
function through `Functions`, so what the function sees cannot drift between them: its code
directory, handler, runtime, timeout and memory from its record, its own variables, then what
points it at the local cloud and only there (the endpoint, test keys, the certificate of the
ResponseURL, whose server also stands for loopback's port 443), and nothing of this process's
environment. Each invocation runs in the process's
warm environments (`lambda_runtime`), and its lines, failed ones too, go to the function's log
group. An asynchronous invocation is retried twice after a failure, as Lambda retries it.
"""

from __future__ import annotations

import base64
import datetime
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import lambda_runtime
from .resources.lambda_function import (
    ASSET_ATTRIBUTE,
    CODE_SHA256_ATTRIBUTE,
    CODE_SIZE_ATTRIBUTE,
    LAST_MODIFIED_ATTRIBUTE,
)
from .response_server import ResponseServer
from .services import Services
from .settings import Settings
from .state import ResourceRecord, StackState

LOG = logging.getLogger(__name__)

LAMBDA_ASYNC_RETRIES = 2  # Lambda retries a failed asynchronous invocation twice
# Lambda's own words for InvalidRuntimeException (botocore's model)
RUNTIME_NOT_SUPPORTED = "The runtime or runtime version specified is not supported"


@dataclass(frozen=True)
class DeployedFunction:
    """One AWS::Lambda::Function of a stack, read from its record."""

    record: ResourceRecord

    @property
    def name(self) -> str:
        return str(self.record["physical_id"])

    @property
    def arn(self) -> str:
        return str(self.record["attributes"]["Arn"])

    @property
    def properties(self) -> dict[str, Any]:
        return self.record["properties"]

    @property
    def package_type(self) -> str:
        return str(self.properties.get("PackageType") or "Zip")

    @property
    def runtime(self) -> str:
        """Its `Runtime`; a zip function whose template names none is taken for the one that runs here."""
        if self.package_type == "Image":
            return ""
        return str(self.properties.get("Runtime") or lambda_runtime.RUNTIME)

    @property
    def refusal(self) -> str:
        """Why the local cloud cannot run it, in InvalidRuntimeException's words; empty when it can."""
        here = f"{RUNTIME_NOT_SUPPORTED}: the local cloud runs python3.x and nodejs18.x to nodejs24.x functions only"
        if self.package_type == "Image":
            return f"{here}, and {self.name} is a container image"
        if not lambda_runtime.supports(self.runtime):
            return f"{here}, and {self.name}'s runtime is {self.runtime}"
        return ""

    @property
    def handler(self) -> str:
        return str(self.properties.get("Handler", "index.handler"))

    @property
    def timeout(self) -> int:
        return int(float(self.properties.get("Timeout", 3)))

    @property
    def memory(self) -> int:
        return int(float(self.properties.get("MemorySize", 128)))

    @property
    def variables(self) -> dict[str, str]:
        """Its own environment variables (`Environment.Variables`)."""
        return {str(k): str(v) for k, v in (self.properties.get("Environment") or {}).get("Variables", {}).items()}

    @property
    def log_group(self) -> str:
        return lambda_runtime.log_group_of(self.name, self.properties.get("LoggingConfig"))

    @property
    def code_dir(self) -> Path:
        return Path(self.record["attributes"][ASSET_ATTRIBUTE])

    def configuration(self) -> dict[str, Any]:
        """What GetFunctionConfiguration and ListFunctions show of it (Lambda's FunctionConfiguration)."""
        properties, attributes = self.properties, self.record["attributes"]
        sha256, size = self._code_digest()
        modified = float(attributes.get(LAST_MODIFIED_ATTRIBUTE) or _mtime(self.code_dir))
        configuration: dict[str, Any] = {
            "FunctionName": self.name,
            "FunctionArn": self.arn,
            "Role": str(properties.get("Role", "")),
            "CodeSize": size,
            "Description": str(properties.get("Description", "")),
            "Timeout": self.timeout,
            "MemorySize": self.memory,
            "LastModified": lambda_time(modified),
            "CodeSha256": sha256,
            "Version": "$LATEST",
            "TracingConfig": {"Mode": str((properties.get("TracingConfig") or {}).get("Mode", "PassThrough"))},
            "RevisionId": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{self.arn}#{sha256}#{modified}")),
            "State": "Active",
            "LastUpdateStatus": "Successful",
            "PackageType": self.package_type,
            "Architectures": list(properties.get("Architectures") or ["x86_64"]),
            "EphemeralStorage": {"Size": int((properties.get("EphemeralStorage") or {}).get("Size", 512))},
            "SnapStart": {"ApplyOn": "None", "OptimizationStatus": "Off"},
            "LoggingConfig": {
                "LogFormat": "Text",
                **(properties.get("LoggingConfig") or {}),
                "LogGroup": self.log_group,
            },
        }
        if self.package_type == "Zip":
            configuration["Runtime"] = self.runtime
            configuration["Handler"] = self.handler
        if self.variables:
            configuration["Environment"] = {"Variables": self.variables}
        if properties.get("Layers"):
            configuration["Layers"] = [{"Arn": str(arn), "CodeSize": 0} for arn in properties["Layers"]]
        return configuration

    def _code_digest(self) -> tuple[str, int]:
        """Its zip's SHA-256 (base64) and size; for a record from before they were kept, the digest
        its code directory is named by, and the size of what is in it."""
        attributes = self.record["attributes"]
        if CODE_SHA256_ATTRIBUTE in attributes:
            return str(attributes[CODE_SHA256_ATTRIBUTE]), int(attributes.get(CODE_SIZE_ATTRIBUTE, 0))
        try:
            digest = base64.b64encode(bytes.fromhex(self.code_dir.name)).decode()
        except ValueError:
            digest = ""
        size = sum(path.stat().st_size for path in self.code_dir.rglob("*") if path.is_file())
        return digest, size


def lambda_time(epoch: float) -> str:
    """A time as Lambda writes LastModified: `2024-05-01T12:34:56.789+0000`."""
    moment = datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


class Functions:
    """Every function the stacks deploy, found as Lambda finds them, and run as Lambda runs them."""

    def __init__(self, state: StackState, services: Services, settings: Settings, responses: ResponseServer) -> None:
        self._state = state
        self._services = services
        self._settings = settings
        self._responses = responses

    @property
    def region(self) -> str:
        return self._settings.region

    @property
    def account(self) -> str:
        return self._settings.account

    def find(self, name_or_arn: str) -> DeployedFunction | None:
        """The function Lambda would find by this FunctionName (a name, an ARN, a partial ARN)."""
        record = self._state.function(name_or_arn)
        return DeployedFunction(record) if record is not None else None

    def all(self) -> list[DeployedFunction]:
        """Every function, by name."""
        return sorted((DeployedFunction(record) for record in self._state.functions()), key=lambda f: f.name)

    def code_location(self, function: DeployedFunction) -> dict[str, Any]:
        """GetFunction's `Code`: for code in S3, a pre-signed URL that downloads its zip, as Lambda's does."""
        code = function.properties.get("Code") or {}
        if function.package_type == "Image":
            return {"RepositoryType": "ECR", "ImageUri": str(code.get("ImageUri", ""))}
        location: dict[str, Any] = {"RepositoryType": "S3"}
        if "S3Bucket" in code:
            params = {"Bucket": code["S3Bucket"], "Key": code.get("S3Key", "")}
            location["Location"] = self._services.client("s3").generate_presigned_url(
                "get_object", Params=params, ExpiresIn=600
            )
        return location

    def variables(self, function: DeployedFunction) -> dict[str, str]:
        """What the function's process gets besides Lambda's own variables: its variables, then
        what points its SDK at the local cloud with test keys, and the ResponseURL's certificate."""
        return {
            **function.variables,
            **self._services.function_environment(),
            "SSL_CERT_FILE": str(self._responses.certificate_file),
        }

    def invoke(self, function: DeployedFunction, payload: bytes) -> lambda_runtime.Invocation:
        """One invocation (a synchronous one, or one attempt of an asynchronous one) to its end, its
        lines written to the function's log group. UnsupportedRuntime when the local cloud cannot
        run it (`function.refusal` says why)."""
        invocation = lambda_runtime.invoke(
            function.code_dir,
            payload,
            handler=function.handler,
            timeout_seconds=self._settings.function_timeout or function.timeout,
            environment=self.variables(function),
            region=self._settings.region,
            function_name=function.name,
            memory_mb=function.memory,
            log_group=str((function.properties.get("LoggingConfig") or {}).get("LogGroup") or ""),
            runtime=function.runtime,
            # aws-cdk-lib's Node.js handlers send their answer with https.request({hostname, path}),
            # which drops the ResponseURL's port: port 443 on loopback is the ResponseURL's server
            loopback_443_port=self._responses.port,
        )
        lambda_runtime.write_to_cloudwatch(self._services.client("logs"), function.log_group, invocation.outcome)
        return invocation

    def invoke_with_retries(
        self,
        function: DeployedFunction,
        payload: bytes,
        on_attempt: Callable[[lambda_runtime.Invocation], None] | None = None,
    ) -> list[lambda_runtime.Invocation]:
        """An asynchronous invocation, in the caller's thread: the first attempt and, while each
        fails (an error, an exit, a timeout), up to two retries; each attempt handed to
        `on_attempt` as it ends."""
        attempts: list[lambda_runtime.Invocation] = []
        for number in range(1 + LAMBDA_ASYNC_RETRIES):
            if number:
                time.sleep(self._settings.lambda_retry_delay)
            attempt = self.invoke(function, payload)
            attempts.append(attempt)
            if on_attempt is not None:
                on_attempt(attempt)
            if attempt.status == "success":
                break
        else:
            error = attempts[-1].outcome.error or {}
            LOG.warning(
                "lambda: the asynchronous invocation of %s failed %d times (%s); Lambda drops it",
                function.name,
                len(attempts),
                error.get("errorType", attempts[-1].status),
            )
        return attempts
