"""Amazon Personalize as the handler sees it: the client, the statuses, the reads and tag writes.

Every call rides out refusals through `retrying.call`, and the reads answer "not there" with None
rather than an error. The waits, the one-tracker rule and the lifecycle are built on these. Other
modules read the client as `service.personalize` at each call, so a test can replace it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from .retrying import call, error_code, is_retryable, is_transient

if TYPE_CHECKING:  # the stubs are a development tool; Lambda's runtime has only boto3
    from mypy_boto3_personalize.type_defs import TagTypeDef

# One attempt per call: `retrying.call` retries throttling and transient errors itself, for as
# long as the invocation's time budget allows, where botocore's modes give up after a fixed count.
personalize = boto3.client(
    "personalize",
    region_name=os.environ.get("AWS_REGION"),
    config=Config(retries={"mode": "standard", "total_max_attempts": 1}, connect_timeout=5, read_timeout=15),
)

# --- statuses (note the space in the CREATE ones) ---
ACTIVE = "ACTIVE"
CREATE_FAILED = "CREATE FAILED"
CREATING = frozenset({"CREATE PENDING", "CREATE IN_PROGRESS"})
DELETING = frozenset({"DELETE PENDING", "DELETE IN_PROGRESS"})


@dataclass(frozen=True)
class TrackerSummary:
    arn: str
    name: str
    status: str


def describe(arn: str, deadline: float, *, retry_throttling: bool = True) -> dict[str, Any] | None:
    """The tracker's description, or None when it does not exist (or is not visible yet)."""
    retryable = is_retryable if retry_throttling else is_transient
    try:
        response = call(personalize.describe_event_tracker, deadline, retryable=retryable, eventTrackerArn=arn)
        return dict(response["eventTracker"])
    except ClientError as error:
        if error_code(error) == "ResourceNotFoundException":
            return None
        raise


def status_of(tracker: Mapping[str, Any] | None) -> str | None:
    return None if tracker is None else str(tracker["status"])


def trackers_on(dataset_group_arn: str, deadline: float) -> list[TrackerSummary] | None:
    """The dataset group's event trackers as listed (at most one), or None when the group does not exist."""
    summaries: list[TrackerSummary] = []
    # Paged by hand, not with botocore's paginator: each page is a call that may be throttled.
    page_token: dict[str, Any] = {}
    try:
        while True:
            page = call(personalize.list_event_trackers, deadline, datasetGroupArn=dataset_group_arn, **page_token)
            summaries += [
                TrackerSummary(arn=summary["eventTrackerArn"], name=summary["name"], status=summary["status"])
                for summary in page.get("eventTrackers", [])
            ]
            if not page.get("nextToken"):
                return summaries
            page_token = {"nextToken": page["nextToken"]}
    except ClientError as error:
        if error_code(error) == "ResourceNotFoundException":
            return None
        raise


def find_tracker_on(dataset_group_arn: str, deadline: float) -> TrackerSummary | None:
    """The dataset group's event tracker (there is at most one), or None."""
    trackers = trackers_on(dataset_group_arn, deadline)
    return trackers[0] if trackers else None


def tags_of(arn: str, deadline: float) -> dict[str, str] | None:
    """The tracker's tags, or None when it does not exist (or is not visible yet)."""
    try:
        tags = call(personalize.list_tags_for_resource, deadline, resourceArn=arn).get("tags", [])
    except ClientError as error:
        if error_code(error) == "ResourceNotFoundException":
            return None
        raise
    return {tag["tagKey"]: tag["tagValue"] for tag in tags}


def tag_list(tags: Mapping[str, str]) -> list[TagTypeDef]:
    return [{"tagKey": key, "tagValue": value} for key, value in tags.items()]


def update_tags(arn: str, old: Mapping[str, str], new: Mapping[str, str], deadline: float) -> None:
    """Bring the user tags from `old` to `new` in place; ownership tags are never touched."""
    removed = sorted(key for key in old if key not in new)
    changed = tag_list({key: value for key, value in new.items() if old.get(key) != value})
    if removed:
        call(personalize.untag_resource, deadline, resourceArn=arn, tagKeys=removed)
    if changed:
        call(personalize.tag_resource, deadline, resourceArn=arn, tags=changed)


def retag(arn: str, old: Mapping[str, str], new: Mapping[str, str], deadline: float) -> dict[str, Any] | None:
    """Update the user tags in place; the tracker's description, or None when it no longer exists."""
    try:
        update_tags(arn, old, new, deadline)
    except ClientError as error:
        if error_code(error) == "ResourceNotFoundException":
            return None
        raise
    return describe(arn, deadline)
