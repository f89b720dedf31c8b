"""The service's resources, kept in a file when one is given, so separate commands see one cloud.

The file is written whole (aside, fsynced, renamed) after every call that changed it, so it holds
the resources only; the events PutEvents records go to an append-only file of their own
(`event_log.py`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypedDict

from ..statedir import WholeFile


class SchemaRecord(TypedDict):
    name: str
    schemaArn: str
    schema: str  # the Avro JSON as it was given
    domain: str | None
    creationDateTime: float


class DatasetRecord(TypedDict):
    name: str
    datasetArn: str
    datasetGroupArn: str
    datasetType: str  # canonical spelling: Interactions, Items, Users, Actions, Action_Interactions
    schemaArn: str
    creationDateTime: float
    tags: dict[str, str]
    timeline: list[list[Any]]


class ExportJobRecord(TypedDict):
    jobName: str
    datasetExportJobArn: str
    datasetArn: str
    ingestionMode: str
    roleArn: str
    jobOutput: dict[str, Any]
    creationDateTime: float
    tags: dict[str, str]
    timeline: list[list[Any]]
    failureReason: str | None
    written: list[str]  # the S3 keys the job wrote


class State:
    def __init__(self, state_file: Path | None = None) -> None:
        self.dataset_groups: dict[str, dict[str, Any]] = {}
        self.trackers: dict[str, dict[str, Any]] = {}
        self.schemas: dict[str, SchemaRecord] = {}
        self.datasets: dict[str, DatasetRecord] = {}
        self.export_jobs: dict[str, ExportJobRecord] = {}
        # dataset group -> the event log's length when its interactions were last cleared (its
        # Interactions dataset or the group itself deleted): older events are no longer its data
        self.events_cleared: dict[str, int] = {}
        # events a state file written before the event log held; `Personalize` moves them there
        self.legacy_events: list[dict[str, Any]] = []
        # every tracker's [[at, status], ...] timeline, kept after it is gone (for measurements)
        self.timelines: dict[str, list[list[Any]]] = {}
        self._file = WholeFile(state_file) if state_file else None
        saved = self._file.read_json() if self._file else None
        if saved is not None:
            self.dataset_groups, self.trackers = saved["dataset_groups"], saved["trackers"]
            self.schemas = saved.get("schemas", {})
            self.datasets = saved.get("datasets", {})
            self.export_jobs = saved.get("export_jobs", {})
            self.events_cleared = saved.get("events_cleared", {})
            self.legacy_events = saved.get("events", [])

    def save(self) -> None:
        """Write the file whole (aside, then renamed), when the resources changed."""
        if self._file is not None:
            state = {
                "dataset_groups": self.dataset_groups,
                "trackers": self.trackers,
                "schemas": self.schemas,
                "datasets": self.datasets,
                "export_jobs": self.export_jobs,
                "events_cleared": self.events_cleared,
            }
            self._file.write_json(state)

    def clear(self) -> None:
        for table in (
            self.dataset_groups,
            self.trackers,
            self.schemas,
            self.datasets,
            self.export_jobs,
            self.events_cleared,
        ):
            table.clear()
        self.legacy_events.clear()
