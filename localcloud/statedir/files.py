"""How the state directory's files are written, so that a kill at any moment cannot tear one.

- A whole file (the stacks, Personalize's resources, a journal body, the version marker) is
  written to a temporary file beside it, fsynced, and renamed over it, and the directory is
  fsynced: whoever reads it, the next start after a kill included, finds the old file or the new
  one, never a part (`replace_file`, `WholeFile`).
- An append-only log (moto's journal, the stack events, Personalize's recorded events) gets
  whole JSON lines, each append fsynced before the call that made it is answered. A kill in
  the middle of an append leaves a torn last line, with no end of line: it is cut off when the
  log is read, and the log (Python's logging) says what was dropped (`AppendLog`).
- A directory (a function's unpacked code) is filled under a temporary name, its files fsynced,
  then renamed into place (`unpack_directory`).

Temporary names start with `.partial-`; what a kill leaves of them is removed when the directory
is next opened (`remove_partials`). Every write goes through the fence of its directory
(`fence.py`), so nothing is written once its endpoint has stopped.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Any

from .fence import Fence, fence_of

LOG = logging.getLogger("localcloud.statedir")

PARTIAL_PREFIX = ".partial-"
# Not the local cloud's state: the CDK CLI's home (its caches) is not searched for leftovers.
NOT_SEARCHED = frozenset({"home"})


def replace_file(path: Path, data: bytes, fence: Fence | None = None) -> None:
    """Make `path` hold `data`, all at once: the old content or the new, whenever the process dies."""
    with (fence or fence_of(path)).writing(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f"{PARTIAL_PREFIX}{path.name}.")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, path)
        except BaseException:
            with suppress(OSError):
                os.unlink(temporary)
            raise
        _sync_directory(path.parent)


class WholeFile:
    """A file always written whole (`replace_file`), and only when its content changes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fence = fence_of(path)
        self._written: bytes | None = None

    def read_json(self) -> Any:
        """Its content, or None when there is no file yet."""
        if not self.path.exists():
            return None
        data = self.path.read_bytes()
        self._written = data
        return json.loads(data)

    def write_json(self, value: Any) -> None:
        data = json.dumps(value, indent=1).encode()
        if data != self._written:
            replace_file(self.path, data, self._fence)
            self._written = data


class AppendLog:
    """An append-only file of JSON lines; `what` names its records in what the log says."""

    def __init__(self, path: Path, what: str) -> None:
        self.path = path
        self.what = what
        self._fence = fence_of(path)

    def read(self) -> list[Any]:
        """Every whole record, oldest first. A torn last line is cut off (so that the next append
        starts a line of its own) and reported; a whole line that is not JSON is skipped and reported."""
        if not self.path.exists():
            return []
        data = self.path.read_bytes()
        end = data.rfind(b"\n") + 1
        if end < len(data):
            LOG.warning(
                "%s: the last of %s was torn by a crash (%d bytes without an end of line): dropped",
                self.path,
                self.what,
                len(data) - end,
            )
            with self._fence.writing(self.path), self.path.open("r+b") as file:
                file.truncate(end)
                os.fsync(file.fileno())
        records: list[Any] = []
        for number, line in enumerate(data[:end].splitlines(), start=1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except ValueError:
                LOG.warning("%s: line %d is not one of %s: skipped", self.path, number, self.what)
        return records

    def append(self, records: list[Any]) -> None:
        """Append `records` together, on disk (fsynced) when this returns."""
        if not records:
            return
        data = b"".join(json.dumps(record, separators=(",", ":")).encode() + b"\n" for record in records)
        with self._fence.writing(self.path):
            new = not self.path.exists()
            if new:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("ab") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            if new:
                _sync_directory(self.path.parent)

    def clear(self) -> None:
        if self.path.exists():
            with self._fence.writing(self.path), self.path.open("r+b") as file:
                file.truncate(0)
                os.fsync(file.fileno())


def unpack_directory(target: Path, fill: Callable[[Path], None]) -> None:
    """Make the directory `target`, filled by `fill(directory)`, unless it exists: filled under a
    temporary name and renamed, so that `target` is whole or absent. (The fence is looked up on
    each call: this is a cache by content, and another thread may make the same one at once.)"""
    if target.is_dir():
        return
    with fence_of(target).writing(target):
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=PARTIAL_PREFIX, dir=target.parent))
        try:
            fill(staging)
            _sync_tree(staging)
            staging.rename(target)
            _sync_directory(target.parent)
        except OSError:
            if not target.is_dir():  # not another thread's identical unpacking, renamed first
                raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)


def remove_partials(root: Path) -> list[Path]:
    """Remove what killed writes left under `root` (their temporary files and directories); what was removed."""
    removed: list[Path] = []
    for directory, subdirectories, files in os.walk(root):
        here = Path(directory)
        if here == root:
            subdirectories[:] = [name for name in subdirectories if name not in NOT_SEARCHED]
        for name in [*subdirectories, *files]:
            if name.startswith(PARTIAL_PREFIX):
                partial = here / name
                if partial.is_dir():
                    shutil.rmtree(partial, ignore_errors=True)
                else:
                    partial.unlink(missing_ok=True)
                removed.append(partial)
        subdirectories[:] = [name for name in subdirectories if not name.startswith(PARTIAL_PREFIX)]
    return removed


def _sync_tree(directory: Path) -> None:
    for parent, _, files in os.walk(directory):
        for name in files:
            descriptor = os.open(Path(parent) / name, os.O_RDONLY)
            try:
                os.fsync(descriptor)
            finally:
                os.close(descriptor)
        _sync_directory(Path(parent))


def _sync_directory(directory: Path) -> None:
    """A rename or a new file is durable once its directory is synced (where the system allows it)."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
