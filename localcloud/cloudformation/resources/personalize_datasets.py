"""AWS::Personalize::Schema and AWS::Personalize::Dataset, created in the local Personalize.

Every property of a schema is create-only, as are a dataset's Name, DatasetType, DatasetGroupArn
and SchemaArn: a change replaces it. A dataset's Tags change in place. Its `DatasetImportJob`
is not run (no dataset import job is emulated): the dataset is created empty, and the log says so.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from botocore.exceptions import ClientError

from ..errors import ResourceFailed
from ..state import ResourceRecord
from .base import ResourceRequest, Result, generated_name
from .personalize import NOT_FOUND, PersonalizeType, error_code, tag_list, tags_of

LOG = logging.getLogger(__name__)
NAME_LIMIT = 63  # Personalize's names: 1-63 characters


class Schema(PersonalizeType):
    type_name = "AWS::Personalize::Schema"
    replaced_by = frozenset({"Name", "Schema", "Domain"})
    noun = "schema"

    def create(self, request: ResourceRequest) -> Result:
        properties = request.properties
        text = properties["Schema"]
        call: dict[str, Any] = {
            "name": properties.get("Name") or generated_name(request, NAME_LIMIT),
            # a YAML template may write the schema as a mapping rather than a JSON string
            "schema": text if isinstance(text, str) else json.dumps(text),
        }
        if properties.get("Domain"):
            call["domain"] = properties["Domain"]
        if properties.get("Tags"):
            LOG.info("%s: Tags are not applied (CreateSchema takes none)", request.logical_id)
        try:
            arn = str(self.services.client("personalize").create_schema(**call)["schemaArn"])
        except ClientError as error:
            raise ResourceFailed(str(error)) from None
        return arn, {"SchemaArn": arn}

    def update(self, request: ResourceRequest, current: ResourceRecord) -> Result:
        old, new = current.get("properties", {}), request.properties
        if any(old.get(name) != new.get(name) for name in self.replaced_by):
            return self.create(request)
        return current["physical_id"], dict(current["attributes"])

    def delete(self, entry: ResourceRecord) -> None:
        try:
            self.services.client("personalize").delete_schema(schemaArn=entry["physical_id"])
        except ClientError as error:
            if error_code(error) != NOT_FOUND:
                raise ResourceFailed(str(error), physical_id=entry["physical_id"]) from None


class Dataset(PersonalizeType):
    type_name = "AWS::Personalize::Dataset"
    replaced_by = frozenset({"Name", "DatasetType", "DatasetGroupArn", "SchemaArn"})
    noun = "dataset"

    def describe_status(self, arn: str) -> str | None:
        return str(self.services.client("personalize").describe_dataset(datasetArn=arn)["dataset"]["status"])

    def create(self, request: ResourceRequest) -> Result:
        properties = request.properties
        self._note_import_job(request, None)
        call: dict[str, Any] = {
            "name": properties.get("Name") or generated_name(request, NAME_LIMIT),
            "schemaArn": properties["SchemaArn"],
            "datasetGroupArn": properties["DatasetGroupArn"],
            "datasetType": properties["DatasetType"],
        }
        if properties.get("Tags"):
            call["tags"] = tag_list(properties)
        try:
            arn = str(self.services.client("personalize").create_dataset(**call)["datasetArn"])
        except ClientError as error:
            raise ResourceFailed(str(error)) from None
        self.wait_active(arn)
        return arn, {"DatasetArn": arn}

    def update(self, request: ResourceRequest, current: ResourceRecord) -> Result:
        old, new = current.get("properties", {}), request.properties
        if any(old.get(name) != new.get(name) for name in self.replaced_by):
            return self.create(request)
        self._note_import_job(request, old)
        arn = current["physical_id"]
        self.retag(arn, tags_of(old), tags_of(new))
        return arn, {"DatasetArn": arn}

    def delete(self, entry: ResourceRecord) -> None:
        arn = entry["physical_id"]
        personalize = self.services.client("personalize")
        self.delete_and_wait(arn, lambda: personalize.delete_dataset(datasetArn=arn))

    @staticmethod
    def _note_import_job(request: ResourceRequest, old: dict[str, Any] | None) -> None:
        job = request.properties.get("DatasetImportJob")
        if job and (old is None or old.get("DatasetImportJob") != job):
            LOG.info(
                "%s: DatasetImportJob is not run (the local Personalize has no dataset import jobs); "
                "the dataset holds what PutEvents records",
                request.logical_id,
            )
