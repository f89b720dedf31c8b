"""The local cloud's clock, under a test's control.

Everything the emulated service times (status windows, the read lag, rate-limit refills, the
latency fault) reads this clock, never the wall clock directly. A test that watches those
windows pauses the clock, so that a busy machine cannot close a window before the test looks,
and moves it on with `advance`. A running clock follows the wall clock, plus whatever was
advanced.
"""

from __future__ import annotations

import threading
import time


class ControlledClock:
    """Seconds since the epoch, like `time.time`, that a test can pause, resume and advance."""

    def __init__(self, *, paused: bool = False) -> None:
        self._lock = threading.Lock()
        self._offset = 0.0  # what was advanced, and what the wall clock did while paused
        self._paused_at: float | None = time.time() if paused else None

    def __call__(self) -> float:
        with self._lock:
            return self._now()

    def _now(self) -> float:
        return (self._paused_at if self._paused_at is not None else time.time()) + self._offset

    @property
    def paused(self) -> bool:
        return self._paused_at is not None

    def pause(self) -> None:
        """Stop the clock: every status, window and bucket stays as it is until `advance` or `resume`."""
        with self._lock:
            if self._paused_at is None:
                self._paused_at = time.time()

    def resume(self) -> None:
        """Run again from where the clock stood: the paused stretch of wall time is skipped."""
        with self._lock:
            if self._paused_at is not None:
                self._offset -= time.time() - self._paused_at
                self._paused_at = None

    def advance(self, seconds: float) -> None:
        """Move the clock on at once."""
        if seconds < 0:
            raise ValueError(f"the clock cannot go back ({seconds} s)")
        with self._lock:
            self._offset += seconds

    def sleep(self, seconds: float) -> None:
        """Wait on this clock: a paused clock is advanced at once, a running one waits for real."""
        if self.paused:
            self.advance(seconds)
        else:
            time.sleep(seconds)
