"""What goes wrong on purpose, and where the service's documented behaviour leaves a choice."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .model import ServiceError
from .rate_limits import RateLimits

# The error a second tracker on a dataset group may get: the API reference names none.
ONE_TRACKER_ERRORS = ("ResourceAlreadyExistsException", "LimitExceededException")
# The error PutEvents answers for the trackingId of a tracker that is not ACTIVE (being created,
# failed, being deleted): the API reference only says the tracker must be ACTIVE first.
INACTIVE_TRACKER_ERRORS = ("ResourceNotFoundException", "ResourceInUseException", "InvalidInputException")
# What PutEvents does with events for a dataset group that has no Interactions dataset yet: the
# guide says to create the dataset first, and does not say what happens otherwise.
EVENTS_WITHOUT_DATASET = ("accept", "refuse")
CHOICES: dict[str, tuple[str, ...]] = {
    "one_tracker_error": ONE_TRACKER_ERRORS,
    "inactive_tracker_error": INACTIVE_TRACKER_ERRORS,
    "events_without_dataset": EVENTS_WITHOUT_DATASET,
}


@dataclass
class Faults:
    """What goes wrong, on purpose. Each list is consumed one entry per call."""

    # operation -> error codes answered by its next calls (LimitExceededException, ThrottlingException)
    throttle: dict[str, list[str]] = field(default_factory=dict)
    # operation -> number of next calls answered with HTTP 500
    server_errors: dict[str, int] = field(default_factory=dict)
    # the next N event trackers end in CREATE FAILED
    fail_tracker_creations: int = 0
    # Delays field -> seconds added to that status's duration
    slow: dict[str, float] = field(default_factory=dict)
    # operation -> seconds every call of it takes before it is answered
    latency: dict[str, float] = field(default_factory=dict)
    # operation -> {"rate": calls per second, "burst": tokens}: a token bucket per operation; a
    # call that finds it empty is refused (LimitExceededException for Create*, else ThrottlingException)
    rate_limits: dict[str, dict[str, float]] = field(default_factory=dict)

    # Where the documentation leaves the service's behaviour open, each variant can be chosen:
    # the error a second tracker on a dataset group gets (the API reference names none)
    one_tracker_error: str = "ResourceAlreadyExistsException"
    # the error PutEvents answers for a tracker that is not ACTIVE: the data plane does not know
    # a trackingId before its tracker is ready, as it does not know an unknown one
    inactive_tracker_error: str = "ResourceNotFoundException"
    # "accept": recorded for the tracker's dataset group, checked against the API alone, and
    # exported once the group has an Interactions dataset; "refuse": ResourceNotFoundException
    events_without_dataset: str = "accept"
    # seconds a new tracker stays invisible to reads (Describe, ListTags: not found; lists leave it out)
    read_lag: float = 0.0


class RateLimited(ServiceError):
    """A call refused by its operation's rate limit."""


class FaultInjector:
    """Holds the faults and refuses the calls they say to refuse, before an operation runs."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.faults = Faults()
        self._rate_limits = RateLimits(clock)

    def set(self, **changes: Any) -> None:
        for name, value in changes.items():
            if not hasattr(self.faults, name):
                raise ValueError(f"unknown fault {name!r}")
            if name in CHOICES and value not in CHOICES[name]:
                raise ValueError(f"{name} must be one of {', '.join(CHOICES[name])}")
            if name == "rate_limits":
                self._rate_limits.configure(value)
            setattr(self.faults, name, value)

    def reset(self) -> None:
        self.faults = Faults()
        self._rate_limits.configure({})

    def before(self, operation: str) -> None:
        """Raise the error a fault answers this call with, if any."""
        if not self._rate_limits.admit(operation):
            code = "LimitExceededException" if operation.startswith("Create") else "ThrottlingException"
            raise RateLimited(code, "Rate exceeded")
        throttled = self.faults.throttle.get(operation)
        if throttled:
            raise ServiceError(throttled.pop(0), "Rate exceeded")
        if self.faults.server_errors.get(operation, 0) > 0:
            self.faults.server_errors[operation] -= 1
            raise ServiceError("InternalServerError", "We encountered an internal error. Please try again.", 500)


class Gates:
    """Operations whose calls wait until a test lets them through: the order of two callers made certain.

    A test closes an operation's gate, waits until a call is held there (`waiting`), arranges
    what must happen first, and opens it. No timing is involved, so a busy machine cannot
    change the order.
    """

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._closed: set[str] = set()
        self._waiting: Counter[str] = Counter()

    def close(self, operation: str) -> None:
        with self._condition:
            self._closed.add(operation)

    def open(self, operation: str) -> None:
        with self._condition:
            self._closed.discard(operation)
            self._condition.notify_all()

    def open_all(self) -> None:
        with self._condition:
            self._closed.clear()
            self._condition.notify_all()

    def waiting(self, operation: str) -> int:
        """How many calls of `operation` are held at its gate now."""
        with self._condition:
            return self._waiting[operation]

    def held(self) -> tuple[list[str], dict[str, int]]:
        """The closed gates, and how many calls each gate holds now (only those holding any)."""
        with self._condition:
            return sorted(self._closed), {name: count for name, count in self._waiting.items() if count}

    def pass_through(self, operation: str) -> None:
        """Return once the operation's gate is open (at once when it was never closed)."""
        with self._condition:
            self._waiting[operation] += 1
            self._condition.wait_for(lambda: operation not in self._closed)
            self._waiting[operation] -= 1
