"""CloudFormation custom resource handler for ``Custom::PersonalizeEventTracker``.

Creates an Amazon Personalize event tracker, waits until it is ACTIVE, replaces it when its
name or dataset group changes, retags it in place, and deletes it, waiting until it is gone.
docs/design.md holds the contract this module implements: sections "The resource contract",
"Lifecycle", "Ownership tags", "Waiting, retrying and time budgets" and "What the service leaves open".

This file is the whole handler. Lambda imports it as ``event_tracker.index`` (the package sits at
the asset root), the tests as ``personalize_event_tracker._handler.index``.
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import random
import re
import ssl
import time
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.exceptions import ConnectionError as BotocoreConnectionError
from crhelper import CfnResource

if TYPE_CHECKING:  # the stubs are a development tool; Lambda's runtime has only boto3
    from mypy_boto3_personalize.type_defs import TagTypeDef

logger = logging.getLogger(__name__)

# Pauses between tries to deliver an answer: about 15 s in all, then the answer is given up.
ANSWER_RETRY_PAUSES = (0.5, 1.0, 2.0, 4.0, 8.0)


def put_answer(url: str, body: Mapping[str, Any], ssl_verify: Any = None) -> None:
    """PUT the answer to the ResponseURL, retrying connection errors and 5xx answers.

    crhelper's own sender treats any HTTP answer as delivered, so a 5xx from S3 would leave
    CloudFormation waiting until the ServiceTimeout. The URL is never logged: it is a credential.
    """
    payload = json.dumps(body).encode()
    parts = urlsplit(url)
    target = urlunsplit(("", "", parts.path, parts.query, ""))
    headers = {"content-type": "", "content-length": str(len(payload))}
    problem = ""
    for pause in (*ANSWER_RETRY_PAUSES, None):
        try:
            connection = http.client.HTTPSConnection(parts.netloc, context=ssl.create_default_context(), timeout=10)
            try:
                connection.request("PUT", target, body=payload, headers=headers)
                status = connection.getresponse().status
            finally:
                connection.close()
            if status < 500:
                log = logger.info if status < 300 else logger.error
                log("Answer %s delivered to CloudFormation: HTTP %s", body.get("Status"), status)
                return
            problem = f"HTTP {status}"
        except (OSError, http.client.HTTPException) as error:
            problem = type(error).__name__
        if pause is None:
            break
        logger.warning("Answer not delivered (%s); retrying in %s s", problem, pause)
        time.sleep(pause)
    logger.error("Answer not delivered after %d tries (%s)", len(ANSWER_RETRY_PAUSES) + 1, problem)


class CheckedCfnResource(CfnResource):
    """crhelper's CfnResource, delivering its answers through put_answer."""

    def _send(self, status: str | None = None, reason: str = "", send_response: Any = None) -> None:
        # _send is private to crhelper (pinned, in maintenance mode), so its stubs omit it.
        super()._send(status, reason, send_response=send_response or put_answer)  # type: ignore[misc]


# The defaults log every event and response at DEBUG (ResponseURL and trackingId included) and
# sleep 120 s before answering each Delete; our Delete already waits for the tracker to be gone.
helper = CheckedCfnResource(log_level="INFO", sleep_on_delete=0)

# One attempt per call: `call()` retries throttling and transient errors itself, for as long as
# the invocation's time budget allows, where botocore's modes give up after a fixed count.
personalize = boto3.client(
    "personalize",
    region_name=os.environ.get("AWS_REGION"),
    config=Config(retries={"mode": "standard", "total_max_attempts": 1}, connect_timeout=5, read_timeout=15),
)

# --- the contract shared with the construct (tests/test_contract.py keeps both sides equal) ---
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
OWNER_STACK_TAG = TAG_NAMESPACE + "stack-id"
OWNER_LOGICAL_ID_TAG = TAG_NAMESPACE + "logical-id"
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

# --- statuses (note the space in the CREATE ones) ---
ACTIVE = "ACTIVE"
CREATE_FAILED = "CREATE FAILED"
CREATING = frozenset({"CREATE PENDING", "CREATE IN_PROGRESS"})
DELETING = frozenset({"DELETE PENDING", "DELETE IN_PROGRESS"})

