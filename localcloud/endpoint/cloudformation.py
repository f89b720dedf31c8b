"""CloudFormation on the endpoint: the query protocol decoded, handed to the stack engine's API.

The engine's API (`localcloud/cloudformation/api.py`, `CloudFormationApi`) is written apart;
`cloudformation_api()` is the one place that chooses it, and until it exists a stub answers.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Protocol
from xml.sax.saxutils import escape

from ..cloudformation.settings import Settings
from .http import AwsRequest, HttpResponse

LOG = logging.getLogger("localcloud.endpoint")

API_MODULE = "localcloud.cloudformation.api"


class QueryApi(Protocol):
    """What the endpoint needs of a CloudFormation: the decoded form in, (HTTP status, XML) out."""

    def handle(self, params: Mapping[str, str]) -> tuple[int, bytes]: ...
    def start(self) -> None: ...
    def stop(self) -> None: ...


CloudFormationFactory = Callable[[str, Path | None, Settings | None], QueryApi]


def cloudformation_api(endpoint_url: str, state_dir: Path | None, settings: Settings | None) -> QueryApi:
    """The stack engine's API when it is there, else `StubCloudFormation`."""
    if importlib.util.find_spec(API_MODULE) is None:
        return StubCloudFormation()
    api: QueryApi = importlib.import_module(API_MODULE).CloudFormationApi(endpoint_url, state_dir, settings)
    return api


def query_error(status: int, code: str, message: str) -> tuple[int, bytes]:
    """The query protocol's error: `ErrorResponse/Error/{Type, Code, Message}` and a RequestId."""
    xml = (
        f"<ErrorResponse><Error><Type>Sender</Type><Code>{escape(code)}</Code><Message>{escape(message)}</Message>"
        f"</Error><RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>"
    )
    return status, xml.encode()


class StubCloudFormation:
    """No stacks, and nothing else: DescribeStacks finds no stack (the CLI's "not deployed yet"),
    every other action is not emulated (501)."""

    def handle(self, params: Mapping[str, str]) -> tuple[int, bytes]:
        action = params.get("Action", "")
        if action == "DescribeStacks" and params.get("StackName"):
            return query_error(400, "ValidationError", f"Stack with id {params['StackName']} does not exist")
        LOG.warning("unsupported: cloudformation %s (stub), answered 501", action)
        return query_error(501, "InvalidAction", f"cloudformation {action} is not emulated by the local cloud yet")

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass


class CloudFormationService:
    """The endpoint's handler for `cloudformation`: form parameters in, `text/xml` out."""

    def __init__(self, api: QueryApi) -> None:
        self.api = api

    def __call__(self, request: AwsRequest) -> HttpResponse:
        status, body = self.api.handle(request.form())
        return HttpResponse(status, body, {"Content-Type": "text/xml", "x-amzn-RequestId": str(uuid.uuid4())})
