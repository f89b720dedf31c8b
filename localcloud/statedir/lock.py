"""One live server per state directory: an exclusive flock on `<state-dir>/lock`, which holds its pid.

The lock is the kernel's, so it goes with the process that held it, however that process ended:
a server killed with SIGKILL leaves a lock file but no lock. Two servers on one directory would
each replay the other's writes and write over its files; the second is refused, naming the first.
"""

from __future__ import annotations

import fcntl
import os
import time
from contextlib import suppress
from pathlib import Path

LOCK_FILE = "lock"
# A second process may probe the lock (`holder`, for `up` and `down`) at the moment a server takes
# it; the server looks again this often before it believes the directory is held.
ATTEMPTS = 3
ATTEMPT_PAUSE_SECONDS = 0.05


class DirectoryBusy(RuntimeError):
    """Another live local cloud holds the state directory."""

    def __init__(self, root: Path, pid: int) -> None:
        holder = f"pid {pid}" if pid > 0 else "a process that has not said its pid yet"
        super().__init__(
            f"the state directory {root} is in use by another local cloud ({holder}): stop it with "
            f"`python -m localcloud down --state-dir {root}`, or give this one another --state-dir"
        )
        self.root = root
        self.pid = pid


class DirectoryLock:
    """The lock on one state directory, held until `release` or the end of the process."""

    def __init__(self, root: Path, descriptor: int) -> None:
        self.root = root
        self._descriptor = descriptor

    @classmethod
    def acquire(cls, root: Path) -> DirectoryLock:
        """Take the lock (the directory must exist); DirectoryBusy, having written nothing, when it is held."""
        descriptor = os.open(root / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            for attempt in range(ATTEMPTS):
                try:
                    fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if attempt == ATTEMPTS - 1:
                        raise DirectoryBusy(root, _pid_in(root)) from None
                    time.sleep(ATTEMPT_PAUSE_SECONDS)
            os.ftruncate(descriptor, 0)
            os.pwrite(descriptor, f"{os.getpid()}\n".encode(), 0)
        except BaseException:
            os.close(descriptor)
            raise
        return cls(root, descriptor)

    def release(self) -> None:
        if self._descriptor >= 0:
            os.close(self._descriptor)  # closing the only descriptor of the file releases the lock
            self._descriptor = -1


def holder(root: Path) -> int | None:
    """The pid of the live process that holds the directory's lock (0 if it has not written it
    yet); None when no process holds it."""
    try:
        descriptor = os.open(root / LOCK_FILE, os.O_RDONLY)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _pid_in(root)
        fcntl.flock(descriptor, fcntl.LOCK_UN)
        return None
    finally:
        os.close(descriptor)


def _pid_in(root: Path) -> int:
    with suppress(OSError, ValueError):
        return int((root / LOCK_FILE).read_text().strip() or 0)
    return 0
