"""Custom resources, invoked as CloudFormation and Lambda invoke them.

CloudFormation sends each request asynchronously to the provider function named by the
ServiceToken, with a ResponseURL, and waits for an answer there: no answer within the
ServiceTimeout is a failure. Lambda runs the function's bundled asset and retries a failed
asynchronous invocation twice. These are kept apart from the native types: a custom resource
is never emulated, its own code runs.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import lambda_runtime
from .errors import Cancelled, ResourceFailed
from .resources import ASSET_ATTRIBUTE, Result
from .response_server import ResponseServer
from .services import Services
from .settings import Settings
from .state import ResourceRecord, StackRecord, StackState

CUSTOM_TYPES = ("AWS::CloudFormation::CustomResource",)
DEFAULT_SERVICE_TIMEOUT = 3600.0
LAMBDA_ASYNC_RETRIES = 2  # Lambda retries a failed asynchronous invocation twice


def is_custom(resource_type: str) -> bool:
    return resource_type in CUSTOM_TYPES or resource_type.startswith("Custom::")


@dataclass
class Invocation:
    """One request to a custom resource, as CloudFormation sent it, and what Lambda did with it."""

    logical_id: str
    request_type: str
    response_url: str
    attempts: list[lambda_runtime.Invocation] = field(default_factory=list)
    done: threading.Event = field(default_factory=threading.Event)


class CustomResources:
    """Sends custom resource requests and waits for their answers; keeps every invocation."""

    def __init__(self, state: StackState, responses: ResponseServer, settings: Settings, services: Services) -> None:
        self._state = state
        self._responses = responses
        self._settings = settings
        self._services = services
        self.invocations: list[Invocation] = []

    def create(
        self, record: StackRecord, logical_id: str, properties: dict[str, Any], cancel: threading.Event
    ) -> Result:
        if self._settings.duplicate_creates:
            # The same request delivered twice at once: CloudFormation keeps the first answer.
            return self.invoke(record, logical_id, "Create", properties, cancel, deliveries=2)
        return self.invoke(record, logical_id, "Create", properties, cancel)

    def invoke(
        self,
        record: StackRecord,
        logical_id: str,
        request_type: str,
        properties: dict[str, Any],
        cancel: threading.Event,
        *,
        physical_id: str | None = None,
        old_properties: dict[str, Any] | None = None,
        deliveries: int = 1,
    ) -> Result:
        """Send one request the way CloudFormation does and wait for its answer at the ResponseURL."""
        service_token = str(properties.get("ServiceToken", ""))
        function = self._state.function(service_token)
        if function is None:
            raise ResourceFailed(f"ServiceToken {service_token} is not a function of the local cloud")
        event: dict[str, Any] = {
            "RequestType": request_type,
            "ServiceToken": properties["ServiceToken"],
            "StackId": record["stack_id"],
            "RequestId": str(uuid.uuid4()),
            "LogicalResourceId": logical_id,
            "ResourceType": record["template"]["Resources"].get(logical_id, {}).get("Type", "Custom::Resource"),
            "ResourceProperties": properties,
        }
        if physical_id is not None:
            event["PhysicalResourceId"] = physical_id
        if old_properties is not None:
            event["OldResourceProperties"] = old_properties
        event["ResponseURL"] = self._responses.url_for(event)
        for _ in range(deliveries):
            self._start(function, logical_id, event)
        service_timeout = self._settings.service_timeout or float(
            properties.get("ServiceTimeout", DEFAULT_SERVICE_TIMEOUT)
        )
        deadline = time.monotonic() + service_timeout
        while True:
            answer = self._responses.wait_for_answer(event["ResponseURL"], timeout=0.05)
            if answer is not None:
                break
            if cancel.is_set():
                raise Cancelled(logical_id)
            if time.monotonic() > deadline:
                raise ResourceFailed(f"no answer within ServiceTimeout ({service_timeout:g} s)")
        if answer.problems:
            raise ResourceFailed("invalid answer: " + "; ".join(answer.problems))
        body = answer.body
        if body["Status"] != "SUCCESS":
            # CloudFormation's words around the handler's reason, as the stack event shows them
            reason = (
                f"Received response status [FAILED] from custom resource. Message returned: {body.get('Reason', '')} "
                f"(RequestId: {event['RequestId']})"
            )
            raise ResourceFailed(reason, physical_id=str(body.get("PhysicalResourceId", "")))
        return str(body["PhysicalResourceId"]), dict(body.get("Data") or {})

    def _start(self, function: ResourceRecord, logical_id: str, event: dict[str, Any]) -> Invocation:
        invocation = Invocation(logical_id, event["RequestType"], event["ResponseURL"])
        with self._state.lock:
            self.invocations.append(invocation)
        properties = function["properties"]
        timeout = self._settings.function_timeout or float(properties.get("Timeout", 3))
        # The function's own variables, then what points it at the local services with test keys;
        # nothing of this process's environment (no AWS_PROFILE, no real keys) reaches it.
        environment = {
            **{k: str(v) for k, v in properties.get("Environment", {}).get("Variables", {}).items()},
            **self._services.function_environment(),
            "SSL_CERT_FILE": str(self._responses.certificate_file),
        }

        def run() -> None:
            try:
                for _attempt in range(1 + LAMBDA_ASYNC_RETRIES):
                    result = lambda_runtime.invoke(
                        Path(function["attributes"][ASSET_ATTRIBUTE]),
                        event,
                        handler=str(properties.get("Handler", "index.handler")),
                        timeout_seconds=timeout,
                        environment=environment,
                        region=self._settings.region,
                        function_name=str(function.get("physical_id") or "provider"),
                        memory_mb=int(properties.get("MemorySize", 128)),
                        log_group=str((properties.get("LoggingConfig") or {}).get("LogGroup") or ""),
                    )
                    invocation.attempts.append(result)
                    self._write_logs(function, result)
                    if result.status == "success":
                        return
                    # An error or a timeout: Lambda retries the asynchronous invocation.
                    time.sleep(self._settings.lambda_retry_delay)
            finally:
                invocation.done.set()

        threading.Thread(target=run, name=f"lambda-{logical_id}", daemon=True).start()
        return invocation

    def _write_logs(self, function: ResourceRecord, invocation: lambda_runtime.Invocation) -> None:
        """One invocation's lines in the function's log group, as Lambda writes them (the CDK CLI
        shows them beside a failed custom resource)."""
        group = lambda_runtime.log_group_of(function["physical_id"], function["properties"].get("LoggingConfig"))
        lambda_runtime.write_to_cloudwatch(self._services.client("logs"), group, invocation.outcome)

    def wait_for_invocations(self, timeout: float = 120) -> None:
        """Wait until every Lambda invocation started has ended (cancelled ones go on running)."""
        deadline = time.monotonic() + timeout
        for invocation in list(self.invocations):
            invocation.done.wait(max(0.0, deadline - time.monotonic()))

    def unanswered(self) -> list[Invocation]:
        """Invocations whose request never got a valid answer at its ResponseURL."""
        return [
            invocation
            for invocation in self.invocations
            if not any(not answer.problems for answer in self._responses.answers_to(invocation.response_url))
        ]
