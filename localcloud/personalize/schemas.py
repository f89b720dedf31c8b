"""Schemas: Avro JSON, checked when created; never deleted while a dataset uses one.

CreateSchema checks that the text is an Avro schema (parsed by Apache Avro's own Python library)
and one Amazon Personalize can use: a record whose fields are of the primitive types Personalize
supports, or a union of null and one of them. Which fields a dataset needs depends on its type,
which the schema does not know: CreateDataset checks those (`datasets.py`). Field names are
matched in any case (`Timestamp` is TIMESTAMP), as exports name them in upper case.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import avro.errors
import avro.schema

from .backend import Backend
from .model import ServiceError
from .state import SchemaRecord

# the Avro types the developer guide lists for Personalize schemas
SUPPORTED_TYPES = ("string", "int", "long", "float", "double", "boolean")
NUMERIC_TYPES = ("int", "long", "float", "double")


@dataclass(frozen=True)
class Field:
    """One field of a schema: its Avro type (without null) and whether it may be null."""

    name: str
    type: str
    nullable: bool

    @property
    def upper(self) -> str:
        """The name as Personalize matches it (field names are not case-sensitive) and exports it."""
        return self.name.upper()


def invalid(message: str) -> ServiceError:
    return ServiceError("InvalidInputException", message)


def parse_fields(text: str) -> list[Field]:
    """The fields of a Personalize schema; InvalidInputException naming what is wrong."""
    try:
        parsed = avro.schema.parse(text)
    except (avro.errors.AvroException, ValueError, TypeError) as error:
        raise invalid(f"The schema is not a valid Avro schema: {error}") from None
    if not isinstance(parsed, avro.schema.RecordSchema):
        raise invalid(f'The schema must be an Avro record ("type": "record"), not {parsed.type!r}.')
    fields: list[Field] = []
    for field in parsed.fields:
        types = (
            [s.type for s in field.type.schemas]
            if isinstance(field.type, avro.schema.UnionSchema)
            else [field.type.type]
        )
        nullable = "null" in types
        rest = [t for t in types if t != "null"]
        if len(rest) != 1 or rest[0] not in SUPPORTED_TYPES:
            raise invalid(
                f"Field {field.name} has type {field.type}; Amazon Personalize supports "
                f"{', '.join(SUPPORTED_TYPES)}, or a union of null and one of them."
            )
        fields.append(Field(field.name, rest[0], nullable))
    return fields


def camel_case(field_name: str) -> str:
    """The name PutEvents' `properties` give a field: NUMBER_OF_RATINGS is numberOfRatings."""
    first, *rest = field_name.lower().split("_")
    return first + "".join(part.capitalize() for part in rest)


class Schemas:
    OPERATIONS = ("CreateSchema", "DescribeSchema", "ListSchemas", "DeleteSchema")

    def __init__(self, backend: Backend) -> None:
        self._backend = backend

    def CreateSchema(self, params: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        backend = self._backend
        arn = backend.arn(f"schema/{params['name']}")
        if arn in backend.state.schemas:
            raise ServiceError("ResourceAlreadyExistsException", f"Schema {arn} already exists.")
        parse_fields(params["schema"])
        backend.state.schemas[arn] = SchemaRecord(
            name=params["name"],
            schemaArn=arn,
            schema=params["schema"],
            domain=params.get("domain"),
            creationDateTime=backend.clock.now(),
        )
        return {"schemaArn": arn}

    def DescribeSchema(self, params: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        schema = self._backend.schema(params["schemaArn"])
        return {"schema": {**self._summary(schema), "schema": schema["schema"]}}

    def ListSchemas(self, params: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        backend = self._backend
        page, token = backend.page([self._summary(s) for s in backend.state.schemas.values()], params)
        return {"schemas": page, **({"nextToken": token} if token else {})}

    def DeleteSchema(self, params: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        backend = self._backend
        arn = params["schemaArn"]
        backend.schema(arn)
        users = sorted(d["datasetArn"] for d in backend.live_datasets().values() if d["schemaArn"] == arn)
        if users:
            raise ServiceError("ResourceInUseException", f"Schema {arn} is used by dataset(s): {', '.join(users)}.")
        del backend.state.schemas[arn]
        return {}

    @staticmethod
    def _summary(schema: SchemaRecord) -> dict[str, Any]:
        summary: dict[str, Any] = {
            "name": schema["name"],
            "schemaArn": schema["schemaArn"],
            "creationDateTime": schema["creationDateTime"],
            "lastUpdatedDateTime": schema["creationDateTime"],
        }
        if schema["domain"]:
            summary["domain"] = schema["domain"]
        return summary
