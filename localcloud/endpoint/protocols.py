"""Each service's own wire protocol, from botocore's models: how it names operations, how it errs.

A client parses an error only in its service's shape: a query service's XML `ErrorResponse`,
a JSON service's `__type`, a REST-JSON service's `x-amzn-ErrorType` header, S3's `<Error>`. So an
operation the local cloud lacks is answered in that shape, and clients show a clean error
instead of a parse failure. The protocol is botocore's for the signing name when it has such a
service; otherwise it is read off the request (X-Amz-Target: JSON, an `Action`: query).
"""

from __future__ import annotations

import functools
import json
import re
import uuid
from dataclasses import dataclass
from xml.sax.saxutils import escape

import botocore.session
from botocore.exceptions import UnknownServiceError
from botocore.model import ServiceModel

from .http import AwsRequest, HttpResponse

_SESSION = botocore.session.get_session()


@functools.cache
def service_model(signing_name: str) -> ServiceModel | None:
    """botocore's model of the service signed as `signing_name`, when the names agree (most do)."""
    try:
        return _SESSION.get_service_model(signing_name)
    except UnknownServiceError:
        return None


def protocol_of(request: AwsRequest) -> str:
    """`query`, `ec2`, `json`, `rest-json` or `rest-xml`."""
    if "x-amz-target" in request.headers:
        return "json"
    model = service_model(request.service) if request.service else None
    if model is not None and model.protocol in ("query", "ec2", "json", "rest-json", "rest-xml"):
        return model.protocol
    if "Action" in request.form():
        return "query"
    if "json" in request.headers.get("content-type", ""):
        return "rest-json"
    return "rest-xml"


def operation_of(request: AwsRequest) -> str:
    """The operation's name (from the target, the action or the model's URIs), else METHOD /path."""
    target = request.headers.get("x-amz-target", "")
    if target:
        return target.rpartition(".")[2]
    action = request.form().get("Action")
    if action:
        return action
    model = service_model(request.service) if request.service else None
    if model is not None and model.protocol.startswith("rest-"):
        query = request.query_parameters()
        for route in _rest_routes(request.service):
            if route.matches(request, query):
                return route.operation
    return f"{request.method} {request.path}"


@dataclass(frozen=True)
class _Route:
    """A REST operation as a request shows it: method, path, and the headers and query keys it must carry."""

    operation: str
    method: str
    path: re.Pattern[str]
    query_keys: frozenset[str]
    header_names: frozenset[str]

    def matches(self, request: AwsRequest, query: dict[str, str]) -> bool:
        # SDK v3 names the operation in `x-id` where two share a path (PutObject, CopyObject)
        return (
            self.method == request.method
            and query.get("x-id", self.operation) == self.operation
            and self.query_keys <= query.keys()
            and self.header_names <= request.headers.keys()
            and self.path.fullmatch(request.path) is not None
        )


@functools.cache
def _rest_routes(signing_name: str) -> list[_Route]:
    """The service's operations, the most specific first (more required parts, more literal path)."""
    model = service_model(signing_name)
    assert model is not None
    routes = []
    for name in model.operation_names:
        operation = model.operation_model(name)
        path, _, literal_query = str(operation.http.get("requestUri", "/")).partition("?")
        pattern = re.sub(r"\\\{[^}]+\\\+\\\}", ".+", re.escape(path))  # {Key+}: greedy, slashes too
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", pattern)
        query_keys = {pair.split("=")[0] for pair in literal_query.split("&") if pair} - {"x-id"}
        header_names = set()
        shape = operation.input_shape
        for member in shape.required_members if shape is not None else []:
            serialization = shape.members[member].serialization if shape is not None else {}
            if serialization.get("location") == "header":
                header_names.add(str(serialization.get("name", member)).lower())
            elif serialization.get("location") == "querystring":
                query_keys.add(str(serialization.get("name", member)))
        routes.append(
            _Route(
                name,
                str(operation.http.get("method", "POST")),
                re.compile(pattern + "/?"),
                frozenset(query_keys),
                frozenset(header_names),
            )
        )
    literal = re.compile(r"\[\^/\]\+|\.\+")
    routes.sort(key=lambda r: (-(len(r.query_keys) + len(r.header_names)), -len(literal.sub("", r.path.pattern))))
    return routes


def error_response(request: AwsRequest, status: int, code: str, message: str) -> HttpResponse:
    """`code` and `message` in the request's service's own error shape."""
    request_id = str(uuid.uuid4())
    headers = {"x-amzn-RequestId": request_id}
    protocol = protocol_of(request)
    if protocol in ("json", "rest-json"):
        content_type = "application/x-amz-json-1.1" if protocol == "json" else "application/json"
        body = json.dumps({"__type": code, "message": message}).encode()
        return HttpResponse(status, body, {**headers, "Content-Type": content_type, "x-amzn-ErrorType": code})
    code_xml, message_xml = escape(code), escape(message)
    if protocol == "ec2":
        xml = (
            f"<Response><Errors><Error><Code>{code_xml}</Code><Message>{message_xml}</Message></Error></Errors>"
            f"<RequestID>{request_id}</RequestID></Response>"
        )
    elif request.service == "s3":
        xml = (
            f"<Error><Code>{code_xml}</Code><Message>{message_xml}</Message><RequestId>{request_id}</RequestId></Error>"
        )
    else:
        kind = "Receiver" if status >= 500 and status != 501 else "Sender"
        xml = (
            f"<ErrorResponse><Error><Type>{kind}</Type><Code>{code_xml}</Code><Message>{message_xml}</Message>"
            f"</Error><RequestId>{request_id}</RequestId></ErrorResponse>"
        )
    return HttpResponse(status, xml.encode(), {**headers, "Content-Type": "text/xml"})


# What "this operation is not here" is called in each protocol, as AWS calls it.
UNSUPPORTED_CODES = {
    "query": "InvalidAction",
    "ec2": "InvalidAction",
    "json": "UnknownOperationException",
    "rest-json": "UnknownOperationException",
    "rest-xml": "NotImplemented",
}


def unsupported(request: AwsRequest, what: str) -> HttpResponse:
    """HTTP 501 (not retried by the SDKs) in the service's shape: the local cloud lacks `what`."""
    code = UNSUPPORTED_CODES[protocol_of(request)]
    return error_response(request, 501, code, f"{what} is not emulated by the local cloud")


def missing_authentication(request: AwsRequest) -> HttpResponse:
    """HTTP 403 for a request that carries no SigV4 credential scope, so no service to route to."""
    protocol = protocol_of(request)
    code = "MissingAuthenticationToken" if protocol in ("query", "ec2") else "MissingAuthenticationTokenException"
    message = (
        "Request is missing Authentication Token: the local cloud routes each request by the service in its "
        "SigV4 credential scope (Authorization: AWS4-HMAC-SHA256 Credential=<key>/<date>/<region>/<service>/...)"
    )
    return error_response(request, 403, code, message)
