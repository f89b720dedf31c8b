"""The time budget and the riding out of refused calls: throttling, 5xx, connection errors.

docs/design.md, "Waiting, retrying and time budgets". Every Personalize call goes through `call`,
which retries until the invocation's budget ends, with pauses from `backoff_delays`. This module
holds the handler's clock: deadlines, windows and pauses are all measured by `now` and
`sleep_within`, so the handler tests fake time here alone (and in answers' delivery pauses).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from botocore.exceptions import ClientError
from botocore.exceptions import ConnectionError as BotocoreConnectionError

from .answers import HandlerError

logger = logging.getLogger(__name__)

# --- the time budget ---
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


class StillRefused(HandlerError):
    """Personalize kept refusing a call (throttling, a transient error) until the time budget ran out."""

    def __init__(self, operation: str, problem: str) -> None:
        super().__init__(
            f"Personalize {operation} kept failing ({problem}) until the function's time budget ran out. "
            "Retry the deployment; raise the service quota if it recurs."
        )


def now() -> float:
    """The handler's clock, in monotonic seconds: what every deadline and window is measured on."""
    return time.monotonic()


def deadline_of(context: Any) -> float:
    """The monotonic time by which the handler must stop waiting, leaving time to answer."""
    remaining = float(context.get_remaining_time_in_millis()) / 1000.0
    return now() + remaining - SAFETY_MARGIN_SECONDS


def sleep_within(interval: float, deadline: float) -> bool:
    """Sleep for `interval`, or until `deadline` if that comes first; False when no time is left."""
    remaining = deadline - now()
    if remaining <= 0:
        return False
    time.sleep(min(interval, remaining))
    return True


def backoff_delays() -> Iterator[float]:
    """Pauses between tries of a refused call: 0-6 s, 2-4 s, 4-8 s, then 5-10 s each."""
    yield random.uniform(0.0, BACKOFF_SPREAD_SECONDS)  # noqa: S311 (jitter, not a secret)
    ceiling = BACKOFF_SECOND_SECONDS
    while True:
        yield ceiling / 2 + random.uniform(0.0, ceiling / 2)  # noqa: S311
        ceiling = min(ceiling * 2, BACKOFF_MAX_SECONDS)


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
