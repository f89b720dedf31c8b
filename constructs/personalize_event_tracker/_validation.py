"""Synth-time validation: every rule an EventTracker's props must satisfy, in one place.

The limits come from the botocore model of Amazon Personalize (2018-05-22) and from
CloudFormation's rules for export names. Unresolved tokens are skipped: they are checked by
the handler at deploy time.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

from ._contract import MAX_TAGS_PER_RESOURCE, MAX_USER_TAGS, RESERVED_TAG_PREFIXES

NAME_PATTERN = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9\-_]*")
NAME_MAX_LENGTH = 63
ARN_PATTERN = re.compile(r"arn:([a-z\d-]+):personalize:.*:.*:.+")
ARN_MAX_LENGTH = 256
TRACKER_ARN_PATTERN = re.compile(r"arn:[a-z\d-]+:personalize:[^:]*:[^:]*:event-tracker/.+")
EXPORT_NAME_PATTERN = re.compile(r"[A-Za-z0-9:-]+")
EXPORT_NAME_MAX_LENGTH = 255
TAG_KEY_MAX_LENGTH = 128
TAG_VALUE_MAX_LENGTH = 256


def is_tag_text(text: str) -> bool:
    """The model's tag pattern ^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$: letters, separators, numbers, _.:/=+-@."""
    return all(unicodedata.category(char)[0] in "LZN" or char in "_.:/=+-@" for char in text)


class EventTrackerPropsError(ValueError):
    """Raised at synth time when an EventTracker's props cannot work."""


# A token inside a string, as aws-cdk-lib encodes it (STRING_TOKEN_REGEX in core/lib/private/
# encoding): a `${Token[...]}` marker or a stringified number token. Matching it here answers
# Token.is_unresolved for a string without a jsii round trip; tests/unit/test_validation.py
# checks the two agree on every supported release.
_STRING_TOKEN = re.compile(r"\$\{Token\[[a-zA-Z0-9:._-]+\]\}|-1\.\d{10,16}e\+289")


def is_unresolved(value: str) -> bool:
    """Whether a string holds a token (Token.is_unresolved), answered in Python."""
    return _STRING_TOKEN.search(value) is not None


def _literal(value: object) -> bool:
    return isinstance(value, str) and not is_unresolved(value)


def check_event_tracker_name(name: str) -> str | None:
    if not _literal(name):
        return None
    if not 1 <= len(name) <= NAME_MAX_LENGTH:
        return f"event_tracker_name {name!r} has {len(name)} characters; allowed: 1 to {NAME_MAX_LENGTH}."
    if not NAME_PATTERN.fullmatch(name):
        return (
            f"event_tracker_name {name!r} is not allowed: use letters, digits, '-' and '_', "
            "starting with a letter or digit."
        )
    return None


def check_dataset_group_arn(arn: str) -> str | None:
    if not _literal(arn):
        return None
    if len(arn) > ARN_MAX_LENGTH or not ARN_PATTERN.fullmatch(arn):
        return (
            f"dataset_group_arn {arn!r} is not an Amazon Personalize ARN "
            "(arn:<partition>:personalize:<region>:<account>:dataset-group/<name>, "
            f"at most {ARN_MAX_LENGTH} characters)."
        )
    return None


def check_event_tracker_arn(arn: str) -> str | None:
    if not _literal(arn):
        return None
    if len(arn) > ARN_MAX_LENGTH or not TRACKER_ARN_PATTERN.fullmatch(arn):
        return (
            f"event_tracker_arn {arn!r} is not an event tracker ARN "
            "(arn:<partition>:personalize:<region>:<account>:event-tracker/<id>)."
        )
    return None


def check_export_name(export_name: str) -> str | None:
    if not _literal(export_name):
        return None
    if not 1 <= len(export_name) <= EXPORT_NAME_MAX_LENGTH or not EXPORT_NAME_PATTERN.fullmatch(export_name):
        return (
            f"export_name {export_name!r} is not allowed: CloudFormation export names are 1 to "
            f"{EXPORT_NAME_MAX_LENGTH} letters, digits, ':' and '-'."
        )
    return None


# SSM parameter names: letters, digits and _.-/, at most 2048 characters (a path begins with /),
# at most 15 levels, and not beginning with aws or ssm (reserved), in any case.
PARAMETER_NAME_PATTERN = re.compile(r"[a-zA-Z0-9_.\-/]+")
PARAMETER_NAME_MAX_LENGTH = 2048
PARAMETER_NAME_MAX_LEVELS = 15


def check_parameter_name(name: str | None) -> str | None:
    if name is None or not _literal(name):
        return None
    problem = ""
    if not 1 <= len(name) <= PARAMETER_NAME_MAX_LENGTH or not PARAMETER_NAME_PATTERN.fullmatch(name):
        problem = f"1 to {PARAMETER_NAME_MAX_LENGTH} letters, digits and _.-/"
    elif "/" in name and not name.startswith("/"):
        problem = "a name with a path begins with /"
    elif name.count("/") > PARAMETER_NAME_MAX_LEVELS:
        problem = f"at most {PARAMETER_NAME_MAX_LEVELS} levels"
    elif name.lstrip("/").lower().startswith(("aws", "ssm")):
        problem = "names beginning with aws or ssm are reserved"
    return f"tracking_id_parameter_name {name!r} is not an SSM parameter name: {problem}." if problem else None


def check_export_choice(export_name: str | None, exported: bool) -> str | None:
    if export_name is not None and not exported:
        return "export_name is given but export_tracking_id is false: give one or the other."
    return None


def check_tags(tags: Mapping[str, str]) -> list[str]:
    problems = []
    for key, value in tags.items():
        if not _literal(key) or not isinstance(value, str):
            continue
        if not 1 <= len(key) <= TAG_KEY_MAX_LENGTH or not is_tag_text(key):
            problems.append(
                f"tag key {key!r} is not allowed: 1 to {TAG_KEY_MAX_LENGTH} letters, digits, spaces and _.:/=+-@."
            )
        elif key.startswith(RESERVED_TAG_PREFIXES):
            problems.append(
                f"tag key {key!r} uses a reserved prefix ({', '.join(RESERVED_TAG_PREFIXES)}): "
                "the ownership tags live there."
            )
        if _literal(value) and (len(value) > TAG_VALUE_MAX_LENGTH or not is_tag_text(value)):
            problems.append(
                f"the value of tag {key!r} is not allowed: at most {TAG_VALUE_MAX_LENGTH} letters, digits, "
                "spaces and _.:/=+-@."
            )
    problem = check_tag_count(len(tags))
    return problems + ([problem] if problem else [])


def check_tag_count(user_tags: int) -> str | None:
    """The tags a tracker would carry: the user's (its own and those of ``Tags.of``) and two ownership tags."""
    if user_tags <= MAX_USER_TAGS:
        return None
    return (
        f"the tracker would carry {user_tags + 2} tags ({user_tags} given, directly or with Tags.of, plus "
        f"two ownership tags); allowed: at most {MAX_TAGS_PER_RESOURCE} per Personalize resource."
    )


def raise_if_any(path: str, problems: list[str]) -> None:
    """Raise one error naming the construct and listing every problem found."""
    if problems:
        raise EventTrackerPropsError(f"EventTracker at '{path}': " + " ".join(problems))
