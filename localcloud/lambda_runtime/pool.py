"""Every function's execution environments, kept warm as Lambda keeps them.

`Environments` hands each invocation an idle environment of its function configuration, and
starts a new one only when all are busy, up to the concurrency limit (past it, the invocation
waits, as Lambda retries a throttled asynchronous invocation). An idle environment is reclaimed
after `idle_seconds`, and at most `max_idle` are kept across functions; a configuration or code
change retires the old configuration's environments. A function's first environment writes the
runtime's note (`FunctionConfig.runtime_note`) first in its log, so the function's log says it once.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from ..statedir import running
from .config import FunctionConfig
from .environment import Environment
from .outcome import Outcome

DEFAULT_CONCURRENCY_LIMIT = 1000  # Lambda's default per account and region
DEFAULT_IDLE_SECONDS = 300.0
DEFAULT_MAX_IDLE = 64  # idle environments kept across all functions, the least recently used reclaimed first


class EnvironmentsShutDown(RuntimeError):
    """The environments are shut down: the process is ending, and no function runs in it again."""


@dataclass
class _Pool:
    idle: list[Environment] = field(default_factory=list)  # the most recently used last


class Environments:
    """Every function's environments: warm reuse, the concurrency limit, idle reclaim."""

    def __init__(
        self,
        *,
        concurrency_limit: int = DEFAULT_CONCURRENCY_LIMIT,
        idle_seconds: float = DEFAULT_IDLE_SECONDS,
        max_idle: int = DEFAULT_MAX_IDLE,
    ) -> None:
        self.concurrency_limit = concurrency_limit
        self.idle_seconds = idle_seconds
        self.max_idle = max_idle
        self._lock = threading.Condition()
        self._pools: dict[FunctionConfig, _Pool] = {}
        self._current: dict[str, FunctionConfig] = {}  # each function's configuration now
        self._busy: set[Environment] = set()
        self._starting = 0
        self._noted: set[str] = set()  # the functions whose first environment said what runs them
        self.started = 0  # environments started, for tests and benchmarks
        self._closed = threading.Event()
        self._reaper: threading.Thread | None = None

    def invoke(self, config: FunctionConfig, event: bytes) -> Outcome:
        environment = self._acquire(config)
        try:
            return environment.invoke(event)
        finally:
            self._release(environment)

    def _acquire(self, config: FunctionConfig) -> Environment:
        retired: list[Environment] = []
        environment: Environment | None = None
        note = ""
        with self._lock:
            if self._closed.is_set():
                raise EnvironmentsShutDown("the Lambda environments are shut down")
            previous = self._current.get(config.name)
            if previous is not None and previous != config:
                retired = self._pools.pop(previous, _Pool()).idle
            self._current[config.name] = config
            pool = self._pools.setdefault(config, _Pool())
            while True:
                # its runtime ended while idle (a crash of its own, or its zygote's end): asked of the
                # kernel too, since the zygote's report of the end may not have been read yet
                while pool.idle and not (pool.idle[-1].alive and running(pool.idle[-1].process.pid)):
                    retired.append(pool.idle.pop())
                if pool.idle:
                    environment = pool.idle.pop()
                    self._busy.add(environment)
                    break
                if len(self._busy) + self._starting < self.concurrency_limit:
                    self._starting += 1
                    if config.name not in self._noted:
                        self._noted.add(config.name)
                        note = config.runtime_note
                    break
                self._lock.wait()
            self._start_reaper()
        _close_all(retired)
        if environment is not None:
            return environment
        started: Environment | None = None
        try:
            started = Environment(config, note)
        finally:
            with self._lock:
                self._starting -= 1
                self.started += 1
                self._lock.notify_all()
                # a shutdown while it was starting did not see it: it must not outlive the shutdown
                escaped = self._closed.is_set()
                if started is not None and not escaped:
                    self._busy.add(started)
        if escaped:
            started.close()
            raise RuntimeError("the Lambda environments are shut down")
        return started

    def _release(self, environment: Environment) -> None:
        discard: list[Environment] = []
        with self._lock:
            self._busy.discard(environment)
            config = environment.config
            if environment.alive and self._current.get(config.name) == config and not self._closed.is_set():
                environment.idle_since = time.monotonic()
                self._pools.setdefault(config, _Pool()).idle.append(environment)
                discard = self._over_max_idle()
            else:
                discard = [environment]
            self._lock.notify_all()
        _close_all(discard)

    def _over_max_idle(self) -> list[Environment]:
        idle = sorted((e for pool in self._pools.values() for e in pool.idle), key=lambda e: e.idle_since)
        surplus = idle[: max(0, len(idle) - self.max_idle)]
        for environment in surplus:
            self._pools[environment.config].idle.remove(environment)
        return surplus

    def reclaim(self) -> int:
        """Close the environments idle for longer than `idle_seconds`; how many were."""
        now = time.monotonic()
        with self._lock:
            stale = [e for pool in self._pools.values() for e in pool.idle if now - e.idle_since >= self.idle_seconds]
            for environment in stale:
                self._pools[environment.config].idle.remove(environment)
        _close_all(stale)
        return len(stale)

    def _start_reaper(self) -> None:
        if self._reaper is None:
            self._reaper = threading.Thread(target=self._reap, name="lambda-reaper", daemon=True)
            self._reaper.start()

    def _reap(self) -> None:
        while not self._closed.wait(max(0.5, min(self.idle_seconds / 2, 30.0))):
            self.reclaim()

    def idle(self, config: FunctionConfig | None = None) -> list[Environment]:
        with self._lock:
            pools = [self._pools.get(config, _Pool())] if config is not None else list(self._pools.values())
            return [e for pool in pools for e in pool.idle]

    def processes(self) -> list[int]:
        """The pids of every environment alive, idle or busy."""
        with self._lock:
            everything = [*self._busy, *(e for pool in self._pools.values() for e in pool.idle)]
        return [e.process.pid for e in everything if e.alive]

    def shutdown(self) -> None:
        """Kill every environment, busy ones included; the object can no longer be used."""
        with self._lock:
            self._closed.set()
            everything = [*self._busy, *(e for pool in self._pools.values() for e in pool.idle)]
            self._pools.clear()
            self._lock.notify_all()
        _close_all(everything)

    def __enter__(self) -> Environments:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()


def _close_all(environments: list[Environment]) -> None:
    for environment in environments:
        environment.close()
