"""Requests checked against botocore's own service models, as the service checks them.

botocore's ParamValidator covers required members, types and minimums; the service also
enforces maximums and patterns, so those are checked here from the same model. A request
that breaks any rule is an InvalidInputException, worded like the service's.
"""

from __future__ import annotations

import datetime
from typing import Any

import regex  # the model's patterns use \p{L} and friends, which `re` lacks
from botocore.loaders import create_loader
from botocore.model import ListShape, MapShape, OperationModel, ServiceModel, Shape, StructureShape
from botocore.validate import ParamValidator

# Read from botocore's data with a loader, not a session: a session reads the shell's profile,
# and an AWS_PROFILE that names no profile would fail the local cloud as it is imported.
_LOADER = create_loader()
PERSONALIZE = ServiceModel(_LOADER.load_service_model("personalize", "service-2"), "personalize")
PERSONALIZE_EVENTS = ServiceModel(_LOADER.load_service_model("personalize-events", "service-2"), "personalize-events")


class ServiceError(Exception):
    """An error the service answers with: HTTP status, `__type` and message."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


def from_json(value: Any, shape: Shape) -> Any:
    """JSON as the wire carries it, turned into what botocore's validator expects (timestamps)."""
    if isinstance(shape, StructureShape) and isinstance(value, dict):
        return {k: from_json(v, shape.members[k]) if k in shape.members else v for k, v in value.items()}
    if isinstance(shape, ListShape) and isinstance(value, list):
        return [from_json(v, shape.member) for v in value]
    if isinstance(shape, MapShape) and isinstance(value, dict):
        return {k: from_json(v, shape.value) for k, v in value.items()}
    if shape.type_name == "timestamp" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.datetime.fromtimestamp(value, datetime.timezone.utc)
    return value


def _constraint_errors(value: Any, shape: Shape, path: str, errors: list[str]) -> None:
    """The maximum, pattern and enum violations botocore's validator does not look for."""
    metadata = shape.metadata
    if isinstance(shape, StructureShape) and isinstance(value, dict):
        for key, member in value.items():
            if key in shape.members:
                _constraint_errors(member, shape.members[key], f"{path}.{key}" if path else key, errors)
        return
    if isinstance(value, (list, str)) and "max" in metadata and len(value) > metadata["max"]:
        errors.append(
            f"Value at '{path}' failed to satisfy constraint: Member must have length less than or "
            f"equal to {metadata['max']}"
        )
    if isinstance(shape, ListShape) and isinstance(value, list):
        for index, member in enumerate(value):
            _constraint_errors(member, shape.member, f"{path}.{index + 1}.member", errors)
    if shape.type_name == "string" and isinstance(value, str):
        pattern = metadata.get("pattern")
        if pattern and not regex.fullmatch(pattern, value):
            shown = "***" if metadata.get("sensitive") else value
            errors.append(
                f"Value '{shown}' at '{path}' failed to satisfy constraint: Member must satisfy "
                f"regular expression pattern: {pattern}"
            )
        if "enum" in metadata and value not in metadata["enum"]:
            errors.append(
                f"Value '{value}' at '{path}' failed to satisfy constraint: Member must satisfy enum "
                f"value set: {metadata['enum']}"
            )


def validate(operation: OperationModel, params: dict[str, Any]) -> dict[str, Any]:
    """The request's parameters, ready to use; raises InvalidInputException when they break the model."""
    shape = operation.input_shape
    assert shape is not None  # every operation emulated here takes input
    if not isinstance(params, dict):
        raise ServiceError("InvalidInputException", "The request body must be a JSON object.")
    params = from_json(params, shape)
    report = ParamValidator().validate(params, shape)
    if report.has_errors():
        raise ServiceError("InvalidInputException", report.generate_report())
    errors: list[str] = []
    _constraint_errors(params, shape, "", errors)
    if errors:
        noun = "error" if len(errors) == 1 else "errors"
        raise ServiceError("InvalidInputException", f"{len(errors)} validation {noun} detected: " + "; ".join(errors))
    return params
