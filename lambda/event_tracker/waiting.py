"""Waiting for a tracker: polls until it is ACTIVE or gone, through reads that lag a write.

docs/design.md, "Waiting, retrying and time budgets" (polling) and "What the service leaves
open" (reads right after a create). Deleting a tracker lives here too: it is a call followed by
waits, first for a creation to finish (ResourceInUse), then for the tracker to be gone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

from botocore.exceptions import ClientError

from . import service
from .answers import HandlerError
from .retrying import THROTTLING_CODES, backoff_delays, call, error_code, now, sleep_within
from .service import CREATING, DELETING, describe, status_of

logger = logging.getLogger(__name__)

# --- polling ---
# The first check comes half a second after the call and the interval doubles up to 2 s:
# the answer reaches CloudFormation about a second after the state change on average, with
# about W/2 Describe calls for a wait of W seconds.
POLL_FIRST_INTERVAL = 0.5
POLL_MAX_INTERVAL = 2.0

# --- reads that lag a write ---
# Right after CreateEventTracker, reads may not see the new tracker yet (many AWS control planes
# are eventually consistent; Personalize documents nothing either way). For this long after our
# own create, "not found" from Describe or ListTags, or a list that leaves the tracker out,
# means "not visible yet". Other control planes settle within seconds: 20 s covers several
# times that, while a tracker really deleted during its creation is still reported soon.
VISIBILITY_WINDOW_SECONDS = 20.0


class WaitTimedOut(HandlerError):
    """The function's time budget ran out before the tracker reached the awaited state."""


def poll_intervals() -> Iterator[float]:
    interval = POLL_FIRST_INTERVAL
    while True:
        yield interval
        interval = min(interval * 2, POLL_MAX_INTERVAL)


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
        if tracker is None and now() < invisible_until:
            continue
        if status_of(tracker) != status:
            status = status_of(tracker)
            logger.info("Event tracker %s is %s", arn, status or "gone")
        if done(status):
            return tracker


def delete_tracker(arn: str, deadline: float) -> None:
    """Delete the tracker and wait until it is gone; a tracker already gone is success."""
    # DeleteEventTracker straight away: trackers are usually ACTIVE, and a Describe first would
    # cost every tracker one more call against Describe's rate limit.
    in_use_wait = poll_intervals()
    while True:
        try:
            call(service.personalize.delete_event_tracker, deadline, eventTrackerArn=arn)
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
