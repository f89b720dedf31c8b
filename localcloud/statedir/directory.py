"""`StateDirectory`: one endpoint's hold on its state directory, from its start to its stop.

Opening takes, in this order, what lets nothing be read or written that should not be:

1. the lock (`lock.py`): another live local cloud on the directory refuses this one, naming its
   pid, before anything is read or written;
2. the version (`version.py`): a directory this local cloud cannot read whole is refused, one of
   an older version migrated, a new one marked;
3. the leftovers of killed writes removed (`files.remove_partials`);
4. the fence (`fence.py`) every writer of the directory's files holds.

Closing closes the fence, then releases the lock: after that, none of this endpoint's threads
writes the directory, and another server may open it.
"""

from __future__ import annotations

import logging
from pathlib import Path

from .fence import Fence, open_fence
from .files import remove_partials
from .lock import DirectoryLock
from .version import STATE_VERSION, settle_version

LOG = logging.getLogger("localcloud.statedir")


class StateDirectory:
    """An opened state directory: its lock held, its version settled, its fence open."""

    def __init__(self, root: Path, lock: DirectoryLock, fence: Fence) -> None:
        self.root = root
        self.fence = fence
        self._lock = lock

    @classmethod
    def open(cls, root: Path) -> StateDirectory:
        """DirectoryBusy or IncompatibleState, having changed nothing in `root`, when it cannot be opened."""
        root.mkdir(parents=True, exist_ok=True)
        lock = DirectoryLock.acquire(root)
        try:
            fence = open_fence(root)
            found = settle_version(root, fence)
            if found is not None and found != STATE_VERSION:
                LOG.info("the state in %s was migrated from state version %d", root, found)
            for leftover in remove_partials(root):
                LOG.info("removed %s, left by a write a stop interrupted", leftover)
        except BaseException:
            lock.release()
            raise
        return cls(root, lock, fence)

    def close(self) -> None:
        """No writes from now on (those under way end first); then the lock is released."""
        self.fence.close()
        self._lock.release()
