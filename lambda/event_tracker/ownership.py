"""Ownership tags: which trackers are this custom resource's, and finding one left behind.

docs/design.md, "Ownership tags". Every tracker the handler creates carries the StackId and the
LogicalResourceId as tags. They make Create idempotent (a second delivery adopts the first's
tracker), let a Delete with an invented id find its tracker, and are the test of "ours" before
anything is deleted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .contract import TAG_NAMESPACE
from .retrying import backoff_delays, now, sleep_within
from .service import tags_of, trackers_on
from .waiting import VISIBILITY_WINDOW_SECONDS

if TYPE_CHECKING:  # the stubs are a development tool; Lambda's runtime has only boto3
    from mypy_boto3_personalize.type_defs import TagTypeDef

OWNER_STACK_TAG = TAG_NAMESPACE + "stack-id"
OWNER_LOGICAL_ID_TAG = TAG_NAMESPACE + "logical-id"


@dataclass(frozen=True)
class Owner:
    """The custom resource a tracker belongs to: what its ownership tags record."""

    stack_id: str
    logical_id: str

    def tags(self) -> list[TagTypeDef]:
        return [
            {"tagKey": OWNER_STACK_TAG, "tagValue": self.stack_id},
            {"tagKey": OWNER_LOGICAL_ID_TAG, "tagValue": self.logical_id},
        ]


def owner_of(event: Mapping[str, Any]) -> Owner:
    return Owner(stack_id=str(event["StackId"]), logical_id=str(event["LogicalResourceId"]))


def is_owned_by(tags: Mapping[str, str] | None, owner: Owner) -> bool:
    """Whether a tracker's tags are this custom resource's ownership tags."""
    return (
        tags is not None
        and tags.get(OWNER_STACK_TAG) == owner.stack_id
        and tags.get(OWNER_LOGICAL_ID_TAG) == owner.logical_id
    )


def user_tags(tags: Mapping[str, str]) -> dict[str, str]:
    return {key: value for key, value in tags.items() if not key.startswith(TAG_NAMESPACE)}


def find_leftover(dataset_group_arn: str, owner: Owner, deadline: float) -> str | None:
    """Our tracker on the dataset group, left by a Create that failed or was cancelled, or None.

    A tracker created just before may not be listed yet: an empty group is looked at again for
    VISIBILITY_WINDOW_SECONDS before it is believed.
    """
    believe_after = min(deadline, now() + VISIBILITY_WINDOW_SECONDS)
    delays = backoff_delays()
    while True:
        trackers = trackers_on(dataset_group_arn, deadline)
        if trackers is None:
            return None  # the dataset group is gone, and its trackers with it
        if trackers:
            tags = tags_of(trackers[0].arn, deadline)
            if tags is not None:
                return trackers[0].arn if is_owned_by(tags, owner) else None
        if not sleep_within(next(delays), believe_after):
            return None
