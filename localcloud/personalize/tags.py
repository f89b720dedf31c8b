"""Tags of dataset groups and event trackers: at most 50 per resource."""

from __future__ import annotations

from typing import Any

from .backend import Backend


class Tags:
    OPERATIONS = ("TagResource", "UntagResource", "ListTagsForResource")

    def __init__(self, backend: Backend) -> None:
        self._backend = backend

    def _tagged(self, arn: str, *, read: bool = False) -> dict[str, Any]:
        backend = self._backend
        if arn in backend.clock.live(backend.state.trackers):
            return backend.tracker(arn, read=read)
        return backend.dataset_group(arn)

    def TagResource(self, params: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        resource = self._tagged(params["resourceArn"])
        self._backend.check_tag_count(params["tags"], resource["tags"])
        resource["tags"].update({t["tagKey"]: t["tagValue"] for t in params["tags"]})
        return {}

    def UntagResource(self, params: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        resource = self._tagged(params["resourceArn"])
        for key in params["tagKeys"]:
            resource["tags"].pop(key, None)
        return {}

    def ListTagsForResource(self, params: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        resource = self._tagged(params["resourceArn"], read=True)
        return {"tags": [{"tagKey": k, "tagValue": v} for k, v in resource["tags"].items()]}