# --- waiting ---
# The first check comes half a second after the call and the interval doubles up to 2 s:
# the answer reaches CloudFormation about a second after the state change on average, with
# about W/2 Describe calls for a wait of W seconds.
POLL_FIRST_INTERVAL = 0.5
POLL_MAX_INTERVAL = 2.0
# Kept free at the end of the invocation to answer FAILED ourselves; crhelper's own timer
# fires only 0.5 s before the Lambda deadline.
SAFETY_MARGIN_SECONDS = 5.0

# --- riding out throttling ---
# Each invocation is its own Lambda with no view of the others: CloudFormation starts the
# trackers of a stack together, so their first calls arrive as one crowd. The first retry is
# spread uniformly over BACKOFF_SPREAD_SECONDS to break the crowd up; later ones grow
# exponentially with "equal jitter" (half fixed, half random) so that a long queue thins out,
# and are capped so that the last in the queue are not left asleep once the service frees up.
# bench/scale.py measures the result against the rate-limit floor.
BACKOFF_SPREAD_SECONDS = 6.0
BACKOFF_SECOND_SECONDS = 4.0
BACKOFF_MAX_SECONDS = 10.0
# Codes that mean "too fast, slow down" (the set botocore's standard mode treats as throttling)
# and codes that mean "the service stumbled, try again".
THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "LimitExceededException",
        "RequestThrottled",
        "SlowDown",
        "PriorRequestNotComplete",
        "EC2ThrottledException",
    }
)
TRANSIENT_CODES = frozenset({"RequestTimeout", "RequestTimeoutException", "InternalServerError", "InternalFailure"})
TRANSIENT_HTTP_STATUSES = frozenset({500, 502, 503, 504})

# --- reads that lag a write ---
# Right after CreateEventTracker, reads may not see the new tracker yet (many AWS control planes
# are eventually consistent; Personalize documents nothing either way). For this long after our
# own create, "not found" from Describe or ListTags, or a list that leaves the tracker out,
# means "not visible yet". Other control planes settle within seconds: 20 s covers several
# times that, while a tracker really deleted during its creation is still reported soon.
VISIBILITY_WINDOW_SECONDS = 20.0

# --- the one-tracker rule ---
# CreateEventTracker on a dataset group that holds a tracker fails, with an error the API
# reference does not name: ResourceAlreadyExistsException, or plausibly LimitExceededException,
# which is also throttling. On these LimitExceeded refusals in a row (at most about 10 s, 28 s
# and 3 min in) the handler lists the group to tell the two apart: a foreign tracker is
# reported within a minute, while 50 throttled creates do not flood ListEventTrackers, whose
# own rate limit is low.
GROUP_LOOKS = frozenset({3, 6, 24})


MAX_REASON_LENGTH = 256  # crhelper keeps only the tail of a longer Reason


class HandlerError(Exception):
    """A failure whose message is the Reason CloudFormation shows: short, specific, actionable."""

    def __init__(self, reason: str) -> None:
        # Cut here, keeping the start: it names the problem.
        if len(reason) > MAX_REASON_LENGTH:
            reason = reason[: MAX_REASON_LENGTH - 3] + "..."
        super().__init__(reason)


class StillRefused(HandlerError):
    """Personalize kept refusing a call (throttling, a transient error) until the time budget ran out."""

    def __init__(self, operation: str, problem: str) -> None:
        super().__init__(
            f"Personalize {operation} kept failing ({problem}) until the function's time budget ran out. "
            "Retry the deployment; raise the service quota if it recurs."
        )


class WaitTimedOut(HandlerError):
    """The function's time budget ran out before the tracker reached the awaited state."""


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


@dataclass(frozen=True)
class TrackerSummary:
    arn: str
    name: str
    status: str


# ---------------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------------


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


def _lenient_dataset_group_arn(properties: Any) -> str | None:
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


# ---------------------------------------------------------------------------------------------
# Time budget, waiting and retrying
# ---------------------------------------------------------------------------------------------


def deadline_of(context: Any) -> float:
    """The monotonic time by which the handler must stop waiting, leaving time to answer."""
    remaining = float(context.get_remaining_time_in_millis()) / 1000.0
    return time.monotonic() + remaining - SAFETY_MARGIN_SECONDS


