"""The local cloud's state directory (`--state-dir`, default `.localcloud`): whole after any kill,
versioned, held by one server at a time, and written by no thread of a server that has stopped.

- `files.py`: how its files are written: whole files aside, fsynced and renamed (`replace_file`,
  `WholeFile`); append-only logs of JSON lines, fsynced line by line and read up to a torn last
  line (`AppendLog`); directories filled aside and renamed (`unpack_directory`);
- `fence.py`: `Fence`, closed when its endpoint stops, after which a write raises `StateFenced`;
- `lock.py`: the flock a live server holds on `<state-dir>/lock`, its holder's pid, and whether a
  process still runs;
- `version.py`: the marker `<state-dir>/state-version`, the migrations, `IncompatibleState`;
- `directory.py`: `StateDirectory`, the lock, the version, the leftovers and the fence, opened
  together by the endpoint and closed when it stops.
- `user_cache.py`: not the state directory, but the one other place the local cloud keeps files:
  what it derives from the installed packages once, in the user's cache.

The packages that keep state (`endpoint/` for moto's journal, `cloudformation/`, `personalize/`)
write their files through `files.py` and know nothing else of this package.
"""

from .directory import StateDirectory
from .fence import StateFenced, fence_of
from .files import AppendLog, WholeFile, replace_file, unpack_directory
from .lock import DirectoryBusy, holder, running
from .version import MARKER, STATE_VERSION, IncompatibleState

__all__ = [
    "MARKER",
    "STATE_VERSION",
    "AppendLog",
    "DirectoryBusy",
    "IncompatibleState",
    "StateDirectory",
    "StateFenced",
    "WholeFile",
    "fence_of",
    "holder",
    "replace_file",
    "running",
    "unpack_directory",
]
