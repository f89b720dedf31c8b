"""A function's configuration: what an execution environment is started for.

Two environments of one configuration are interchangeable; a change to any of it (code,
handler, timeout, memory, variables...) is a new configuration, whose environments start anew.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .function_logs import log_group_of

RUNTIME = "python3.13"  # the one runtime the local cloud runs: the runtime venv's Python


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

    @property
    def arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account}:function:{self.name}"

    @property
    def log_group_name(self) -> str:
        return log_group_of(self.name, {"LogGroup": self.log_group})
