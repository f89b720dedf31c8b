"""The fence: once an endpoint has stopped, no thread of it writes its state directory again.

A stack operation can be waiting on a custom resource when the server is told to stop, and a
request can be half way through a write to moto. The process exits soon after (`serve`), or, in
a test, another endpoint opens the same directory in the same process; in both cases a thread
of the stopped endpoint must never write the directory again, or it would record as failed an
operation the next start should find in progress, or write under the next server.

Every writer of a state directory's files holds its directory's `Fence`, taken when the writer is
made, and writes through it (`files.py`). The endpoint that opened the directory closes the
fence when it stops: a write under way ends first, and a write that comes later raises
`StateFenced` in its thread. A later opening of the directory makes a new fence, so the
writers of the stopped endpoint stay fenced for good.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# How long closing the fence waits for writes under way: a write is a few milliseconds, so this
# only guards against a disk that hangs.
WRITES_GUARD_SECONDS = 2.0


class StateFenced(SystemExit):
    """Raised in a thread that would write a state directory whose endpoint has stopped.

    A SystemExit, so that it ends the thread quietly: no `except Exception` of the engine takes
    it for a failure of the operation and records one (the state must keep the operation as it
    was when the stop came), and Python's threads end on it without a traceback.
    """


class Fence:
    """Writes to one state directory, until it is closed."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._condition = threading.Condition()
        self._writing = 0
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    @contextmanager
    def writing(self, path: Path) -> Iterator[None]:
        """One write of `path`; StateFenced once the fence is closed."""
        with self._condition:
            if self._closed:
                raise StateFenced(f"{path}: the local cloud that owned {self.root} has stopped")
            self._writing += 1
        try:
            yield
        finally:
            with self._condition:
                self._writing -= 1
                self._condition.notify_all()

    def close(self, timeout: float = WRITES_GUARD_SECONDS) -> None:
        """No write starts from now on; returns once the writes under way have ended."""
        with self._condition:
            self._closed = True
            self._condition.wait_for(lambda: self._writing == 0, timeout)
        with _REGISTRY_LOCK:
            if _FENCES.get(self.root) is self:
                del _FENCES[self.root]


# The open fence of each directory, by its resolved path.
_FENCES: dict[Path, Fence] = {}
_REGISTRY_LOCK = threading.Lock()


def fence_of(path: Path) -> Fence:
    """The fence a writer of `path` holds: that of the opened state directory holding it, or, for a
    file in a directory no endpoint has opened (a test's own Personalize, made before its endpoint),
    one for the file's directory, which an endpoint opening that directory then takes over."""
    resolved = path.resolve()
    with _REGISTRY_LOCK:
        for directory in resolved.parents:
            if directory in _FENCES:
                return _FENCES[directory]
        return _FENCES.setdefault(resolved.parent, Fence(resolved.parent))


def open_fence(root: Path) -> Fence:
    """The fence of a state directory an endpoint opens: the open one its writers made before
    already hold, or a new one (never a closed one: that is a stopped endpoint's)."""
    resolved = root.resolve()
    with _REGISTRY_LOCK:
        fence = _FENCES.get(resolved)
        if fence is None or fence.closed:
            fence = _FENCES[resolved] = Fence(resolved)
        return fence
