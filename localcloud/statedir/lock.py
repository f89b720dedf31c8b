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
# A process killed a moment ago may still hold it: a multithreaded process's main thread shows as
# a zombie (or is gone) before its last thread has closed the files. A lock whose holder is no
# longer running is waited for this long, so that `kill -9` then `up` works.
EXITING_GRACE_SECONDS = 5.0


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
            if not _take(descriptor, fcntl.LOCK_EX, root):
                raise DirectoryBusy(root, _pid_in(root))
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
        if not _take(descriptor, fcntl.LOCK_SH, root):
            return _pid_in(root)
        fcntl.flock(descriptor, fcntl.LOCK_UN)
        return None
    finally:
        os.close(descriptor)


def _take(descriptor: int, mode: int, root: Path) -> bool:
    """Take the flock in `mode`; False when a running process holds it. Tried `ATTEMPTS` times,
    and for up to `EXITING_GRACE_SECONDS` while its holder is exiting."""
    exiting_until = 0.0
    attempt = 0
    while True:
        try:
            fcntl.flock(descriptor, mode | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            attempt += 1
        pid = _pid_in(root)
        if pid > 0 and not running(pid):
            exiting_until = exiting_until or time.monotonic() + EXITING_GRACE_SECONDS
            if time.monotonic() > exiting_until:
                return False
        elif attempt >= ATTEMPTS:
            return False
        time.sleep(ATTEMPT_PAUSE_SECONDS)


def running(pid: int) -> bool:
    """Whether the process is alive and not a zombie (its main thread, at least, has not exited):
    a zombie serves nothing, and one whose main thread has exited is on its way out."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")", 1)[1].split()[0]
    except (OSError, IndexError):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    return state not in ("Z", "X")


def _pid_in(root: Path) -> int:
    with suppress(OSError, ValueError):
        return int((root / LOCK_FILE).read_text().strip() or 0)
    return 0
