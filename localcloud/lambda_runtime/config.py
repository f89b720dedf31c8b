"""A function's configuration: what an execution environment is started for.

Two environments of one configuration are interchangeable; a change to any of it (code,
handler, timeout, memory, variables...) is a new configuration, whose environments start anew.

The local cloud runs Python functions only, each on the one Python of the runtime venv: a
function whose runtime is another `python3.x` runs there too, and its log says so once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .function_logs import log_group_of

RUNTIME = "python3.13"  # the one runtime the local cloud runs: the runtime venv's Python
_PYTHON_RUNTIME = re.compile(r"python3\.\d+")


def supports(runtime: str) -> bool:
    """Whether the local cloud can run a function of this Lambda runtime (`python3.x`, any x)."""
    return _PYTHON_RUNTIME.fullmatch(runtime) is not None


class UnsupportedRuntime(ValueError):
    """A function whose runtime the local cloud cannot run (nodejs*, java*, provided.*...)."""

    def __init__(self, runtime: str) -> None:
        super().__init__(f"the local cloud runs Python functions (python3.x) only, not {runtime or 'this runtime'}")
        self.runtime = runtime


@dataclass(frozen=True)
class FunctionConfig:
    """What makes two environments interchangeable: a change to any of it is a new configuration."""

    name: str
    code_dir: Path
    handler: str
    timeout_seconds: float
    python: Path
    region: str = "us-east-1"
    account: str = "123456789012"
    memory_mb: int = 128
    variables: tuple[tuple[str, str], ...] = ()  # the function's environment variables (`Environment.Variables`)
    log_group: str = ""  # its `LoggingConfig.LogGroup`, if any
    runtime: str = RUNTIME  # the function's `Runtime`, as its template declares it

    def __post_init__(self) -> None:
        if not supports(self.runtime):
            raise UnsupportedRuntime(self.runtime)

    @property
    def arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account}:function:{self.name}"

    @property
    def log_group_name(self) -> str:
        return log_group_of(self.name, {"LogGroup": self.log_group})

    @property
    def runtime_note(self) -> str:
        """The line a function's first environment writes when its runtime is not the one it runs on."""
        if self.runtime == RUNTIME:
            return ""
        python = RUNTIME.removeprefix("python")
        return f"localcloud: this function's runtime {self.runtime} runs on Python {python} here"
