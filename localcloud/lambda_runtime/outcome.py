"""What became of one invocation, as its execution environment ran it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

# How an invocation ended, in the words of Lambda's REPORT line:
# "success": the handler answered;
# "error": the handler raised, or Init failed (the error awslambdaric reported);
# "exit": the runtime process ended during the invocation (`Runtime.ExitError`);
# "timeout": the deadline passed, and the environment was killed.
Status = Literal["success", "error", "exit", "timeout"]


@dataclass
class Outcome:
    """One invocation as the environment ran it."""

    request_id: str
    status: Status
    response: bytes | None  # the handler's answer, for a success
    # otherwise, the error as Invoke answers it: what the runtime reported (`errorType`,
    # `errorMessage`, `stackTrace`), or Lambda's own for an exit or a timeout
    error: dict[str, Any] | None
    log_events: list[tuple[int, str]]  # (epoch ms, line) in the order written, START to REPORT
    seconds: float
    cold: bool  # the environment's first invocation: Init ran before it
    pid: int  # the runtime's process
    log_stream: str  # the environment's stream in the function's log group
    # The runtime's exit status, when its process ended by itself during the invocation (an exit,
    # or Init failing); None when it lives on, or was killed (a timeout).
    exit_code: int | None = None
