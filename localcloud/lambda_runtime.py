"""Invoke a bundled Lambda asset the way the Python runtime does, in a separate interpreter.

The interpreter comes from a dedicated runtime venv that holds boto3 and nothing else of the
project's, so an asset that forgot a dependency fails here as it would in Lambda. The asset
directory is the task root, the handler string, environment and timeout come from the
template, and the context reports the remaining time.

Init runs once per function configuration (_bootstrap.py): the initialized interpreter forks for
each invocation, so every invocation starts from the state Init left, as in a fresh
environment, and the suite does not pay boto3's import for each of them.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BOOTSTRAP = Path(__file__).with_name("_bootstrap.py")
REPOSITORY = Path(__file__).resolve().parent.parent
DEFAULT_RUNTIME_PYTHON = REPOSITORY / ".venv-runtime" / "bin" / "python"


@dataclass
class Invocation:
    returncode: int | None  # None: killed at the timeout
    output: str
    seconds: float

    @property
    def timed_out(self) -> bool:
        return self.returncode is None


def runtime_python() -> Path:
    path = Path(os.environ.get("LOCALCLOUD_RUNTIME_PYTHON", DEFAULT_RUNTIME_PYTHON))
    if not path.exists():
        raise FileNotFoundError(f"no Lambda runtime venv at {path}: run `make setup`")
    return path


class _Environment:
    """One execution environment: an interpreter that has run Init and forks per invocation."""

    def __init__(self, python: Path, asset_dir: Path, env: Mapping[str, str]) -> None:
        self._directory = Path(tempfile.mkdtemp(prefix="localcloud-lambda-"))
        self._lock = threading.Lock()
        self.process = subprocess.Popen(
            # -I: neither this repository nor the caller's environment is on the path; -B: the task
            # root stays as staged, as Lambda's read-only /var/task does.
            [str(python), "-I", "-B", str(BOOTSTRAP)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=dict(env),
            cwd=asset_dir,
            text=True,
        )
        assert self.process.stdout is not None
        init_output = []
        for line in self.process.stdout:
            if line == "ready\n":
                break
            init_output.append(line)
        self.init_output = "".join(init_output)  # reported with the first invocation, as Lambda logs Init once
        self.alive = self.process.poll() is None

    def start(self, event: Mapping[str, Any], deadline_epoch: float) -> tuple[int, Path, Path]:
        name = uuid.uuid4().hex
        output, status = self._directory / f"{name}.out", self._directory / f"{name}.status"
        request = {"event": event, "deadline": deadline_epoch, "output": str(output), "status": str(status)}
        assert self.process.stdin is not None and self.process.stdout is not None
        with self._lock:
            self.process.stdin.write(json.dumps(request) + "\n")
            self.process.stdin.flush()
            pid = int(self.process.stdout.readline())
        return pid, output, status

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()
        shutil.rmtree(self._directory, ignore_errors=True)


_ENVIRONMENTS: OrderedDict[tuple[str, ...], _Environment] = OrderedDict()
_ENVIRONMENTS_LOCK = threading.Lock()
# Environments of functions no longer invoked (each test starts new emulators) are closed, the
# oldest first.
MAX_ENVIRONMENTS = 4
STATUS_POLL_SECONDS = 0.02


def _environment(python: Path, asset_dir: Path, env: Mapping[str, str]) -> tuple[_Environment, bool]:
    """The initialized environment of this function configuration, and whether it is new (a cold start)."""
    key = (str(python), str(asset_dir), *sorted(f"{k}={v}" for k, v in env.items()))
    with _ENVIRONMENTS_LOCK:
        known = _ENVIRONMENTS.get(key)
        if known is not None and known.alive and known.process.poll() is None:
            _ENVIRONMENTS.move_to_end(key)
            return known, False
        environment = _Environment(python, asset_dir, env)
        if environment.alive:
            _ENVIRONMENTS[key] = environment
            while len(_ENVIRONMENTS) > MAX_ENVIRONMENTS:
                _ENVIRONMENTS.popitem(last=False)[1].close()
        return environment, True


@atexit.register
def _close_environments() -> None:
    with _ENVIRONMENTS_LOCK:
        while _ENVIRONMENTS:
            _ENVIRONMENTS.popitem()[1].close()


def invoke(
    asset_dir: Path,
    event: Mapping[str, Any],
    *,
    handler: str = "index.handler",
    timeout_seconds: float = 900,
    environment: Mapping[str, str] | None = None,
    region: str = "us-east-1",
    python: Path | None = None,
) -> Invocation:
    """Run one invocation to its end (or the timeout) and return what it printed."""
    env = {
        # What Lambda sets, and nothing of this process's own Python setup.
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "AWS_LAMBDA_FUNCTION_NAME": "provider",
        "AWS_LAMBDA_FUNCTION_TIMEOUT": str(int(timeout_seconds)),
        "LAMBDA_TASK_ROOT": str(asset_dir),
        "_HANDLER": handler,
    }
    env.update(environment or {})
    started = time.monotonic()
    deadline_epoch = time.time() + timeout_seconds
    runtime, cold = _environment(python or runtime_python(), asset_dir, env)
    prefix = runtime.init_output if cold else ""
    if not runtime.alive:  # Init failed: the invocation fails with its output
        return Invocation(returncode=runtime.process.wait() or 1, output=prefix, seconds=time.monotonic() - started)
    pid, output_file, status_file = runtime.start(event, deadline_epoch)
    returncode: int | None = None
    while not status_file.exists():
        if time.monotonic() - started > timeout_seconds:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            break
        if not _running(pid) and not status_file.exists():  # ended without a status: killed or crashed
            returncode = -1
            break
        time.sleep(STATUS_POLL_SECONDS)
    else:
        returncode = int(status_file.read_text())
    output = output_file.read_text() if output_file.exists() else ""
    for file in (output_file, status_file):
        file.unlink(missing_ok=True)
    return Invocation(returncode=returncode, output=prefix + output, seconds=time.monotonic() - started)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


if __name__ == "__main__":  # pragma: no cover - a manual aid: python -m localcloud.lambda_runtime ASSET < event.json
    result = invoke(Path(sys.argv[1]), json.load(sys.stdin))
    print(result.output)
    raise SystemExit(result.returncode or 0)
