"""Dataset groups: created ACTIVE after a while, never deleted while they hold a tracker or datasets."""

from __future__ import annotations

from typing import Any

from .backend import Backend
from .model import ServiceError
from .statuses import ACTIVE, CREATE_IN_PROGRESS, CREATE_PENDING, DELETE_PENDING


class DatasetGroups:
    OPERATIONS = ("CreateDatasetGroup", "DescribeDatasetGroup", "ListDatasetGroups", "DeleteDatasetGroup")

    def __init__(self, backend: Backend) -> None:
        self._backend = backend

    def CreateDatasetGroup(self, params: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        backend = self._backend
        arn = backend.arn(f"dataset-group/{params['name']}")
        if arn in backend.clock.live(backend.state.dataset_groups):
            raise ServiceError("ResourceAlreadyExistsException", f"Dataset group {arn} already exists.")
        backend.check_tag_count(params.get("tags", []))
        backend.state.dataset_groups[arn] = {
            "name": params["name"],
            "datasetGroupArn": arn,
            "domain": params.get("domain"),
            "creationDateTime": backend.clock.now(),
            "tags": {t["tagKey"]: t["tagValue"] for t in params.get("tags", [])},
            "timeline": backend.clock.timeline(
                ("dataset_group_pending", CREATE_PENDING),
                ("dataset_group_in_progress", CREATE_IN_PROGRESS),
                ("", ACTIVE),
            ),
        }
        return {"datasetGroupArn": arn}

    def DescribeDatasetGroup(self, params: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        return {"datasetGroup": self._backend.describe_group(self._backend.dataset_group(params["datasetGroupArn"]))}

    def ListDatasetGroups(self, params: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        backend = self._backend
        groups = [backend.describe_group(g) for g in backend.clock.live(backend.state.dataset_groups).values()]
        page, token = backend.page(groups, params)
        return {"datasetGroups": page, **({"nextToken": token} if token else {})}

    def DeleteDatasetGroup(self, params: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        backend = self._backend
        arn = params["datasetGroupArn"]
        group = backend.dataset_group(arn)
        backend.refuse_while_changing(group, "Dataset group", arn)
        if any(t["datasetGroupArn"] == arn for t in backend.clock.live(backend.state.trackers).values()):
            raise ServiceError("ResourceInUseException", f"Dataset group {arn} has an event tracker. Delete it first.")
        datasets = sorted(d["datasetArn"] for d in backend.live_datasets().values() if d["datasetGroupArn"] == arn)
        if datasets:
            raise ServiceError(
                "ResourceInUseException", f"Dataset group {arn} has datasets: {', '.join(datasets)}. Delete them first."
            )
        backend.clear_interactions(arn)
        group["timeline"] += backend.clock.timeline(("dataset_group_deleting", DELETE_PENDING), ("", None))
        return {}
