"""Dataset export jobs: a dataset's records written to S3 as CSV, the job's status on the clock.

The files are written when the job is created (to the endpoint's S3, through the writer the
endpoint gives the service), so they are all there by the time the job is ACTIVE; a write that
fails (no such bucket, no writer) makes the job end in CREATE FAILED with the reason. The data is
what the dataset held when the job was created:
- PUT: what PutEvents recorded for the dataset's group (Interactions datasets; PutUsers and
  PutItems are not emulated, so Users and Items datasets have no PUT data);
- BULK: nothing, as no dataset import job exists here;
- ALL: both.

Each file (`<path>/<jobName>/part-NNNNN.csv`) starts with a header row of the schema's field names
in upper case, in the schema's order; records that match exactly in every field are exported once.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from .backend import Backend, ObjectWriteFailed
from .datasets import INTERACTIONS
from .events import row_of
from .model import ServiceError
from .schemas import invalid, parse_fields
from .state import ExportJobRecord
from .statuses import ACTIVE, CREATE_FAILED, CREATE_IN_PROGRESS, CREATE_PENDING

ROWS_PER_FILE = 100_000
NOT_EXPORTABLE = ("Actions", "Action_Interactions")  # the developer guide: these cannot be exported
NO_WRITER = (
    "This Personalize has no S3 to write to: it was started without the local cloud's endpoint, "
    "which gives it the endpoint's S3."
)


def destination(path: str) -> tuple[str, str]:
    """(bucket, key prefix ending in "/" or empty) of an S3 path: s3://bucket/folder/, or an
    https URL, path-style (https://s3.<region>.amazonaws.com/bucket/folder) or virtual-hosted
    (https://bucket.s3.<region>.amazonaws.com/folder)."""
    parts = urlsplit(path)
    if parts.scheme == "s3":
        bucket, key = parts.netloc, parts.path.lstrip("/")
    elif ".s3." in f".{parts.hostname or ''}" and not (parts.hostname or "").startswith("s3."):
        bucket, key = (parts.hostname or "").split(".s3.", 1)[0], parts.path.lstrip("/")
    else:
        bucket, _, key = parts.path.lstrip("/").partition("/")
    if not bucket:
        raise invalid(f"The S3 path {path} names no bucket.")
    return bucket, (key.rstrip("/") + "/" if key.strip("/") else "")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "|".join(str(v) for v in value)
    return str(value)


def csv_files(header: list[str], rows: Iterable[list[str]]) -> list[bytes]:
    """The CSV files of `rows`, at most ROWS_PER_FILE each, each with the header; one file at least."""
    unique = list(dict.fromkeys(tuple(row) for row in rows))
    chunks = [unique[i : i + ROWS_PER_FILE] for i in range(0, len(unique), ROWS_PER_FILE)] or [[]]
    files = []
    for chunk in chunks:
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(chunk)
        files.append(text.getvalue().encode())
    return files


class ExportJobs:
    OPERATIONS = ("CreateDatasetExportJob", "DescribeDatasetExportJob", "ListDatasetExportJobs")

    def __init__(self, backend: Backend) -> None:
        self._backend = backend

    def CreateDatasetExportJob(self, params: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        backend = self._backend
        arn = backend.arn(f"dataset-export-job/{params['jobName']}")
        if arn in backend.state.export_jobs:
            raise ServiceError("ResourceAlreadyExistsException", f"Dataset export job {arn} already exists.")
        dataset = backend.dataset(params["datasetArn"])
        status = backend.clock.status(dataset)
        if status != ACTIVE:
            raise ServiceError("ResourceInUseException", f"Dataset {dataset['datasetArn']} is {status}, not ACTIVE.")
        if dataset["datasetType"] in NOT_EXPORTABLE:
            raise invalid(f"A dataset of type {dataset['datasetType']} cannot be exported.")
        bucket, prefix = destination(params["jobOutput"]["s3DataDestination"]["path"])
        backend.check_tag_count(params.get("tags", []))
        mode = params.get("ingestionMode", "PUT")
        fields = parse_fields(backend.schema(dataset["schemaArn"])["schema"])
        rows: list[list[str]] = []
        if mode in ("PUT", "ALL") and dataset["datasetType"] == INTERACTIONS:
            group = dataset["datasetGroupArn"]
            for recorded in backend.events.since(backend.state.events_cleared.get(group, 0)):
                if recorded["datasetGroupArn"] == group:
                    rows.append([_cell(value) for value in row_of(recorded, fields).values()])
        written: list[str] = []
        failure = self._write(bucket, prefix + params["jobName"], [f.name.upper() for f in fields], rows, written)
        backend.state.export_jobs[arn] = ExportJobRecord(
            jobName=params["jobName"],
            datasetExportJobArn=arn,
            datasetArn=dataset["datasetArn"],
            ingestionMode=mode,
            roleArn=params["roleArn"],
            jobOutput=params["jobOutput"],
            creationDateTime=backend.clock.now(),
            tags={t["tagKey"]: t["tagValue"] for t in params.get("tags", [])},
            timeline=backend.clock.timeline(
                ("export_pending", CREATE_PENDING),
                ("export_in_progress", CREATE_IN_PROGRESS),
                ("", ACTIVE if failure is None else CREATE_FAILED),
            ),
            failureReason=failure,
            written=written,
        )
        return {"datasetExportJobArn": arn}

    def _write(
        self, bucket: str, folder: str, header: list[str], rows: list[list[str]], written: list[str]
    ) -> str | None:
        """Write the files; the failure reason when one cannot be written, else None."""
        put_object = self._backend.put_object
        if put_object is None:
            return NO_WRITER
        for number, body in enumerate(csv_files(header, rows)):
            key = f"{folder}/part-{number:05d}.csv"
            try:
                put_object(bucket, key, body)
            except ObjectWriteFailed as error:
                return f"Could not write s3://{bucket}/{key}: {error}"
            written.append(key)
        return None

    def DescribeDatasetExportJob(self, params: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        job = self._backend.export_job(params["datasetExportJobArn"])
        described = {
            **self._summary(job),
            "datasetArn": job["datasetArn"],
            "ingestionMode": job["ingestionMode"],
            "roleArn": job["roleArn"],
            "jobOutput": job["jobOutput"],
        }
        return {"datasetExportJob": described}

    def ListDatasetExportJobs(self, params: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        backend = self._backend
        wanted = params.get("datasetArn")
        jobs = [self._summary(j) for j in backend.state.export_jobs.values() if wanted in (None, j["datasetArn"])]
        page, token = backend.page(jobs, params)
        return {"datasetExportJobs": page, **({"nextToken": token} if token else {})}

    def _summary(self, job: ExportJobRecord) -> dict[str, Any]:
        clock = self._backend.clock
        summary: dict[str, Any] = {
            "jobName": job["jobName"],
            "datasetExportJobArn": job["datasetExportJobArn"],
            "status": clock.status(job),
            "creationDateTime": job["creationDateTime"],
            "lastUpdatedDateTime": clock.changed_at(job),
        }
        if summary["status"] == CREATE_FAILED:
            summary["failureReason"] = job["failureReason"]
        return summary
