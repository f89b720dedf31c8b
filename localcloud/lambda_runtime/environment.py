"""One execution environment, as Lambda runs it.

An environment is its runtime family's runtime client (`runtimes.py`: awslambdaric in the runtime
venv, or our Node.js bootstrap), started by the zygote (`spawner.py`) and polling a Runtime API of
its own (`runtime_api.py`): Init (the handler module's import and its clients) runs once, when
it starts, and the process, with its module state, then serves one invocation after another.
Its stdout and stderr are read as they come; each invocation's lines are framed by START, END and
REPORT, as Lambda frames them. A timed-out invocation kills its environment; which environment
serves which invocation is `pool.py`'s business.
"""

from __future__ import annotations

import contextlib
import math
import os
import select
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from . import runtimes
from .config import FunctionConfig
from .outcome import Outcome, Status
from .runtime_api import PendingInvocation, RuntimeApi
from .spawner import spawn

# Only a guard against an Init that never ends: Lambda limits Init to 10 s, but on two busy cores
# fifty environments importing boto3 at once can take longer than that without anything being wrong.
INIT_HANG_SECONDS = 300.0


class _Output:
    """An environment's stdout and stderr, read as it comes (a full pipe would stall the runtime)."""

    def __init__(self, pipe: int, first: list[tuple[int, str]] | None = None) -> None:
        self._fd = pipe
        os.set_blocking(pipe, False)
        self._lock = threading.Lock()
        self._pending = b""
        self._events: list[tuple[int, str]] = list(first or [])  # lines of ours, before anything it writes
        self.closed = threading.Event()
        self._thread = threading.Thread(target=self._pump, name="lambda-output", daemon=True)
        self._thread.start()

    def _read_available(self) -> bool:
        """Take what the pipe holds now; False at its end. Called with the lock held."""
        while True:
            try:
                chunk = os.read(self._fd, 65536)
            except BlockingIOError:
                return True
            except OSError:
                chunk = b""
            if not chunk:
                self._split(final=True)
                return False
            self._pending += chunk
            self._split(final=False)

    def _split(self, *, final: bool) -> None:
        now = int(time.time() * 1000)
        *lines, self._pending = self._pending.split(b"\n")
        if final and self._pending:
            lines.append(self._pending)
            self._pending = b""
        self._events.extend((now, line.decode("utf-8", "replace").rstrip("\r")) for line in lines)

    def _pump(self) -> None:
        while True:
            with contextlib.suppress(OSError, ValueError):
                select.select([self._fd], [], [], 1.0)
            with self._lock:
                if self.closed.is_set():
                    return
                if not self._read_available():
                    self.closed.set()
                    return

    def take(self) -> list[tuple[int, str]]:
        """Everything written so far: the runtime flushes each write before it reports an outcome,
        so what an invocation printed is in the pipe by the time its answer arrives."""
        with self._lock:
            if not self.closed.is_set() and not self._read_available():
                self.closed.set()
            events, self._events = self._events, []
            return events

    def finish(self) -> list[tuple[int, str]]:
        """The rest, once the process has ended; the pipe is closed, once.

        Once only: an environment that ended during its invocation is finished then, and again
        when it is closed, and by then its descriptor's number may belong to another thread's
        socket or file.
        """
        self._thread.join(timeout=5)
        events = self.take()
        with self._lock:
            self.closed.set()
            if self._fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(self._fd)
                self._fd = -1
        return events


