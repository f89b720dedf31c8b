"""The resource contract: properties, attributes and limits, and the parsing of what arrives.

docs/design.md, "The resource contract". The construct states the same names and limits in
`_contract.py` and `_validation.py`; the handler ships alone in the asset and cannot import them,
so tests/unit/test_contract.py keeps both sides equal and checks them against botocore's model.
Properties arrive as strings, and possibly in a shape an older release rendered.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .answers import HandlerError

# --- the contract shared with the construct ---
PROPERTY_DATASET_GROUP_ARN = "DatasetGroupArn"
PROPERTY_NAME = "Name"
PROPERTY_TAGS = "Tags"
PROPERTY_REMOVAL_POLICY = "RemovalPolicy"
REMOVAL_POLICY_DELETE = "Delete"
REMOVAL_POLICY_RETAIN = "Retain"
KNOWN_PROPERTIES = {
    "ServiceToken",
    "ServiceTimeout",
    PROPERTY_DATASET_GROUP_ARN,
    PROPERTY_NAME,
    PROPERTY_TAGS,
    PROPERTY_REMOVAL_POLICY,
}
ATTRIBUTE_ARN = "EventTrackerArn"
ATTRIBUTE_TRACKING_ID = "TrackingId"
TAG_NAMESPACE = "personalize-event-tracker:"
RESERVED_TAG_PREFIXES = ("aws:", TAG_NAMESPACE)

# --- limits from the botocore model (personalize 2018-05-22) ---
NAME_PATTERN = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9\-_]*")
NAME_MAX_LENGTH = 63
ARN_PATTERN = re.compile(r"arn:([a-z\d-]+):personalize:.*:.*:.+")
ARN_MAX_LENGTH = 256
TRACKER_ARN_PATTERN = re.compile(r"arn:[a-z\d-]+:personalize:[^:]*:[^:]*:event-tracker/.+")
TAG_KEY_MAX_LENGTH = 128
TAG_VALUE_MAX_LENGTH = 256
# Personalize allows 50 tags per resource (developer guide); the model's 200 bounds a request.
MAX_TAGS_PER_RESOURCE = 50
MAX_USER_TAGS = MAX_TAGS_PER_RESOURCE - 2  # the two ownership tags travel with every tracker


@dataclass(frozen=True)
class TrackerSpec:
    """The desired tracker, parsed from ResourceProperties."""

    dataset_group_arn: str
    name: str
    tags: dict[str, str] = field(default_factory=dict)
    # RemovalPolicy RETAIN: the stack must never delete this tracker, not even to replace it.
    retained: bool = False

    def identity(self) -> tuple[str, str]:
        """What cannot change in place: a change of either replaces the tracker."""
        return (self.dataset_group_arn, self.name)


def parse_properties(properties: Any) -> TrackerSpec:
    """Validate ResourceProperties; raise HandlerError naming every problem found."""
    if not isinstance(properties, Mapping):
        raise HandlerError("ResourceProperties must be an object with DatasetGroupArn and Name.")
    problems: list[str] = []
    unknown = sorted(str(key) for key in properties if key not in KNOWN_PROPERTIES)
    if unknown:
        problems.append(
            f"unknown properties {', '.join(unknown)} (allowed: DatasetGroupArn, Name, Tags, RemovalPolicy)"
        )
    arn = properties.get(PROPERTY_DATASET_GROUP_ARN)
    if not isinstance(arn, str) or not arn:
        problems.append("DatasetGroupArn is required and must be a string")
    elif len(arn) > ARN_MAX_LENGTH or not ARN_PATTERN.fullmatch(arn):
        problems.append(f"DatasetGroupArn must be a Personalize ARN of at most {ARN_MAX_LENGTH} characters")
    name = properties.get(PROPERTY_NAME)
    if not isinstance(name, str) or not name:
        problems.append("Name is required and must be a string")
    elif len(name) > NAME_MAX_LENGTH or not NAME_PATTERN.fullmatch(name):
        problems.append(
            f"Name must be 1-{NAME_MAX_LENGTH} characters, letters, digits, '-' or '_', starting with a letter or digit"
        )
    tags, tag_problems = _parse_tags(properties.get(PROPERTY_TAGS))
    problems.extend(tag_problems)
    # Absent in templates from before the property existed: those trackers were deletable.
    policy = properties.get(PROPERTY_REMOVAL_POLICY, REMOVAL_POLICY_DELETE)
    if policy not in (REMOVAL_POLICY_DELETE, REMOVAL_POLICY_RETAIN):
        problems.append(f"RemovalPolicy must be {REMOVAL_POLICY_DELETE} or {REMOVAL_POLICY_RETAIN}")
    if problems:
        raise HandlerError("Invalid properties: " + "; ".join(problems) + ".")
    assert isinstance(arn, str) and isinstance(name, str)
    return TrackerSpec(dataset_group_arn=arn, name=name, tags=tags, retained=policy == REMOVAL_POLICY_RETAIN)


def _parse_tags(raw: Any) -> tuple[dict[str, str], list[str]]:
    if raw is None:
        return {}, []
    if not isinstance(raw, list):
        return {}, ["Tags must be a list of {Key, Value}"]
    tags: dict[str, str] = {}
    problems: list[str] = []
    for entry in raw:
        if not isinstance(entry, Mapping) or set(entry) != {"Key", "Value"}:
            problems.append("each tag must be {Key, Value}")
            break
        key, value = entry["Key"], entry["Value"]
        if not isinstance(key, str) or not isinstance(value, str):
            problems.append("tag keys and values must be strings")
            break
        if not 1 <= len(key) <= TAG_KEY_MAX_LENGTH or not is_tag_text(key):
            problems.append(f"tag key {key[:40]!r} must be 1-{TAG_KEY_MAX_LENGTH} letters, digits, spaces or _.:/=+-@")
            break
        if key.startswith(RESERVED_TAG_PREFIXES):
            problems.append(f"tag key {key[:40]!r} uses a reserved prefix ({', '.join(RESERVED_TAG_PREFIXES)})")
            break
        if len(value) > TAG_VALUE_MAX_LENGTH or not is_tag_text(value):
            problems.append(
                f"the value of tag {key[:40]!r} must be at most {TAG_VALUE_MAX_LENGTH} letters, digits, "
                "spaces or _.:/=+-@"
            )
            break
        tags[key] = value
    if len(tags) > MAX_USER_TAGS:
        problems.append(
            f"{len(tags)} tags given; at most {MAX_USER_TAGS} are allowed "
            f"({MAX_TAGS_PER_RESOURCE} per tracker, less the two ownership tags)"
        )
    return tags, problems


def is_tag_text(text: str) -> bool:
    """The model's tag pattern ^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$: letters, separators, numbers, _.:/=+-@."""
    return all(unicodedata.category(char)[0] in "LZN" or char in "_.:/=+-@" for char in text)


def lenient_dataset_group_arn(properties: Any) -> str | None:
    """The DatasetGroupArn of possibly malformed properties, or None: a Delete must not fail on them."""
    if not isinstance(properties, Mapping):
        return None
    arn = properties.get(PROPERTY_DATASET_GROUP_ARN)
    if isinstance(arn, str) and len(arn) <= ARN_MAX_LENGTH and ARN_PATTERN.fullmatch(arn):
        return arn
    return None


def is_tracker_arn(physical_id: Any) -> bool:
    """Whether a PhysicalResourceId is a tracker ARN (and not the id of a failed or cancelled Create)."""
    return isinstance(physical_id, str) and TRACKER_ARN_PATTERN.fullmatch(physical_id) is not None


def attributes(tracker: Mapping[str, Any]) -> dict[str, str]:
    """The Data of a SUCCESS answer: what Fn::GetAtt returns."""
    return {ATTRIBUTE_ARN: str(tracker["eventTrackerArn"]), ATTRIBUTE_TRACKING_ID: str(tracker["trackingId"])}
