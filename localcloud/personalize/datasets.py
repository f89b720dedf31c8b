"""Datasets: one of each type per dataset group, on an ACTIVE group, with a schema fit for the type.

The schema is checked against the dataset type here, as Personalize does: the same schema text
can serve several types, and only the type says which fields are required.
"""

from __future__ import annotations

from typing import Any

from .backend import Backend
from .model import ServiceError
from .schemas import invalid, parse_fields
from .state import DatasetRecord
from .statuses import (
    ACTIVE,
    CREATE_IN_PROGRESS,
    CREATE_PENDING,
    CREATING,
    DELETE_IN_PROGRESS,
    DELETE_PENDING,
)

INTERACTIONS = "Interactions"
# dataset type (its documented spelling; requests may use any case) -> required field: Avro type
REQUIRED_FIELDS: dict[str, dict[str, str]] = {
    INTERACTIONS: {"USER_ID": "string", "ITEM_ID": "string", "TIMESTAMP": "long"},
    "Items": {"ITEM_ID": "string"},
    "Users": {"USER_ID": "string"},
    "Actions": {"ACTION_ID": "string"},
    "Action_Interactions": {"USER_ID": "string", "ACTION_ID": "string", "TIMESTAMP": "long", "EVENT_TYPE": "string"},
}


def dataset_type(given: str) -> str:
    """The documented spelling of a dataset type given in any case; InvalidInputException otherwise."""
    for name in REQUIRED_FIELDS:
        if name.lower() == given.lower():
            return name
    raise invalid(f"Dataset type {given} is not valid. Valid dataset types: {', '.join(REQUIRED_FIELDS)}.")


def check_schema_fits(schema_text: str, schema_arn: str, kind: str) -> None:
    """Refuse a schema without a field the dataset type requires, or with it of the wrong type."""
    fields = {field.upper: field for field in parse_fields(schema_text)}
    required = REQUIRED_FIELDS[kind]
    missing = [name for name in required if name not in fields]
    if missing:
        raise invalid(
            f"Schema {schema_arn} cannot be used for a dataset of type {kind}: it lacks the required "
            f"field(s) {', '.join(missing)} (required: {', '.join(required)})."
        )
    for name, wanted in required.items():
        field = fields[name]
        if field.type != wanted or field.nullable:
            shown = f'["null", "{field.type}"]' if field.nullable else f'"{field.type}"'
            raise invalid(
                f"Schema {schema_arn} cannot be used for a dataset of type {kind}: field {name} "
                f'must be of type "{wanted}" (not null), not {shown}.'
            )


class Datasets:
    OPERATIONS = ("CreateDataset", "DescribeDataset", "ListDatasets", "DeleteDataset")

    def __init__(self, backend: Backend) -> None:
        self._backend = backend

    def CreateDataset(self, params: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        backend = self._backend
        kind = dataset_type(params["datasetType"])
        group_arn = params["datasetGroupArn"]
        group = backend.dataset_group(group_arn)
        status = backend.clock.status(group)
        if status != ACTIVE:
            raise ServiceError("ResourceInUseException", f"Dataset group {group_arn} is {status}, not ACTIVE.")
        schema = backend.schema(params["schemaArn"])
        if (schema["domain"] or None) != (group.get("domain") or None):
            raise invalid(
                f"The domain of schema {schema['schemaArn']} ({schema['domain'] or 'none'}) does not match "
                f"the domain of dataset group {group_arn} ({group.get('domain') or 'none'})."
            )
        check_schema_fits(schema["schema"], schema["schemaArn"], kind)
        existing = backend.group_dataset(group_arn, kind)
        if existing is not None:
            raise ServiceError(
                "ResourceAlreadyExistsException",
                f"Dataset group {group_arn} already has a dataset of type {kind}: {existing['datasetArn']}.",
            )
        backend.check_tag_count(params.get("tags", []))
        arn = backend.arn(f"dataset/{group['name']}/{kind.upper()}")
        backend.state.datasets[arn] = DatasetRecord(
            name=params["name"],
            datasetArn=arn,
            datasetGroupArn=group_arn,
            datasetType=kind,
            schemaArn=schema["schemaArn"],
            creationDateTime=backend.clock.now(),
            tags={t["tagKey"]: t["tagValue"] for t in params.get("tags", [])},
            timeline=backend.clock.timeline(
                ("dataset_pending", CREATE_PENDING), ("dataset_in_progress", CREATE_IN_PROGRESS), ("", ACTIVE)
            ),
        )
        return {"datasetArn": arn}

    def DescribeDataset(self, params: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        dataset = self._backend.dataset(params["datasetArn"])
        return {
            "dataset": {
                **self._summary(dataset),
                "datasetGroupArn": dataset["datasetGroupArn"],
                "schemaArn": dataset["schemaArn"],
            }
        }

    def ListDatasets(self, params: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        backend = self._backend
        wanted = params.get("datasetGroupArn")
        summaries = [
            self._summary(d)
            for d in backend.live_datasets().values()
            if wanted is None or d["datasetGroupArn"] == wanted
        ]
        page, token = backend.page(summaries, params)
        return {"datasets": page, **({"nextToken": token} if token else {})}

    def DeleteDataset(self, params: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        backend = self._backend
        arn = params["datasetArn"]
        dataset = backend.dataset(arn)
        backend.refuse_while_changing(dataset, "Dataset", arn)
        exporting = [
            job["datasetExportJobArn"]
            for job in backend.state.export_jobs.values()
            if job["datasetArn"] == arn and backend.clock.status(job) in CREATING
        ]
        if exporting:
            raise ServiceError("ResourceInUseException", f"Dataset {arn} is being exported by {', '.join(exporting)}.")
        if dataset["datasetType"] == INTERACTIONS:
            backend.clear_interactions(dataset["datasetGroupArn"])
        dataset["timeline"] += backend.clock.timeline(
            ("dataset_delete_pending", DELETE_PENDING), ("dataset_delete_in_progress", DELETE_IN_PROGRESS), ("", None)
        )
        return {}

    def _summary(self, dataset: DatasetRecord) -> dict[str, Any]:
        return {
            "name": dataset["name"],
            "datasetArn": dataset["datasetArn"],
            "datasetType": dataset["datasetType"],
            "status": self._backend.clock.status(dataset),
            "creationDateTime": dataset["creationDateTime"],
            "lastUpdatedDateTime": self._backend.clock.changed_at(dataset),
        }
