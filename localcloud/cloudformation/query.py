"""CloudFormation's query protocol, read and written by botocore's own model of the service.

A request is a flat form (`Parameters.member.1.ParameterKey=...`): `read_input` turns it into the
operation's input structure, refusing a missing required member as the service does. An answer
is XML: `write_output` renders a result structure member by member in the model's order and
names, so that any SDK's parser reads it.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Mapping
from functools import cache
from typing import Any
from xml.sax.saxutils import escape

from botocore.loaders import Loader
from botocore.model import ListShape, MapShape, OperationModel, ServiceModel, Shape, StructureShape

NAMESPACE = "http://cloudformation.amazonaws.com/doc/2010-05-15/"


class ApiError(Exception):
    """An error answer: HTTP status, the error code and its message."""

    def __init__(self, code: str, message: str, status: int = 400, sender: bool = True) -> None:
        super().__init__(message)
        self.code, self.message, self.status, self.sender = code, message, status, sender


def validation_error(message: str) -> ApiError:
    return ApiError("ValidationError", message)


@cache
def service_model() -> ServiceModel:
    """botocore's model, read from its data files (no session: no profile, no ini file)."""
    return ServiceModel(Loader().load_service_model("cloudformation", "service-2"), "cloudformation")


def operation(name: str) -> OperationModel | None:
    model = service_model()
    return model.operation_model(name) if name in model.operation_names else None


# --- the form in -------------------------------------------------------------------------------


def read_input(operation_model: OperationModel, form: Mapping[str, str]) -> dict[str, Any]:
    shape = operation_model.input_shape
    if shape is None:
        return {}
    value = _read(shape, form, "", top=True)
    return value if isinstance(value, dict) else {}


def _read(shape: Shape, form: Mapping[str, str], key: str, top: bool = False) -> Any:
    if isinstance(shape, StructureShape):
        if not top and not any(name.startswith(key + ".") for name in form):
            return None
        found: dict[str, Any] = {}
        for name, member in shape.members.items():
            member_key = (key + "." if key else "") + member.serialization.get("name", name)
            value = _read(member, form, member_key)
            if value is not None:
                found[name] = value
        missing = [name for name in shape.required_members if name not in found]
        if missing:
            name = missing[0]
            raise validation_error(
                f"1 validation error detected: Value null at '{name[0].lower() + name[1:]}' failed to satisfy "
                "constraint: Member must not be null"
            )
        return found
    if isinstance(shape, ListShape):
        if key in form and form[key] == "":
            return []  # "Parameters=": an empty list, as the CDK CLI sends it
        member_name = shape.member.serialization.get("name", "member")
        items = []
        index = 1
        while True:
            item_key = f"{key}.{member_name}.{index}"
            item = _read(shape.member, form, item_key)
            if item is None:
                break
            items.append(item)
            index += 1
        return items if items or any(name.startswith(key + ".") for name in form) else None
    if isinstance(shape, MapShape):
        entries: dict[str, Any] = {}
        index = 1
        while f"{key}.entry.{index}.key" in form:
            entries[form[f"{key}.entry.{index}.key"]] = _read(shape.value, form, f"{key}.entry.{index}.value")
            index += 1
        return entries or None
    if key not in form:
        return None
    text = form[key]
    if shape.type_name == "boolean":
        return text.lower() == "true"
    if shape.type_name in ("integer", "long"):
        try:
            return int(text)
        except ValueError:
            raise validation_error(f"Value '{text}' at '{key}' failed to satisfy constraint: a number") from None
    return text


# --- the XML out -------------------------------------------------------------------------------


def timestamp(epoch: float) -> str:
    moment = datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def write_output(operation_model: OperationModel, result: Mapping[str, Any]) -> bytes:
    name = operation_model.name
    shape = operation_model.output_shape
    inner = ""
    if shape is not None:
        body = "".join(_write_members(shape, result))
        inner = f"<{name}Result>{body}</{name}Result>"
    return (
        f'<{name}Response xmlns="{NAMESPACE}">{inner}'
        f"<ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata></{name}Response>"
    ).encode()


def write_error(error: ApiError) -> bytes:
    kind = "Sender" if error.sender else "Receiver"
    return (
        f'<ErrorResponse xmlns="{NAMESPACE}"><Error><Type>{kind}</Type><Code>{escape(error.code)}</Code>'
        f"<Message>{escape(error.message)}</Message></Error><RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>"
    ).encode()


def _write_members(shape: StructureShape, value: Mapping[str, Any]) -> list[str]:
    parts = []
    for name, member in shape.members.items():
        if name in value and value[name] is not None:
            parts.append(_write(member, value[name], member.serialization.get("name", name)))
    return parts


def _write(shape: Shape, value: Any, tag: str) -> str:
    if isinstance(shape, StructureShape):
        return f"<{tag}>{''.join(_write_members(shape, value))}</{tag}>"
    if isinstance(shape, ListShape):
        member_tag = shape.member.serialization.get("name", "member")
        return f"<{tag}>{''.join(_write(shape.member, item, member_tag) for item in value)}</{tag}>"
    if isinstance(shape, MapShape):
        entries = "".join(
            f"<entry>{_write(shape.key, key, 'key')}{_write(shape.value, item, 'value')}</entry>"
            for key, item in value.items()
        )
        return f"<{tag}>{entries}</{tag}>"
    if shape.type_name == "timestamp":
        text = timestamp(value) if isinstance(value, (int, float)) else str(value)
    elif shape.type_name == "boolean":
        text = "true" if value else "false"
    else:
        text = str(value)
    return f"<{tag}>{escape(text)}</{tag}>"
