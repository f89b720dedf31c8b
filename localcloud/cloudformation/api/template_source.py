"""The template a request names: its TemplateBody, the object at its TemplateURL, or the stack's
previous one (UsePreviousTemplate), parsed; and `checked_template`, the one way CreateChangeSet,
CreateStack and UpdateStack check it and settle its parameters.

A TemplateURL is read from the endpoint's S3, whether it is the endpoint's own path-style URL or
one of AWS's S3 URLs, as the CDK CLI hands either. A template whose resources cannot run is
refused as CloudFormation refuses it, before anything is made (`refuse_unrunnable`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from ..engine import StackEngine
from ..graph import TemplateRefused, check_template
from ..parameters import ParameterError, Settled
from ..query import validation_error
from ..resources import emulated_types
from ..state import NOT_DEPLOYED, StackRecord
from ..templates import TemplateFormatError, parse_template, s3_location
from .capabilities import check_capabilities
from .records import submitted_body


def requested_template(
    engine: StackEngine, endpoint_url: str, request: dict[str, Any], record: StackRecord | None
) -> tuple[dict[str, Any], str]:
    """The template and its body as submitted; a ValidationError when there is none, or it is not one."""
    if request.get("UsePreviousTemplate"):
        if record is None or record.get("status") in NOT_DEPLOYED:
            raise validation_error("UsePreviousTemplate can only be used with an existing stack")
        body = submitted_body(record)
    elif request.get("TemplateBody"):
        body = request["TemplateBody"]
    elif request.get("TemplateURL"):
        body = _fetch(engine, endpoint_url, request["TemplateURL"])
    else:
        raise validation_error("Either Template URL or Template Body must be specified.")
    try:
        return parse_template(body), body
    except TemplateFormatError as error:
        raise validation_error(str(error)) from None


@dataclass(frozen=True)
class CheckedTemplate:
    """A request's template, checked as CloudFormation checks it, and its parameters settled:
    what a change set, CreateStack or UpdateStack deploys."""

    template: dict[str, Any]
    body: str  # as submitted, for GetTemplate
    settled: Settled


def checked_template(
    engine: StackEngine, endpoint_url: str, request: dict[str, Any], record: StackRecord | None, stack_name: str
) -> CheckedTemplate:
    """The template the request names, refused as CloudFormation refuses it (not a template, one
    that cannot run, capabilities not granted, parameters that do not settle, a Rule that fails)."""
    template, body = requested_template(engine, endpoint_url, request, record)
    refuse_unrunnable(template)
    check_capabilities(template, request.get("Capabilities", []))
    given: dict[str, str | None] = {}
    for parameter in request.get("Parameters", []):
        key = parameter.get("ParameterKey", "")
        given[key] = None if parameter.get("UsePreviousValue") else parameter.get("ParameterValue", "")
    try:
        settled = engine.settle(stack_name, template, given)
    except ParameterError as error:
        raise validation_error(str(error)) from None
    return CheckedTemplate(template, body, settled)


def refuse_unrunnable(template: dict[str, Any]) -> None:
    """CloudFormation's ValidationError for a template it would not start: an unrecognized type,
    one the local cloud does not emulate, an unresolved reference, resources that depend on each
    other in a circle."""
    try:
        check_template(template, emulated_types())
    except TemplateRefused as error:
        raise validation_error(str(error)) from None


def _fetch(engine: StackEngine, endpoint_url: str, url: str) -> str:
    try:
        bucket, key = s3_location(url, endpoint_url)
    except ValueError as error:
        raise validation_error(str(error)) from None
    s3 = engine.services.client("s3")
    try:
        return str(s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8"))
    except ClientError as error:
        code = error.response["Error"]["Code"]
        raise validation_error(f"S3 error: Unable to get object {key} from bucket {bucket}: {code}") from None
    except UnicodeDecodeError:
        raise validation_error(f"Template format error: s3://{bucket}/{key} is not text") from None