def poll_intervals() -> Iterator[float]:
    interval = POLL_FIRST_INTERVAL
    while True:
        yield interval
        interval = min(interval * 2, POLL_MAX_INTERVAL)


def backoff_delays() -> Iterator[float]:
    """Pauses between tries of a refused call: 0-6 s, 2-4 s, 4-8 s, then 5-10 s each."""
    yield random.uniform(0.0, BACKOFF_SPREAD_SECONDS)  # noqa: S311 (jitter, not a secret)
    ceiling = BACKOFF_SECOND_SECONDS
    while True:
        yield ceiling / 2 + random.uniform(0.0, ceiling / 2)  # noqa: S311
        ceiling = min(ceiling * 2, BACKOFF_MAX_SECONDS)


def sleep_within(interval: float, deadline: float) -> bool:
    """Sleep for `interval`, or until `deadline` if that comes first; False when no time is left."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        return False
    time.sleep(min(interval, remaining))
    return True


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def is_retryable(error: ClientError) -> bool:
    """Throttling, or a transient failure of the service: the same call may succeed later."""
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    code = error_code(error)
    return code in THROTTLING_CODES or code in TRANSIENT_CODES or status in TRANSIENT_HTTP_STATUSES


def operation_name(operation: Callable[..., Any]) -> str:
    """`create_event_tracker` -> `CreateEventTracker`, as the API reference names it."""
    return "".join(part.title() for part in getattr(operation, "__name__", "call").split("_"))


T = TypeVar("T")


def call(
    operation: Callable[..., T],
    deadline: float,
    *,
    delays: Iterator[float] | None = None,
    retryable: Callable[[ClientError], bool] = is_retryable,
    **params: Any,
) -> T:
    """Call Personalize, riding out throttling and transient errors until the deadline.

    `delays` lets a caller that retries on its own continue one backoff sequence across calls.
    """
    delays = delays if delays is not None else backoff_delays()
    while True:
        try:
            return operation(**params)
        except ClientError as error:
            if not retryable(error):
                raise
            problem = error_code(error) or "HTTP error"
        except BotocoreConnectionError as error:
            problem = type(error).__name__
        logger.info("Personalize %s refused (%s); retrying", operation_name(operation), problem)
        if not sleep_within(next(delays), deadline):
            raise StillRefused(operation_name(operation), problem)


def is_transient(error: ClientError) -> bool:
    """Retryable, but not throttling: for calls whose caller slows down on throttling itself."""
    return is_retryable(error) and error_code(error) not in THROTTLING_CODES


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


def wait_until(
    arn: str,
    done: Callable[[str | None], bool],
    deadline: float,
    goal: str,
    *,
    invisible_until: float = 0.0,
) -> dict[str, Any] | None:
    """Poll the tracker until `done(status)`; its last description (None: gone). WaitTimedOut past the deadline.

    Until the monotonic time `invisible_until`, "not found" means "not visible yet": polling goes on.
    A throttled poll is a poll without news: from then on the polls follow the backoff's slower
    pace, so that many waiting invocations thin out instead of crowding DescribeEventTracker.
    """
    status = None
    seen = "status None"
    intervals = poll_intervals()
    slowed = False
    while True:
        if not sleep_within(next(intervals), deadline):
            raise WaitTimedOut(
                f"Timed out waiting for event tracker {arn} to {goal} ({seen}). "
                "The function's time budget ran out; retry the operation."
            )
        try:
            tracker = describe(arn, deadline, retry_throttling=False)
        except ClientError as error:
            if error_code(error) not in THROTTLING_CODES:
                raise
            seen = f"DescribeEventTracker throttled: {error_code(error)}"
            logger.info("Personalize DescribeEventTracker refused (%s); polling more slowly", error_code(error))
            if not slowed:
                intervals, slowed = backoff_delays(), True
            continue
        seen = f"status {status_of(tracker)}"
        if tracker is None and time.monotonic() < invisible_until:
            continue
        if status_of(tracker) != status:
            status = status_of(tracker)
            logger.info("Event tracker %s is %s", arn, status or "gone")
        if done(status):
            return tracker


# ---------------------------------------------------------------------------------------------
# Personalize operations
# ---------------------------------------------------------------------------------------------


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


def is_owned_by(tags: Mapping[str, str] | None, owner: Owner) -> bool:
    """Whether a tracker's tags are this custom resource's ownership tags."""
    return (
        tags is not None
        and tags.get(OWNER_STACK_TAG) == owner.stack_id
        and tags.get(OWNER_LOGICAL_ID_TAG) == owner.logical_id
    )


def user_tags(tags: Mapping[str, str]) -> dict[str, str]:
    return {key: value for key, value in tags.items() if not key.startswith(TAG_NAMESPACE)}


def create_tracker(spec: TrackerSpec, owner: Owner, deadline: float, *, protected: str | None = None) -> dict[str, Any]:
    """Create the tracker (or adopt our own matching one), wait until ACTIVE, return its description.

    `protected` is a retained tracker of this resource that must not be deleted to make way.
    """
    arn, created_at = start_create(spec, owner, deadline, protected)
    # From here on a FAILED answer (crhelper's own timeout included) carries the ARN, so the
    # rollback Delete finds and removes the tracker instead of orphaning it.
    helper.PhysicalResourceId = arn
    invisible_until = created_at + VISIBILITY_WINDOW_SECONDS if created_at is not None else 0.0
    tracker = wait_until(arn, lambda s: s not in CREATING, deadline, "become ACTIVE", invisible_until=invisible_until)
    status = status_of(tracker)
    if tracker is not None and status == ACTIVE:
        return tracker
    if status is None:
        raise HandlerError(f"Event tracker {arn} was deleted while being created. Retry the deployment.")
    raise HandlerError(
        f"Event tracker {arn} ended in {status} (Personalize gives no reason). Check the dataset "
        "group and your quotas, then retry; the rollback deletes it."
    )


def is_retryable_create(error: ClientError) -> bool:
    # LimitExceededException from CreateEventTracker may be the one-tracker rule rather than
    # throttling (the API reference leaves the error open): start_create tells them apart.
    return is_retryable(error) and error_code(error) != "LimitExceededException"


def start_create(spec: TrackerSpec, owner: Owner, deadline: float, protected: str | None) -> tuple[str, float | None]:
    """CreateEventTracker, resolving the one-tracker rule and waiting out throttling and an inactive group.

    Returns the ARN and the monotonic time of our own create, or None for an adopted tracker.
    """
    tags = owner.tags() + tag_list(spec.tags)
    group_wait = poll_intervals()
    throttle_delays = backoff_delays()
    limit_exceeded = 0
    while True:
        try:
            response = call(
                personalize.create_event_tracker,
                deadline,
                delays=throttle_delays,
                retryable=is_retryable_create,
                name=spec.name,
                datasetGroupArn=spec.dataset_group_arn,
                tags=tags,
            )
            logger.info("Creating event tracker %s on %s", response["eventTrackerArn"], spec.dataset_group_arn)
            return str(response["eventTrackerArn"]), time.monotonic()
        except ClientError as error:
            code = error_code(error)
            if code == "ResourceAlreadyExistsException":
                adopted = make_way(spec, owner, deadline, protected)
                if adopted is not None:
                    return adopted, None
            elif code == "LimitExceededException":
                limit_exceeded += 1
                if limit_exceeded in GROUP_LOOKS and group_is_held(spec.dataset_group_arn, deadline):
                    adopted = make_way(spec, owner, deadline, protected)
                    if adopted is not None:
                        return adopted, None
                    continue
                if not sleep_within(next(throttle_delays), deadline):
                    raise StillRefused("CreateEventTracker", code) from None
            elif code == "ResourceInUseException":
                logger.info("Dataset group %s is not ACTIVE yet; retrying", spec.dataset_group_arn)
                if not sleep_within(next(group_wait), deadline):
                    raise HandlerError(
                        f"Dataset group {spec.dataset_group_arn} did not become ACTIVE in time "
                        "(CreateEventTracker: ResourceInUse). Retry once it is ACTIVE."
                    ) from None
            elif code == "ResourceNotFoundException":
                raise HandlerError(
                    f"Dataset group {spec.dataset_group_arn} does not exist. Check DatasetGroupArn."
                ) from None
            else:
                raise


def group_is_held(dataset_group_arn: str, deadline: float) -> bool:
    """Whether the dataset group lists a tracker; False also when the list itself is throttled.

    Asked to tell the one-tracker rule from throttling: when the service is busy, the answer
    can wait for the next look instead of adding to the crowd.
    """
    try:
        page = call(
            personalize.list_event_trackers,
            deadline,
            retryable=is_transient,
            datasetGroupArn=dataset_group_arn,
            maxResults=1,
        )
    except ClientError as error:
        if error_code(error) in THROTTLING_CODES or error_code(error) == "ResourceNotFoundException":
            return False
        raise
    return bool(page.get("eventTrackers"))


def make_way(spec: TrackerSpec, owner: Owner, deadline: float, protected: str | None) -> str | None:
    """Resolve the one-tracker rule: adopt our own matching tracker, or delete our other one.

    Returns the adopted ARN, or None once the dataset group is free (or the tracker the service
    reported is not visible yet: the caller creates again). A tracker this resource does not
    own is never touched, nor is a retained one.
    """
    existing = find_tracker_on(spec.dataset_group_arn, deadline)
    tags = tags_of(existing.arn, deadline) if existing is not None else None
    if existing is None or tags is None:
        # Gone meanwhile, or not visible yet: create again after a pause, within the budget.
        if not sleep_within(POLL_MAX_INTERVAL, deadline):
            raise HandlerError("CreateEventTracker reports a tracker on the dataset group, but none is listed. Retry.")
        return None
    if not is_owned_by(tags, owner):
        raise HandlerError(
            f"The dataset group already has event tracker {existing.arn}, which this resource does not "
            "own. A dataset group holds one tracker: delete that one or use another dataset group."
        )
    if existing.name == spec.name and (existing.status == ACTIVE or existing.status in CREATING):
        # A duplicate delivery of this Create, or the rollback of a replacement.
        logger.info("Adopting this resource's event tracker %s", existing.arn)
        update_tags(existing.arn, user_tags(tags), spec.tags, deadline)
        return existing.arn
    if existing.arn == protected:
        raise HandlerError(
            f"The dataset group holds the retained event tracker {existing.arn} (RemovalPolicy RETAIN) "
            "and takes one tracker, so a rename would delete it: keep the name, or deploy with "
            "RemovalPolicy DESTROY first."
        )
    # Ours but not the one wanted (the old name of a replacement, CREATE FAILED, being deleted):
    # the dataset group holds one tracker, so it must be gone before the new one is created.
    logger.info("Deleting this resource's event tracker %s (%s) to make way", existing.arn, existing.status)
    delete_tracker(existing.arn, deadline)
    return None


def delete_tracker(arn: str, deadline: float) -> None:
    """Delete the tracker and wait until it is gone; a tracker already gone is success."""
    # DeleteEventTracker straight away: trackers are usually ACTIVE, and a Describe first would
    # cost every tracker one more call against Describe's rate limit.
    in_use_wait = poll_intervals()
    while True:
        try:
            call(personalize.delete_event_tracker, deadline, eventTrackerArn=arn)
            logger.info("Deleting event tracker %s", arn)
            break
        except ClientError as error:
            code = error_code(error)
            if code == "ResourceNotFoundException":
                return
            if code != "ResourceInUseException":
                raise
        # In use: still being created (which must finish first), already being deleted, or busy.
        status = status_of(describe(arn, deadline))
        if status is None:
            return
        if status in DELETING:
            break
        if status in CREATING:
            wait_until(arn, lambda s: s not in CREATING, deadline, "finish creating before deletion")
        elif not sleep_within(next(in_use_wait), deadline):
            raise WaitTimedOut(
                f"Timed out waiting for event tracker {arn} to accept DeleteEventTracker (ResourceInUse, "
                f"status {status}). The function's time budget ran out; retry the operation."
            )
    wait_until(arn, lambda s: s is None, deadline, "be deleted")


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


def find_leftover(dataset_group_arn: str, owner: Owner, deadline: float) -> str | None:
    """Our tracker on the dataset group, left by a Create that failed or was cancelled, or None.

    A tracker created just before may not be listed yet: an empty group is looked at again for
    VISIBILITY_WINDOW_SECONDS before it is believed.
    """
    believe_after = min(deadline, time.monotonic() + VISIBILITY_WINDOW_SECONDS)
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


def attributes(tracker: Mapping[str, Any]) -> dict[str, str]:
    """The Data of a SUCCESS answer: what Fn::GetAtt returns."""
    return {ATTRIBUTE_ARN: str(tracker["eventTrackerArn"]), ATTRIBUTE_TRACKING_ID: str(tracker["trackingId"])}


# ---------------------------------------------------------------------------------------------
# Request handlers
# ---------------------------------------------------------------------------------------------


def owner_of(event: Mapping[str, Any]) -> Owner:
    return Owner(stack_id=str(event["StackId"]), logical_id=str(event["LogicalResourceId"]))


@helper.create
def on_create(event: Mapping[str, Any], context: Any) -> str:
    spec = parse_properties(event.get("ResourceProperties"))
    tracker = create_tracker(spec, owner_of(event), deadline_of(context))
    helper.Data.update(attributes(tracker))
    return str(tracker["eventTrackerArn"])


@helper.update
def on_update(event: Mapping[str, Any], context: Any) -> str:
    new = parse_properties(event.get("ResourceProperties"))
    deadline = deadline_of(context)
    owner = owner_of(event)
    current = str(event.get("PhysicalResourceId", ""))
    old = _parse_or_none(event.get("OldResourceProperties"))
    if is_tracker_arn(current) and old is not None and old.identity() == new.identity():
        # Tags or the removal policy changed: in place (a policy alone touches nothing).
        tracker = retag(current, old.tags, new.tags, deadline)
        if tracker is not None:
            helper.Data.update(attributes(tracker))
            return current
        # Deleted out of band: create it again, so neither this update nor a rollback is stuck.
        logger.info("Event tracker %s no longer exists; creating it again", current)
    if old is not None and old.dataset_group_arn != new.dataset_group_arn:
        discard_leftover(old.dataset_group_arn, current, owner, deadline)
    # Retained under either template: the stack must not delete it, not even to replace it.
    retained = new.retained or (old is not None and old.retained)
    try:
        # A same-group replacement meets the old tracker through the one-tracker rule; make_way
        # deletes it (ours, unless retained) and waits until it is gone before creating the new one.
        tracker = create_tracker(new, owner, deadline, protected=current if retained else None)
    except Exception:
        # A failed update keeps the resource's identity; its rollback Update cleans up.
        helper.PhysicalResourceId = current
        raise
    helper.Data.update(attributes(tracker))
    return str(tracker["eventTrackerArn"])


def discard_leftover(dataset_group_arn: str, current: str, owner: Owner, deadline: float) -> None:
    """Delete our tracker on `dataset_group_arn` unless it is the resource's current one.

    In a rollback, the old properties are those of the failed attempt: a tracker it created in
    another dataset group is owned by this resource but is not its PhysicalResourceId, and
    nothing else would ever delete it. In a forward update that tracker is the current one and
    is left for CloudFormation's cleanup Delete.
    """
    existing = find_tracker_on(dataset_group_arn, deadline)
    if existing is not None and existing.arn != current and is_owned_by(tags_of(existing.arn, deadline), owner):
        logger.info("Deleting event tracker %s left by a failed update", existing.arn)
        delete_tracker(existing.arn, deadline)


def _parse_or_none(properties: Any) -> TrackerSpec | None:
    try:
        return parse_properties(properties)
    except HandlerError:
        return None


@helper.delete
def on_delete(event: Mapping[str, Any], context: Any) -> str:
    physical_id = str(event.get("PhysicalResourceId", ""))
    deadline = deadline_of(context)
    if is_tracker_arn(physical_id):
        delete_tracker(physical_id, deadline)
        return physical_id
    # Not an ARN: the Create failed before it had a tracker, or was cancelled and CloudFormation
    # invented this id. Its tracker may still exist: find it by its ownership tags.
    dataset_group_arn = _lenient_dataset_group_arn(event.get("ResourceProperties"))
    if dataset_group_arn is not None:
        leftover = find_leftover(dataset_group_arn, owner_of(event), deadline)
        if leftover is not None:
            logger.info("Deleting event tracker %s left by an unfinished Create", leftover)
            delete_tracker(leftover, deadline)
    return physical_id


def handler(event: dict[str, Any], context: Any) -> None:
    """Lambda entry point."""
    helper(event, context)
