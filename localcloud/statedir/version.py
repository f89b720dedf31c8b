"""The state directory's version: a marker file written at first start, checked at every start.

`<state-dir>/state-version` holds one number, the version of the layout and formats of every file
the local cloud keeps. A local cloud reads its own version, migrates older ones it knows (each
migration idempotent, since a kill during one runs it again at the next start), and refuses a
directory it cannot read whole, before anything is read from it, saying what to do. A directory
without a marker but with state in it was written before markers existed: version 1.

- 1: the layout before the marker. Personalize's file was written in place, so a kill could
  cut it short; the other whole files were written aside then renamed, without fsync, under
  names of their own (`*.tmp`, `.unpacking-*`, `.part-*`).
- 2: the marker; every whole file written aside, fsynced and renamed, every log line fsynced
  (`files.py`).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

from .fence import Fence
from .files import replace_file

STATE_VERSION = 2
MARKER = "state-version"
BEFORE_MARKERS = 1
# What a directory may hold that is not state: a new directory with only these has no version yet.
NOT_STATE = frozenset({MARKER, "lock", "serve.log", "endpoint.json", "home"})
# The whole files version 1 wrote, which must read whole for its state to be taken on.
VERSION_1_WHOLE_FILES = ("personalize.json", "cloudformation/stacks.json", "cloudformation/stacks-history.json")


class IncompatibleState(RuntimeError):
    """The state directory holds what this local cloud cannot read whole."""


def settle_version(root: Path, fence: Fence) -> int | None:
    """Make `root` a directory of this version: marked if new, migrated if older; the version it
    held (None for a new one). IncompatibleState, with nothing changed, when it cannot be."""
    found = found_version(root)
    if found == STATE_VERSION:
        return found
    if found is not None and found > STATE_VERSION:
        raise IncompatibleState(
            f"the state in {root} was written by a newer local cloud (state version {found}); this one reads "
            f"versions up to {STATE_VERSION}. Run the checkout that wrote it, or move the directory away "
            f"(mv {root} {root}.v{found}) to start with an empty local cloud here."
        )
    if found is not None:
        if found not in MIGRATIONS:
            raise IncompatibleState(
                f"the state in {root} has state version {found}, which this local cloud cannot migrate (it reads "
                f"versions {min(MIGRATIONS)} to {STATE_VERSION}): move the directory away (mv {root} {root}.v{found}) "
                "to start with an empty local cloud here."
            )
        for version in range(found, STATE_VERSION):
            MIGRATIONS[version](root)
    replace_file(root / MARKER, f"{STATE_VERSION}\n".encode(), fence)
    return found


def found_version(root: Path) -> int | None:
    """The version the directory's state was written in; None for a directory with no state."""
    marker = root / MARKER
    if marker.exists():
        text = marker.read_text(errors="replace").strip()
        try:
            return int(text)
        except ValueError:
            raise IncompatibleState(
                f"{marker} should hold the version of the state in {root}, and holds {text[:40]!r}: move the "
                f"directory away (mv {root} {root}.unknown) to start with an empty local cloud here."
            ) from None
    if any(entry.name not in NOT_STATE for entry in root.iterdir()):
        return BEFORE_MARKERS
    return None


def _from_version_1(root: Path) -> None:
    """Version 1 is read as it is, once its whole files are known to be whole; what its killed
    writes left under their temporary names is removed."""
    for name in VERSION_1_WHOLE_FILES:
        path = root / name
        try:
            if path.exists():
                json.loads(path.read_bytes())
        except ValueError:
            raise IncompatibleState(
                f"{path} was cut short: the local cloud that wrote it (state version 1, which wrote it in "
                f"place) was stopped while writing it. What it held cannot be read back: move the directory "
                f"away (mv {root} {root}.v1) to start with an empty local cloud here."
            ) from None
    leftovers = [
        *(root / "cloudformation").glob("*.tmp"),
        *(root / "cloudformation" / "lambda-code").glob(".unpacking-*"),
        *(root / "aws" / "blobs").glob(".part-*"),
    ]
    for leftover in leftovers:
        if leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            leftover.unlink(missing_ok=True)


# version -> what makes a directory of that version one of the next
MIGRATIONS: dict[int, Callable[[Path], None]] = {1: _from_version_1}
