"""Per-operation rate limits, as AWS services apply them: a token bucket per operation.

A bucket holds at most `burst` tokens and refills at `rate` tokens per second; a call takes one
token or is refused. The service answers a refusal with its throttling error.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass


@dataclass
class TokenBucket:
    rate: float  # tokens per second
    burst: float  # the most tokens it holds; a full bucket at the start
    tokens: float
    refilled_at: float

    def take(self, now: float) -> bool:
        """Take a token if there is one; False when the call must be refused."""
        self.tokens = min(self.burst, self.tokens + (now - self.refilled_at) * self.rate)
        self.refilled_at = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


class RateLimits:
    """The buckets of every limited operation. Not thread-safe: the service calls it under its lock."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._buckets: dict[str, TokenBucket] = {}

    def configure(self, limits: Mapping[str, Mapping[str, float]]) -> None:
        """operation -> {"rate": per second, "burst": tokens (default: the rate, at least 1)}; full buckets."""
        now = self._clock()
        self._buckets = {}
        for operation, limit in limits.items():
            rate = float(limit["rate"])
            burst = float(limit.get("burst", max(1.0, rate)))
            if rate <= 0 or burst < 1:
                raise ValueError(f"rate limit of {operation}: rate must be > 0 and burst >= 1, got {dict(limit)}")
            self._buckets[operation] = TokenBucket(rate=rate, burst=burst, tokens=burst, refilled_at=now)

    def admit(self, operation: str) -> bool:
        """Whether a call of `operation` may go ahead now (unlimited operations always may)."""
        bucket = self._buckets.get(operation)
        return bucket is None or bucket.take(self._clock())


# Tight limits for the scale test and benchmark: CreateEventTracker at 2 per second, the reads a
# little faster. Real quotas are account- and region-specific and mostly unpublished; these are
# low enough that 50 trackers deployed together must queue.
TIGHT_LIMITS: dict[str, dict[str, float]] = {
    "CreateEventTracker": {"rate": 2, "burst": 2},
    "DescribeEventTracker": {"rate": 5, "burst": 5},
    "ListEventTrackers": {"rate": 2, "burst": 2},
    "ListTagsForResource": {"rate": 5, "burst": 5},
    "TagResource": {"rate": 5, "burst": 5},
}