class Environment:
    """One execution environment: a runtime process and the Runtime API it polls.

    `note`: a line of the local cloud's own, first in the environment's log (before Init's output).
    """

    def __init__(self, config: FunctionConfig, note: str = "") -> None:
        self.config = config
        self.id = uuid.uuid4().hex
        self.log_stream = time.strftime("%Y/%m/%d/[$LATEST]", time.gmtime()) + self.id
        self.api = RuntimeApi(on_take=self._taking)
        self.invocations = 0
        self.idle_since = 0.0
        self._started = time.monotonic()
        self._init_seconds: float | None = None
        self._current: PendingInvocation | None = None
        self._killed = False  # by us (a timeout, a hang, a close): its exit status is then ours, not the runtime's
        read_end, write_end = os.pipe()  # neither inherited by any other process: the zygote is handed one
        warm = runtimes.warm_module(config)
        try:
            self.process = spawn(
                runtimes.zygote_interpreter(config),
                runtimes.command(config),
                cwd=config.code_dir,
                env=self._variables(),
                output=write_end,
                module=warm[0] if warm else None,
                args=warm[1] if warm else (),
            )
        except BaseException:
            os.close(read_end)
            self.api.close()
            raise
        finally:
            os.close(write_end)
        self.output = _Output(read_end, [(int(time.time() * 1000), note)] if note else None)
        self.exited = threading.Event()
        threading.Thread(target=self._watch, name="lambda-environment", daemon=True).start()

    def _variables(self) -> dict[str, str]:
        """The runtime process's environment variables: what Lambda sets, then the function's own,
        and nothing of this process's (no real keys, no Python or Node.js setup)."""
        config = self.config
        return {
            "LANG": "C.UTF-8",
            "TZ": ":UTC",
            "AWS_REGION": config.region,
            "AWS_DEFAULT_REGION": config.region,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{config.runtime}",
            "AWS_LAMBDA_FUNCTION_NAME": config.name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(config.memory_mb),
            "AWS_LAMBDA_FUNCTION_TIMEOUT": str(math.ceil(config.timeout_seconds)),
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_LAMBDA_LOG_GROUP_NAME": config.log_group_name,
            "AWS_LAMBDA_LOG_STREAM_NAME": self.log_stream,
            "AWS_LAMBDA_RUNTIME_API": self.api.address,
            "LAMBDA_TASK_ROOT": str(config.code_dir),
            "_HANDLER": config.handler,
            **runtimes.variables(config),
            **dict(config.variables),
        }

    def _taking(self, request: PendingInvocation) -> None:
        request.before = self.output.take()

    @property
    def alive(self) -> bool:
        return not self.exited.is_set()

    def _watch(self) -> None:
        self.process.wait()
        self.exited.set()
        request = self._current
        if request is not None:
            if self.api.init_error is not None:
                request.finish(error=self.api.init_error)
            else:
                code = self.process.returncode
                request.finish(error={"errorType": "Runtime.ExitError", "errorMessage": f"exit status {code}"})

    def invoke(self, event: bytes) -> Outcome:
        """Run one invocation to its end, or to its timeout, which kills the environment."""
        config = self.config
        cold = self.invocations == 0
        self.invocations += 1
        request = PendingInvocation(event, config.timeout_seconds, config.arn)
        self._current = request
        started = time.monotonic()
        self.api.offer(request)
        if self.exited.is_set():  # ended before the request was there to fail
            self._watch()
        while not request.taken.is_set() and not request.done.wait(0.05):
            if time.monotonic() - started > INIT_HANG_SECONDS:
                request.finish(error={"errorType": "Runtime.InitTimeout", "errorMessage": "Init did not end"})
                self.kill()
        before = request.before
        if cold:
            self._init_seconds = (request.handed_at or time.monotonic()) - self._started
        handed = request.handed_at or time.monotonic()
        timed_out = False
        if request.taken.is_set() and not request.done.wait(
            max(0.0, handed + config.timeout_seconds - time.monotonic())
        ):
            timed_out = True
            memory = self._max_memory_mb()
            self.kill()
        else:
            memory = self._max_memory_mb()
        seconds = time.monotonic() - handed
        self._current = None
        during = self.output.finish() if not self.alive else self.output.take()
        status: Status
        if timed_out:
            status = "timeout"
        elif request.error is not None:
            status = "exit" if request.error.get("errorType") == "Runtime.ExitError" else "error"
        else:
            status = "success"
        lines = _report(request, status, seconds, memory, config, self._init_seconds if cold else None)
        start, end = lines[0], lines[1:]
        events = [*before, start, *during, *end]
        return Outcome(
            request_id=request.request_id,
            status=status,
            response=request.response,
            error=_lambda_error(request, status, config),
            log_events=events,
            seconds=seconds,
            cold=cold,
            pid=self.process.pid,
            log_stream=self.log_stream,
            exit_code=self.process.returncode if not self.alive and not self._killed else None,
        )

    def _max_memory_mb(self) -> int:
        try:
            for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) // 1024
        except (OSError, ValueError):
            pass
        return 0

    def kill(self) -> None:
        self._killed = True
        self.process.kill()
        self.process.wait()
        self.exited.set()

    def close(self) -> None:
        self.kill()
        self.api.close()
        self.output.finish()


def _lambda_error(request: PendingInvocation, status: Status, config: FunctionConfig) -> dict[str, Any] | None:
    """The error as Lambda's Invoke answers it: the runtime's own report (a handler's error, an Init
    error), or Lambda's words for a runtime that exited or an invocation that timed out."""
    rid = request.request_id
    if status == "timeout":
        message = f"RequestId: {rid} Error: Task timed out after {config.timeout_seconds:.2f} seconds"
        return {"errorType": "Sandbox.Timedout", "errorMessage": message}
    if status == "exit" and request.error is not None:
        message = f"RequestId: {rid} Error: Runtime exited with error: {request.error['errorMessage']}"
        return {"errorType": "Runtime.ExitError", "errorMessage": message}
    return request.error


def _report(
    request: PendingInvocation,
    status: Status,
    seconds: float,
    memory_mb: int,
    config: FunctionConfig,
    init_seconds: float | None,
) -> list[tuple[int, str]]:
    """START, then what Lambda adds after the function's own lines: the timeout, END and REPORT."""
    now = int(time.time() * 1000)
    started = now - int(seconds * 1000)
    rid = request.request_id
    lines = [(started, f"START RequestId: {rid} Version: $LATEST")]
    if status == "timeout":
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now / 1000)) + f".{now % 1000:03d}Z"
        lines.append((now, f"{stamp} {rid} Task timed out after {config.timeout_seconds:.2f} seconds"))
    elif status == "exit" and request.error is not None:
        lines.append((now, f"RequestId: {rid} Error: Runtime exited with error: {request.error['errorMessage']}"))
        lines.append((now, "Runtime.ExitError"))
    lines.append((now, f"END RequestId: {rid}"))
    milliseconds = seconds * 1000
    report = (
        f"REPORT RequestId: {rid}\tDuration: {milliseconds:.2f} ms\tBilled Duration: {math.ceil(milliseconds)} ms\t"
        f"Memory Size: {config.memory_mb} MB\tMax Memory Used: {memory_mb} MB"
    )
    if init_seconds is not None:
        report += f"\tInit Duration: {init_seconds * 1000:.2f} ms"
    if status == "timeout":
        report += "\tStatus: timeout"
    elif (
        status != "success" and request.error is not None and request.error.get("errorType", "").startswith("Runtime.")
    ):
        report += f"\tStatus: error\tError Type: {request.error['errorType']}"
    lines.append((now, report))
    return lines
