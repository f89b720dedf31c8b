"""Invoke a bundled Lambda asset the way the Python runtime does, in a separate interpreter.

The interpreter comes from a dedicated runtime venv that holds boto3 and nothing else of the
project's, so an asset that forgot a dependency fails here as it would in Lambda. The asset
directory is the task root, the handler string, environment and timeout come from the
template, and the context reports the remaining time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
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
    env["LOCALCLOUD_DEADLINE_EPOCH"] = str(time.time() + timeout_seconds)
    process = subprocess.Popen(
        # -I: neither this repository nor the caller's environment is on the path; -B: the task
        # root stays as staged, as Lambda's read-only /var/task does.
        [str(python or runtime_python()), "-I", "-B", str(BOOTSTRAP)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=asset_dir,
        text=True,
    )
    try:
        output, _ = process.communicate(json.dumps(event), timeout=timeout_seconds)
        returncode: int | None = process.returncode
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
        returncode = None
    return Invocation(returncode=returncode, output=output, seconds=time.monotonic() - started)


if __name__ == "__main__":  # pragma: no cover - a manual aid: python -m localcloud.lambda_runtime ASSET < event.json
    result = invoke(Path(sys.argv[1]), json.load(sys.stdin))
    print(result.output)
    raise SystemExit(result.returncode or 0)
