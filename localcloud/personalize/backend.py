"""What every group of operations works on: the state, the clock, the faults, and the lookups
and descriptions they share."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .event_log import EventLog
from .faults import FaultInjector
from .model import ServiceError
from .state import DatasetRecord, ExportJobRecord, SchemaRecord, State
from .statuses import CREATING, DELETING, Clock

MAX_TAGS_PER_RESOURCE = 50  # the developer guide's limit; `aws:` tags do not count

# Where an export job writes: put_object(bucket, key, body). The endpoint gives one that writes to
# its S3; it raises ObjectWriteFailed (or any error) when the object cannot be written.
ObjectWriter = Callable[[str, str, bytes], None]


class ObjectWriteFailed(Exception):
    """An object an export job writes could not be written; the message says why, for its failureReason."""


@dataclass
class Backend:
    state: State
    clock: Clock
    injector: FaultInjector
    region: str
    account: str
    events: EventLog
    put_object: ObjectWriter | None = None

    def arn(self, resource: str) -> str:
        return f"arn:aws:personalize:{self.region}:{self.account}:{resource}"

    @staticmethod
    def not_found(arn: str) -> ServiceError:
        return ServiceError("ResourceNotFoundException", f"Could not find resource with ARN {arn}")

    def refuse_while_changing(self, resource: Mapping[str, Any], noun: str, arn: str) -> None:
        """A resource still being created or deleted cannot be deleted: ResourceInUseException."""
        status = self.clock.status(resource)
        if status in CREATING or status in DELETING:
            raise ServiceError("ResourceInUseException", f"{noun} {arn} is {status}.")

    # --- lookups -------------------------------------------------------------------------------

    def dataset_group(self, arn: str) -> dict[str, Any]:
        group = self.clock.live(self.state.dataset_groups).get(arn)
        if group is None:
            raise self.not_found(arn)
        return group

    def tracker(self, arn: str, *, read: bool = False) -> dict[str, Any]:
        """The live tracker; for a read, only once it is visible (the `read_lag` fault)."""
        tracker = self.clock.live(self.state.trackers).get(arn)
        if tracker is None or (read and not self.visible(tracker)):
            raise self.not_found(arn)
        return tracker

    def schema(self, arn: str) -> SchemaRecord:
        schema = self.state.schemas.get(arn)
        if schema is None:
            raise self.not_found(arn)
        return schema

    def live_datasets(self) -> dict[str, DatasetRecord]:
        return self.clock.live(self.state.datasets)

    def dataset(self, arn: str) -> DatasetRecord:
        dataset = self.live_datasets().get(arn)
        if dataset is None:
            raise self.not_found(arn)
        return dataset

    def group_dataset(self, group_arn: str, dataset_type: str) -> DatasetRecord | None:
        """The group's dataset of that type, if it has one."""
        found = [
            d
            for d in self.live_datasets().values()
            if d["datasetGroupArn"] == group_arn and d["datasetType"] == dataset_type
        ]
        return found[0] if found else None

    def export_job(self, arn: str) -> ExportJobRecord:
        job = self.state.export_jobs.get(arn)
        if job is None:
            raise self.not_found(arn)
        return job

    def clear_interactions(self, group_arn: str) -> None:
        """The events recorded so far are no longer the group's data (its Interactions dataset or
        the group itself is being deleted)."""
        self.state.events_cleared[group_arn] = len(self.events)

    def visible(self, tracker: dict[str, Any]) -> bool:
        """Whether reads see the tracker yet; writes always do."""
        return self.clock.now() - float(tracker["creationDateTime"]) >= self.injector.faults.read_lag

    # --- descriptions --------------------------------------------------------------------------

    def describe_group(self, group: dict[str, Any]) -> dict[str, Any]:
        described = {
            "name": group["name"],
            "datasetGroupArn": group["datasetGroupArn"],
            "status": self.clock.status(group),
            "creationDateTime": group["creationDateTime"],
            "lastUpdatedDateTime": self.clock.changed_at(group),
        }
        if group.get("domain"):
            described["domain"] = group["domain"]
        return described

    def describe_tracker(self, tracker: dict[str, Any]) -> dict[str, Any]:
        return {
            "name": tracker["name"],
            "eventTrackerArn": tracker["eventTrackerArn"],
            "accountId": tracker["accountId"],
            "trackingId": tracker["trackingId"],
            "datasetGroupArn": tracker["datasetGroupArn"],
            "status": self.clock.status(tracker),
            "creationDateTime": tracker["creationDateTime"],
            "lastUpdatedDateTime": self.clock.changed_at(tracker),
        }

    # --- rules shared by several operations ----------------------------------------------------

    @staticmethod
    def check_tag_count(tags: list[dict[str, str]], existing: dict[str, str] | None = None) -> None:
        keys = {key for key in set(existing or {}) | {t["tagKey"] for t in tags} if not key.startswith("aws:")}
        if len(keys) > MAX_TAGS_PER_RESOURCE:
            raise ServiceError(
                "TooManyTagsException",
                f"A resource can have at most {MAX_TAGS_PER_RESOURCE} tags; this request would leave {len(keys)}.",
            )

    @staticmethod
    def page(items: list[dict[str, Any]], params: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
        start = 0
        if params.get("nextToken"):
            try:
                start = int(params["nextToken"].split(".", 1)[1])
            except (IndexError, ValueError):
                raise ServiceError("InvalidNextTokenException", "The nextToken is not valid.") from None
        size = params.get("maxResults", 100)
        page = items[start : start + size]
        more = start + size < len(items)
        return page, (f"page.{start + size}" if more else None)
