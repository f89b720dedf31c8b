"""Lambda's API on the endpoint, for the functions the stacks deploy: Invoke, GetFunction,
GetFunctionConfiguration and ListFunctions, in Lambda's REST-JSON shapes (botocore's model).

A function is found by its name, its ARN or a partial ARN, unqualified or `$LATEST`, and runs
through the stack engine's `Functions`, as its custom resources do: the same variables, timeout,
memory and warm environments, and its logs in its log group. Every other operation is answered
501 in Lambda's error shape, naming it, as the endpoint answers what it lacks. Payloads and
answers are never logged: they can hold a trackingId or a ResponseURL.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import logging
import re
import threading
from collections.abc import Callable
from typing import Any

from ..cloudformation.engine import StackEngine
from ..cloudformation.functions import DeployedFunction, Functions
from ..cloudformation.state import function_name_parts
from .http import AwsRequest, HttpResponse
from .protocols import error_response, operation_of, service_model, unsupported

LOG = logging.getLogger("localcloud.endpoint")

FUNCTION_PATH = re.compile(r"/2015-03-31/functions/(?P<name>[^/]+)(?:/.*)?")
INVOCATION_TYPES = ("Event", "RequestResponse", "DryRun")
LOG_TYPES = ("None", "Tail")
SYNC_PAYLOAD_LIMIT = 6 * 1024 * 1024  # Invoke's request and response, RequestResponse
ASYNC_PAYLOAD_LIMIT = 1024 * 1024  # an Event invocation's payload (256 KB until 2025)
TAIL_BYTES = 4096  # LogType=Tail: the last 4 KB of the invocation's log
DEFAULT_PAGE = 50  # ListFunctions without MaxItems
MAX_PAGE = 10_000


class LambdaError(Exception):
    """An answer in Lambda's error shape: HTTP status, code (x-amzn-ErrorType) and message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class LambdaService:
    """Lambda's REST-JSON API over the stack engine's functions (`engine()`, once it has started)."""

    def __init__(self, engine: Callable[[], StackEngine]) -> None:
        self._engine = engine
        self._functions: Functions | None = None
        self._operations: dict[str, Callable[[AwsRequest], HttpResponse]] = {
            "Invoke": self._invoke,
            "GetFunction": self._get_function,
            "GetFunctionConfiguration": self._get_function_configuration,
            "ListFunctions": self._list_functions,
            "GetEventSourceMapping": self._get_event_source_mapping,
            "ListEventSourceMappings": self._list_event_source_mappings,
        }

    @property
    def functions(self) -> Functions:
        if self._functions is None:
            engine = self._engine()
            self._functions = Functions(engine.state, engine.services, engine.settings, engine.responses)
        return self._functions

    def __call__(self, request: AwsRequest) -> HttpResponse:
        operation = operation_of(request)
        answer = self._operations.get(operation)
        if answer is None:
            LOG.warning("unsupported: lambda %s, answered 501", operation)
            return unsupported(request, f"lambda {operation}")
        try:
            return answer(request)
        except LambdaError as error:
            return error_response(request, error.status, error.code, error.message)

    # --- the operations ------------------------------------------------------------------------

    def _invoke(self, request: AwsRequest) -> HttpResponse:
        function = self._function(request)
        invocation_type = request.headers.get("x-amz-invocation-type", "RequestResponse")
        log_type = request.headers.get("x-amz-log-type", "None")
        _check_enum(invocation_type, "invocationType", INVOCATION_TYPES)
        _check_enum(log_type, "logType", LOG_TYPES)
        payload = _payload(request.body, invocation_type)
        if invocation_type == "DryRun":
            return HttpResponse(204)
        if function.refusal:
            raise LambdaError(502, "InvalidRuntimeException", function.refusal)
        if invocation_type == "Event":
            threading.Thread(
                target=self._run_async, args=(function, payload), name=f"lambda-event-{function.name}", daemon=True
            ).start()
            return HttpResponse(202)
        invocation = self.functions.invoke(function, payload)
        headers = {"Content-Type": "application/json", "X-Amz-Executed-Version": "$LATEST"}
        if invocation.status == "success":
            body = invocation.outcome.response or b""
        else:
            headers["X-Amz-Function-Error"] = "Unhandled"
            body = json.dumps(invocation.outcome.error or {}).encode()
        if log_type == "Tail":
            headers["X-Amz-Log-Result"] = base64.b64encode(invocation.output.encode()[-TAIL_BYTES:]).decode()
        return HttpResponse(200, body, headers)

    def _run_async(self, function: DeployedFunction, payload: bytes) -> None:
        try:
            self.functions.invoke_with_retries(function, payload)
        except Exception:  # the local cloud's own failure, after Invoke answered 202
            LOG.exception("lambda: the asynchronous invocation of %s failed in the local cloud", function.name)

    def _get_function(self, request: AwsRequest) -> HttpResponse:
        function = self._function(request)
        answer: dict[str, Any] = {
            "Configuration": function.configuration(),
            "Code": self.functions.code_location(function),
        }
        tags = {str(tag["Key"]): str(tag["Value"]) for tag in function.properties.get("Tags") or []}
        if tags:
            answer["Tags"] = tags
        return _json(answer)

    def _get_function_configuration(self, request: AwsRequest) -> HttpResponse:
        return _json(self._function(request).configuration())

    def _list_functions(self, request: AwsRequest) -> HttpResponse:
        query = request.query_parameters()
        page = _max_items(query.get("MaxItems"))
        everything = self.functions.all()
        start = 0
        if query.get("Marker"):
            after = _marker_name(query["Marker"])
            start = next((index for index, f in enumerate(everything) if f.name > after), len(everything))
        functions = everything[start : start + page]
        answer: dict[str, Any] = {"Functions": [function.configuration() for function in functions]}
        if start + page < len(everything):
            answer["NextMarker"] = base64.urlsafe_b64encode(functions[-1].name.encode()).decode()
        return _json(answer)

    def _get_event_source_mapping(self, request: AwsRequest) -> HttpResponse:
        wanted = request.path.rstrip("/").rpartition("/")[2]
        sources = self._engine().event_sources
        for mapping in sources.mappings():
            if mapping["physical_id"] == wanted:
                return _json(sources.configuration(mapping))
        raise LambdaError(404, "ResourceNotFoundException", "The resource you requested does not exist.")

    def _list_event_source_mappings(self, request: AwsRequest) -> HttpResponse:
        """Every mapping of the stacks (one page), of a source and a function when the query names them."""
        query, sources = request.query_parameters(), self._engine().event_sources
        function = self.functions.find(query["FunctionName"]) if query.get("FunctionName") else None
        found = [sources.configuration(mapping) for mapping in sources.mappings()]
        if query.get("EventSourceArn"):
            found = [mapping for mapping in found if mapping["EventSourceArn"] == query["EventSourceArn"]]
        if query.get("FunctionName"):
            arn = function.arn if function is not None else ""
            found = [mapping for mapping in found if mapping["FunctionArn"] == arn]
        return _json({"EventSourceMappings": sorted(found, key=lambda mapping: str(mapping["UUID"]))})

    # --- what every operation on one function reads --------------------------------------------

    def _function(self, request: AwsRequest) -> DeployedFunction:
        """The function the request names (path, then `Qualifier`), or Lambda's error for it."""
        match = FUNCTION_PATH.fullmatch(request.path)
        given = match["name"] if match else ""
        parts = function_name_parts(given)
        if parts is None or len(given) > 256:
            constraint = f"Member must satisfy regular expression pattern: {_function_name_pattern()}"
            raise _validation_error(given, "functionName", constraint)
        qualifier = request.query_parameters().get("Qualifier", "")
        if qualifier and parts.qualifier and qualifier != parts.qualifier:
            raise LambdaError(
                400,
                "InvalidParameterValueException",
                "The derived qualifier from the function name does not match the specified qualifier.",
            )
        qualifier = qualifier or parts.qualifier
        functions = self.functions
        region = parts.region or request.region or functions.region
        arn = f"arn:aws:lambda:{region}:{parts.account or functions.account}:function:{parts.name}"
        found = functions.find(given) if region == functions.region else None
        if found is None or qualifier not in ("", "$LATEST"):
            qualified = f"{arn}:{qualifier}" if qualifier else arn
            raise LambdaError(404, "ResourceNotFoundException", f"Function not found: {qualified}")
        return found


