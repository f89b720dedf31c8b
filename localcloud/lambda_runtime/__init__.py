"""Lambda's Python and Node.js runtimes, run as Lambda runs them: a runtime interface client
against a Runtime API the local cloud serves, in environments kept warm between invocations.

Python functions run on a dedicated runtime venv that holds boto3 and awslambdaric and nothing
else of the project's, so an asset that forgot a dependency fails here as it would in Lambda;
Node.js functions run on the project venv's Node.js 24 through our own bootstrap, with the AWS SDK
for JavaScript v3 on their module path as Lambda's Node.js runtimes have it. The code directory is
the task root; the handler string, variables, memory and timeout come from the template. `invoke`
runs one invocation in the process-wide `Environments` (as Lambda's concurrency is the account's).
An "environment" here is always an execution environment; a process's environment variables are
called variables.

- `config.py`: `FunctionConfig`, what an environment is started for, and which runtimes run here
  (`python3.x` on the runtime venv's Python, `nodejs18.x` to `nodejs24.x` on Node.js 24; a
  function's first log says so once when its runtime names another version);
- `runtimes.py`: each family's interpreter, command line and variables;
- `nodejs/bootstrap.js`: the Node.js runtime client (the Runtime API, handler loading, Lambda's
  log lines and error shapes, the port-443 redirect on loopback);
- `runtime_api.py`: the Runtime API one environment polls;
- `environment.py`: one execution environment (its process, its output, one invocation at a time,
  and Lambda's START, END and REPORT lines);
- `outcome.py`: `Outcome`, what became of one invocation;
- `function_logs.py`: an invocation's lines in the function's log group, as Lambda writes them;
- `pool.py`: `Environments`, who gets which environment: warm reuse, the concurrency limit, idle
  reclaim, shutdown;
- `spawner.py`: how an environment's process starts, through a zygote on the runtime's Python, and
  what the server sees of it (`Child`: pid, exit code, `wait`, `kill`);
- `zygote.py`: the zygote itself, a program of its own that has imported boto3 and forks each
  Python environment from that warm template (forks and execs each Node.js one), and kills them all
  when the server goes, however it goes.
"""

from __future__ import annotations

import atexit
import json
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config import NODE_RUNTIME, RUNTIME, FunctionConfig, UnsupportedRuntime, family_of, supports
from .environment import Environment
from .function_logs import log_group_of, write_to_cloudwatch
from .outcome import Outcome, Status
from .pool import DEFAULT_CONCURRENCY_LIMIT, DEFAULT_IDLE_SECONDS, Environments, EnvironmentsShutDown
from .runtimes import runtime_node, runtime_python

__all__ = [
    "DEFAULT_CONCURRENCY_LIMIT",
    "DEFAULT_IDLE_SECONDS",
    "NODE_RUNTIME",
    "RUNTIME",
    "Environment",
    "Environments",
    "EnvironmentsShutDown",
    "FunctionConfig",
    "Invocation",
    "Outcome",
    "Status",
    "UnsupportedRuntime",
    "environments",
    "invoke",
    "log_group_of",
    "runtime_node",
    "runtime_python",
    "supports",
    "write_to_cloudwatch",
]


@dataclass
class Invocation:
    """One invocation, as the engine and the tests read it: how it ended, as Lambda reports it, and
    what the function's log stream got for it."""

    output: str  # the lines the function's log stream got for it, START to REPORT
    outcome: Outcome = field(repr=False)

    @property
    def status(self) -> Status:
        """`success`, `error` (the handler raised, or Init failed), `exit` or `timeout`."""
        return self.outcome.status

    @property
    def exit_code(self) -> int | None:
        """The runtime's exit status, when it ended by itself during the invocation."""
        return self.outcome.exit_code

    @property
    def seconds(self) -> float:
        return self.outcome.seconds

    @property
    def pid(self) -> int:
        return self.outcome.pid

    @property
    def result(self) -> Any:
        """The handler's return value (None for an error or a timeout)."""
        if self.outcome.response is None:
            return None
        return json.loads(self.outcome.response)


_ENVIRONMENTS: Environments | None = None
_ENVIRONMENTS_LOCK = threading.Lock()


def environments() -> Environments:
    """The process-wide environments (made at first use, shut down at exit)."""
    global _ENVIRONMENTS
    with _ENVIRONMENTS_LOCK:
        if _ENVIRONMENTS is None:
            _ENVIRONMENTS = Environments()
            atexit.register(_ENVIRONMENTS.shutdown)
        return _ENVIRONMENTS


def invoke(
    code_dir: Path,
    event: Mapping[str, Any] | bytes,
    *,
    handler: str = "index.handler",
    timeout_seconds: float = 900,
    environment: Mapping[str, str] | None = None,
    region: str = "us-east-1",
    function_name: str = "provider",
    memory_mb: int = 128,
    log_group: str = "",
    runtime: str = RUNTIME,
    interpreter: Path | None = None,
    loopback_443_port: int = 0,
    service: Environments | None = None,
) -> Invocation:
    """Run one invocation to its end (or its timeout) in a warm environment of this function
    configuration, or a new one; what it printed and how it ended. `event` is the payload, as JSON
    bytes or a mapping; `environment` is the function's environment variables (its template's
    `Environment.Variables`), as Lambda's API names them. `interpreter` replaces the family's
    (`runtime_python()`, `runtime_node()`); `loopback_443_port`, for a Node.js function, is where
    its HTTPS requests to 127.0.0.1 or localhost on port 443 go instead. UnsupportedRuntime for a
    runtime that runs on neither."""
    family = family_of(runtime)
    if family is None:
        raise UnsupportedRuntime(runtime)
    config = FunctionConfig(
        name=function_name,
        code_dir=Path(code_dir).resolve(),
        handler=handler,
        timeout_seconds=timeout_seconds,
        interpreter=interpreter or (runtime_node() if family == "nodejs" else runtime_python()),
        region=region,
        memory_mb=memory_mb,
        variables=tuple(sorted((environment or {}).items())),
        log_group=log_group,
        runtime=runtime,
        loopback_443_port=loopback_443_port,
    )
    payload = event if isinstance(event, bytes) else json.dumps(event).encode()
    outcome = (service or environments()).invoke(config, payload)
    output = "".join(line + "\n" for _, line in outcome.log_events)
    return Invocation(output=output, outcome=outcome)


if (
    __name__ == "__main__"
):  # pragma: no cover - a manual aid: python -m localcloud.lambda_runtime ASSET HANDLER < event.json
    result = invoke(
        Path(sys.argv[1]), json.load(sys.stdin), handler=sys.argv[2] if len(sys.argv) > 2 else "index.handler"
    )
    print(result.output)
    raise SystemExit(0 if result.status == "success" else 1)
