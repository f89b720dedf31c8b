"""Custom resources, invoked as CloudFormation and Lambda invoke them.

CloudFormation sends each request asynchronously to the provider function named by the
ServiceToken, with a ResponseURL, and waits for an answer there: no answer within the
ServiceTimeout is a failure. Lambda runs the function (`functions.py`, as its API does) and
retries a failed asynchronous invocation twice. These are kept apart from the native types: a
custom resource is never emulated, its own code runs.

Nothing waits for an answer that cannot come: when every attempt has failed (an Init error, a
crash, an exit, a timeout) and no answer is at the ResponseURL, the resource fails at once with
the function's error; a function whose runtime the local cloud cannot run fails it before any
attempt. An attempt that ended well without answering may have handed the answer on (to a queue,
another function), so the resource fails only after `Settings.unanswered_grace`, saying the
answer never reached the ResponseURL; CloudFormation would wait out the ServiceTimeout.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from .. import lambda_runtime
from ..statedir import StateFenced
from .errors import Cancelled, ResourceFailed
from .functions import DeployedFunction, Functions
from .resources import Result
from .response_server import ResponseServer
from .services import Services
from .settings import Settings
from .state import StackRecord, StackState

LOG = logging.getLogger(__name__)

CUSTOM_TYPES = ("AWS::CloudFormation::CustomResource",)
DEFAULT_SERVICE_TIMEOUT = 3600.0
ANSWERED_FUNCTION_GRACE_SECONDS = 30.0


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
    failure: str = ""  # why no attempt could be made, if none could
    ended_at: float = 0.0  # monotonic, once done

    @property
    def ended_unanswered_at(self) -> float | None:
        """When its last attempt ended, if one ended well (monotonic); None while it runs."""
        if not self.done.is_set() or not any(attempt.status == "success" for attempt in self.attempts):
            return None
        return self.ended_at

    @property
    def failed(self) -> bool:
        """Every attempt made, and none ended well: the function will not answer any more."""
        return self.done.is_set() and not any(attempt.status == "success" for attempt in self.attempts)


class CustomResources:
    """Sends custom resource requests and waits for their answers; keeps every invocation."""

    def __init__(self, state: StackState, responses: ResponseServer, settings: Settings, services: Services) -> None:
        self._state = state
        self._responses = responses
        self._settings = settings
        self.functions = Functions(state, services, settings, responses)
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
        function = self.functions.find(service_token)
        if function is None:
            raise ResourceFailed(f"ServiceToken {service_token} is not a function of the local cloud")
        if function.refusal:
            if request_type == "Delete":
                # Its Create could not run either, so it made nothing; a stack must be able to go.
                LOG.warning("%s: Delete not sent, %s cannot run here (%s)", logical_id, function.name, function.runtime)
                return physical_id or "", {}
            raise ResourceFailed(f"Failed to invoke the custom resource's function {function.name}. {function.refusal}")
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
        started = [self._start(function, logical_id, event) for _ in range(deliveries)]
        service_timeout = self._settings.service_timeout or float(
            properties.get("ServiceTimeout", DEFAULT_SERVICE_TIMEOUT)
        )
        deadline = time.monotonic() + service_timeout
        while True:
            # read before the wait: an answer sent by the last attempt is in before it ends
            failed = all(invocation.failed for invocation in started)
            answer = self._responses.wait_for_answer(event["ResponseURL"], timeout=0.05)
            if answer is not None:
                break
            if cancel.is_set():
                raise Cancelled(logical_id)
            if self._state.frozen:
                # The local cloud stopped: the operation stays in progress for the next start to
                # conclude. Waiting on would keep this thread, and any process that must join it
                # (Python joins the graph's pool threads at exit), until the ServiceTimeout.
                raise StateFenced(
                    f"{logical_id}: the local cloud stopped while its {request_type} waited for an answer"
                )
            if failed:
                raise ResourceFailed(no_answer_reason(function, event["RequestId"], started))
            ended = [invocation.ended_unanswered_at for invocation in started]
            if all(ended) and time.monotonic() - max(e or 0.0 for e in ended) > self._settings.unanswered_grace:
                raise ResourceFailed(unanswered_reason(function, event["RequestId"], self._settings.unanswered_grace))
            if time.monotonic() > deadline:
                raise ResourceFailed(f"no answer within ServiceTimeout ({service_timeout:g} s)")
        # A handler returns right after it answers: let its attempt end, and its lines reach the log
        # group, before the stack moves on. Otherwise a destroy deletes the log group while the last
        # lines are written (which loses them, or makes the group again), and a reader of the logs
        # finds them only later. Bounded: a function still busy after answering is not awaited.
        for invocation in started:
            invocation.done.wait(ANSWERED_FUNCTION_GRACE_SECONDS)
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

    def _start(self, function: DeployedFunction, logical_id: str, event: dict[str, Any]) -> Invocation:
        """The asynchronous invocation, in a thread: its attempts are written to the function's
        log group as they end (the CDK CLI shows them beside a failed custom resource)."""
        invocation = Invocation(logical_id, event["RequestType"], event["ResponseURL"])
        with self._state.lock:
            self.invocations.append(invocation)
        payload = json.dumps(event).encode()

        def run() -> None:
            try:
                self.functions.invoke_with_retries(function, payload, invocation.attempts.append)
            except lambda_runtime.EnvironmentsShutDown as error:  # the process ends: no failure to tell
                invocation.failure = str(error)
            except Exception as error:  # the local cloud's own failure: the resource fails with it
                LOG.exception("%s: the function %s could not be invoked", logical_id, function.name)
                invocation.failure = f"{type(error).__name__}: {error}"
            finally:
                invocation.ended_at = time.monotonic()
                invocation.done.set()

        threading.Thread(target=run, name=f"lambda-{logical_id}", daemon=True).start()
        return invocation

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


def no_answer_reason(function: DeployedFunction, request_id: str, invocations: list[Invocation]) -> str:
    """Why a custom resource failed when its function could not answer: the last attempt's error."""
    attempts = [attempt for invocation in invocations for attempt in invocation.attempts]
    if attempts:
        error = attempts[-1].outcome.error or {}
        what = f"{error.get('errorType', attempts[-1].status)}: {error.get('errorMessage', '')}".rstrip(": ")
        told = f"its function {function.name} failed {len(attempts)} attempts without answering ({what})"
    else:
        failures = "; ".join(invocation.failure for invocation in invocations if invocation.failure)
        told = f"its function {function.name} could not be invoked ({failures})"
    return (
        f"CloudFormation did not receive a response from your Custom Resource: {told}. "
        f"Please check your logs for requestId [{request_id}] in {function.log_group}"
    )


def unanswered_reason(function: DeployedFunction, request_id: str, grace: float) -> str:
    """Why a custom resource failed when its function ended well but its answer never arrived."""
    return (
        "CloudFormation did not receive a response from your Custom Resource: "
        f"its function {function.name} ended {grace:g} s ago without a response reaching the ResponseURL. "
        "A response must be PUT to the ResponseURL as given, its scheme, host and port included. "
        f"Please check your logs for requestId [{request_id}] in {function.log_group}"
    )