@functools.cache
def _function_name_pattern() -> str:
    """Lambda's pattern for a FunctionName, as botocore's model (and Lambda's message) spells it."""
    model = service_model("lambda")
    return str(model.shape_for("NamespacedFunctionName").metadata["pattern"]) if model is not None else ""


def _json(answer: dict[str, Any]) -> HttpResponse:
    return HttpResponse(200, json.dumps(answer).encode(), {"Content-Type": "application/json"})


def _validation_error(value: str, field: str, constraint: str) -> LambdaError:
    message = f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: {constraint}"
    return LambdaError(400, "ValidationException", message)


def _check_enum(value: str, field: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise _validation_error(value, field, f"Member must satisfy enum value set: [{', '.join(allowed)}]")


def _payload(body: bytes, invocation_type: str) -> bytes:
    """The event, checked as Lambda checks it: within its size, and JSON (none is `{}`)."""
    limit, operation = (
        (ASYNC_PAYLOAD_LIMIT, "InvokeAsync") if invocation_type == "Event" else (SYNC_PAYLOAD_LIMIT, "InvokeFunction")
    )
    if len(body) > limit:
        message = f"Request must be smaller than {limit} bytes for the {operation} operation"
        raise LambdaError(413, "RequestTooLargeException", message)
    if not body.strip():
        return b"{}"
    try:
        json.loads(body.decode("utf-8"))
    except UnicodeDecodeError as error:
        detail = f"Invalid UTF-8 start byte 0x{body[error.start]:02x}"
        raise _not_json(detail) from None
    except ValueError as error:
        raise _not_json(_jackson_words(body.decode("utf-8"), error)) from None
    return body


def _not_json(detail: str) -> LambdaError:
    return LambdaError(
        400,
        "InvalidRequestContentException",
        f"Could not parse request body into json: Could not parse payload into json: {detail}",
    )


def _jackson_words(text: str, error: ValueError) -> str:
    """What Lambda's parser (Jackson) says of the first thing that is not JSON."""
    position = getattr(error, "pos", 0)
    line, column = getattr(error, "lineno", 1), getattr(error, "colno", 1)
    where = f"line: {line}, column: {column}"
    if position >= len(text):
        return f"Unexpected end-of-input; {where}"
    token = re.match(r"[A-Za-z0-9_$]+", text[position:])
    if token is not None and text[position].isalpha():
        return (
            f"Unrecognized token '{token.group()}': was expecting (JSON String, Number, Array, Object or token "
            f"'null', 'true' or 'false'); {where}"
        )
    character = text[position]
    return f"Unexpected character ('{character}' (code {ord(character)})); {where}"


def _max_items(given: str | None) -> int:
    if given is None:
        return DEFAULT_PAGE
    try:
        value = int(given)
    except ValueError:
        raise LambdaError(400, "InvalidParameterValueException", f"Invalid MaxItems: {given}") from None
    if value < 1:
        raise _validation_error(given, "maxItems", "Member must have value greater than or equal to 1")
    if value > MAX_PAGE:
        raise _validation_error(given, "maxItems", f"Member must have value less than or equal to {MAX_PAGE}")
    return value


def _marker_name(marker: str) -> str:
    """The last function name of the page before (a marker is opaque to the caller)."""
    try:
        return base64.urlsafe_b64decode(marker.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise LambdaError(400, "InvalidParameterValueException", f"Invalid marker: {marker}") from None
