"""What the local cloud derives from the installed packages once, kept in the user's cache.

Some facts cost a second or two of CPU to find (which services moto answers, what each of moto's
CloudFormation models can do), and every process that starts a local cloud would find them again:
a test suite starts dozens. They depend only on the installed packages and on the code that finds
them, so each is kept in `$XDG_CACHE_HOME/localcloud/` (else `~/.cache/localcloud/`), under a name
carrying a digest of both: a stale copy is never read. A copy that is missing, torn or not of the
shape its reader expects is found again; without a home directory nothing is kept. This is no
state directory: nothing here is the user's, and deleting it costs only the time to find it again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar, cast

Found = TypeVar("Found")


def cache_file(name: str, versions: Sequence[str], finder: Path) -> Path | None:
    """Where the fact `name` is kept: named by the `versions` of the packages it comes from and by
    the code of `finder`, the module that finds it. None without a home directory."""
    try:
        root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    except RuntimeError:
        return None
    digest = hashlib.sha256("\0".join(versions).encode() + b"\0" + finder.read_bytes()).hexdigest()[:20]
    return root / "localcloud" / f"{name}-{digest}.json"


def kept(kept_at: Path | None, find: Callable[[], Found], read: Callable[[Any], Found]) -> Found:
    """The fact kept at `kept_at`, through `read` (which raises on a shape it does not expect);
    else `find()`, then kept there for the next process."""
    if kept_at is not None:
        with contextlib.suppress(OSError, ValueError, TypeError, KeyError, AttributeError):
            return read(json.loads(kept_at.read_text()))
    found = find()
    _keep(kept_at, found)
    return found


def kept_entry(kept_at: Path | None, key: str, find: Callable[[], Found]) -> Found:
    """One entry of the table kept at `kept_at` (a JSON object): the kept value of `key`, else
    `find()`, then added to the table for the next process. For facts asked for one at a time.

    Two processes adding entries at once may each write the table without the other's: the lost
    entry is found again by the next process that asks for it.
    """
    table: dict[str, Any] = {}
    if kept_at is not None:
        with contextlib.suppress(OSError, ValueError):
            loaded = json.loads(kept_at.read_text())
            table = loaded if isinstance(loaded, dict) else {}
    if key in table:
        return cast(Found, table[key])
    found = find()
    _keep(kept_at, {**table, key: found})
    return found


def _keep(kept_at: Path | None, found: Any) -> None:
    if kept_at is None:
        return
    with contextlib.suppress(OSError):
        kept_at.parent.mkdir(parents=True, exist_ok=True)
        # whole or not at all: another process may be reading or writing the same file
        with tempfile.NamedTemporaryFile("w", dir=kept_at.parent, prefix=".partial-", delete=False) as partial:
            json.dump(found, partial)
        os.replace(partial.name, kept_at)
