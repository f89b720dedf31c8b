"""CreateEventTracker under the one-tracker rule: a dataset group holds one event tracker.

docs/design.md, "Lifecycle" (Create, the group holds a tracker) and "What the service leaves
open" (the rule's error). When the group already holds a tracker, this resource's own is adopted
(same name) or deleted to make way (any other), and anyone else's is never touched. The rule's
error may be LimitExceededException, which is also throttling: looks at the group tell them apart.
"""

from __future__ import annotations

import logging

from botocore.exceptions import ClientError

from . import service
from .answers import HandlerError
from .contract import TrackerSpec
from .ownership import Owner, is_owned_by, user_tags
from .retrying import (
    THROTTLING_CODES,
    StillRefused,
    backoff_delays,
    call,
    error_code,
    is_retryable,
    is_transient,
    now,
    sleep_within,
)
from .service import ACTIVE, CREATING, find_tracker_on, tag_list, tags_of, update_tags
from .waiting import POLL_MAX_INTERVAL, delete_tracker, poll_intervals

logger = logging.getLogger(__name__)

# CreateEventTracker on a dataset group that holds a tracker fails, with an error the API
# reference does not name: ResourceAlreadyExistsException, or plausibly LimitExceededException,
# which is also throttling. On these LimitExceeded refusals in a row (at most about 10 s, 28 s
# and 3 min in) the handler lists the group to tell the two apart: a foreign tracker is
# reported within a minute, while 50 throttled creates do not flood ListEventTrackers, whose
# own rate limit is low.
GROUP_LOOKS = frozenset({3, 6, 24})


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
                service.personalize.create_event_tracker,
                deadline,
                delays=throttle_delays,
                retryable=is_retryable_create,
                name=spec.name,
                datasetGroupArn=spec.dataset_group_arn,
                tags=tags,
            )
            logger.info("Creating event tracker %s on %s", response["eventTrackerArn"], spec.dataset_group_arn)
            return str(response["eventTrackerArn"]), now()
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
            service.personalize.list_event_trackers,
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
