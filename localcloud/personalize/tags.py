"""Tags of dataset groups, event trackers, datasets and dataset export jobs: at most 50 per resource."""

from __future__ import annotations

from typing import Any

from .backend import Backend


class Tags:
    OPERATIONS = ("TagResource", "UntagResource", "ListTagsForResource")

    def __init__(self, backend: Backend) -> None:
        self._backend = backend

    def _tagged(self, arn: str, *, read: bool = False) -> dict[str, str]:
        """The tags of the resource `arn` names, to read or change in place."""
        backend = self._backend
        if arn in backend.clock.live(backend.state.trackers):
            tracker_tags: dict[str, str] = backend.tracker(arn, read=read)["tags"]
            return tracker_tags
        if arn in backend.live_datasets():
            return backend.dataset(arn)["tags"]
        if arn in backend.state.export_jobs:
            return backend.export_job(arn)["tags"]
        group_tags: dict[str, str] = backend.dataset_group(arn)["tags"]
        return group_tags

    def TagResource(self, params: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        tags = self._tagged(params["resourceArn"])
        self._backend.check_tag_count(params["tags"], tags)
        tags.update({t["tagKey"]: t["tagValue"] for t in params["tags"]})
        return {}

    def UntagResource(self, params: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        tags = self._tagged(params["resourceArn"])
        for key in params["tagKeys"]:
            tags.pop(key, None)
        return {}

    def ListTagsForResource(self, params: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        tags = self._tagged(params["resourceArn"], read=True)
        return {"tags": [{"tagKey": k, "tagValue": v} for k, v in tags.items()]}
