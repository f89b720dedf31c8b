"""The local cloud running in the background: started by one command, used by others, stopped by a last.

`serve` writes `<state-dir>/endpoint.json` (its URL and process id) once it answers, and removes
it when it stops; that file is how `up`, `down`, `cdk` and `outputs` find it. `up` starts `serve`
as a detached process whose output goes to `<state-dir>/serve.log`. A live server also holds the
directory's lock (`statedir/lock.py`): `up` refuses a directory held by a server that does not
answer (starting, stopping, or stuck), touching nothing, and `down` stops such a one too.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from . import statedir

PACKAGE_ROOT = Path(__file__).resolve().parents[1]
ENDPOINT_FILE = "endpoint.json"
LOG_FILE = "serve.log"
# How long `up` waits for a new local cloud to answer, and `down` for one to stop: they only
# guard against a hang (a cold start takes a few seconds, moto's import most of it).
START_GUARD_SECONDS = 120.0
STOP_GUARD_SECONDS = 60.0


class NotRunning(RuntimeError):
    """No local cloud runs for this state directory."""


@dataclass(frozen=True)
class Running:
    url: str
    pid: int


def record(state_dir: Path, url: str) -> None:
    """Called by `serve` once it answers: where it is, for the other commands."""
    statedir.replace_file(state_dir / ENDPOINT_FILE, json.dumps({"url": url, "pid": os.getpid()}).encode())


def forget(state_dir: Path) -> None:
    """Called by `serve` as it stops."""
    (state_dir / ENDPOINT_FILE).unlink(missing_ok=True)


def running(state_dir: Path) -> Running | None:
    """The local cloud serving this state directory, if one answers."""
    try:
        found = json.loads((state_dir / ENDPOINT_FILE).read_text())
        cloud = Running(str(found["url"]), int(found["pid"]))
    except (OSError, ValueError, KeyError):
        return None
    return cloud if statedir.running(cloud.pid) and _answers(cloud.url) else None


def require(state_dir: Path) -> Running:
    cloud = running(state_dir)
    if cloud is None:
        raise NotRunning(
            f"no local cloud runs for {state_dir}: start one with `python -m localcloud up --state-dir {state_dir}`"
        )
    return cloud


def start(state_dir: Path, *, port: int = 4566, delays: str = "demo") -> Running:
    """Start `serve` in the background unless one already serves `state_dir`; return where it is."""
    already = running(state_dir)
    if already is not None:
        return already
    holder = statedir.holder(state_dir)
    if holder is not None:  # alive, and not answering: starting, stopping, or stuck
        raise statedir.DirectoryBusy(state_dir, holder)
    forget(state_dir)  # a file left by a local cloud that did not stop cleanly
    state_dir.mkdir(parents=True, exist_ok=True)
    command = ["serve", "--port", str(port), "--state-dir", str(state_dir.resolve()), "--delays", delays]
    with (state_dir / LOG_FILE).open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "localcloud", *command],
            cwd=PACKAGE_ROOT,  # `-m localcloud` from wherever the command that starts it runs
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # not stopped by the Ctrl-C of the command that started it
        )
    deadline = time.monotonic() + START_GUARD_SECONDS
    while time.monotonic() < deadline:
        cloud = running(state_dir)
        if cloud is not None:
            return cloud
        if process.poll() is not None:
            raise RuntimeError(f"the local cloud did not start:\n{_tail(state_dir / LOG_FILE)}")
        time.sleep(0.1)
    process.terminate()
    raise RuntimeError(
        f"the local cloud did not answer within {START_GUARD_SECONDS:.0f} s:\n{_tail(state_dir / LOG_FILE)}"
    )


def stop(state_dir: Path) -> bool:
    """Stop the local cloud of `state_dir`: the one that answers, or else the live process that
    holds the directory without answering; False when there is none."""
    cloud = running(state_dir)
    pid = cloud.pid if cloud is not None else statedir.holder(state_dir)
    if not pid:  # None: no holder; 0: a holder still starting, not yet known by its pid
        forget(state_dir)
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_GUARD_SECONDS
    while statedir.running(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if statedir.running(pid):
        os.kill(pid, signal.SIGKILL)
    forget(state_dir)
    return True


@contextlib.contextmanager
def serving(state_dir: Path, *, port: int = 0, delays: str = "demo") -> Iterator[Running]:
    """A local cloud for the length of a `with` block (the demo, the CLI tests)."""
    cloud = start(state_dir, port=port, delays=delays)
    try:
        yield cloud
    finally:
        stop(state_dir)


def concluding(url: str) -> list[str]:
    """The stacks whose operation the last stop interrupted, which the local cloud at `url` is
    still concluding (they show *_IN_PROGRESS until it is done)."""
    try:
        with urllib.request.urlopen(f"{url}/_localcloud/recovery", timeout=5) as response:  # noqa: S310 - our own loopback URL
            return [str(name) for name in json.loads(response.read())["concluding"]]
    except (urllib.error.URLError, OSError, ValueError, KeyError):
        return []


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_localcloud/state", timeout=5) as response:  # noqa: S310 - our own loopback URL
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _tail(log: Path, lines: int = 30) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
