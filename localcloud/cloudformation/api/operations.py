"""Stack operations in threads of their own, and what a restart does to the ones it cut short.

ExecuteChangeSet, CreateStack, UpdateStack and DeleteStack answer at once and leave the work to a
thread: the caller polls DescribeStacks and DescribeStackEvents, as against AWS. An error of the
local cloud's own ends the operation in the failed state CloudFormation would leave: nothing
waits forever. A restart concludes what the last stop interrupted (`recover`), each stack in a
thread too, while the endpoint serves: the custom resources' functions call it, and DescribeStacks
shows the stack *_IN_PROGRESS until its operation has ended.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from functools import partial

from ...statedir import StateFenced
from ..context import Deployment
from ..engine import StackEngine
from ..errors import DeploymentFailed
from ..state import StackRecord

LOG = logging.getLogger(__name__)


class Operations:
    """The stack operations running on one engine, one thread each."""

    def __init__(self, engine: StackEngine) -> None:
        self._engine = engine
        self._running: list[tuple[str, threading.Thread]] = []  # (stack id, an operation's thread on it)
        # (stack name, ClientRequestToken) -> the stack id its operation ran on; kept in memory:
        # a retry comes seconds later, from a client that has not given up
        self._tokens: dict[tuple[str, str], str] = {}
        self._concluding: dict[str, threading.Thread] = {}  # stack name -> what concludes it after a restart

    def start(self, name: str, stack_id: str, work: Callable[[], None]) -> threading.Thread:
        """Run `work` in a thread named `name`; an error of ours ends the stack's operation failed."""

        def run() -> None:
            try:
                work()
            except DeploymentFailed:
                pass  # the engine has recorded the failure as CloudFormation shows it
            except StateFenced:
                pass  # the local cloud stopped: the operation stays in progress for the next start
            except Exception as error:
                LOG.exception("%s failed", name)
                self._engine.interrupted(
                    stack_id, f"Internal error of the local cloud: {type(error).__name__}: {error}"
                )

        thread = threading.Thread(target=run, name=name, daemon=True)
        self._running = [(stack, t) for stack, t in self._running if t.is_alive()] + [(stack_id, thread)]
        thread.start()
        return thread

    def settle(self, stack_id: str, timeout: float) -> None:
        """Wait until the operation running on the stack has ended, or `timeout` seconds have passed."""
        self._join([thread for stack, thread in self._running if stack == stack_id], timeout)

    def deploy(self, record: StackRecord, deployment: Deployment, ended: Callable[[bool], None] | None = None) -> None:
        """Create, update or import into the stack in a thread; `ended(succeeded)` when it is over."""

        def work() -> None:
            succeeded = False
            try:
                self._engine.run(deployment)
                succeeded = True
            finally:
                if ended is not None:
                    ended(succeeded)
                self._engine.state.save()

        self.start(f"deploy-{record['stack_name']}", record["stack_id"], work)

    def started_by(self, token: str | None, stack_name: str) -> str | None:
        """The stack id of the operation this ClientRequestToken already started on this stack, if any:
        a request retried with its token is answered again, not run twice."""
        return self._tokens.get((stack_name, token)) if token else None

    def remember(self, token: str | None, stack_name: str, stack_id: str) -> None:
        if token:
            self._tokens[(stack_name, token)] = stack_id

    def wait(self, timeout: float) -> None:
        """Wait until no operation runs, or `timeout` seconds have passed."""
        self._join([thread for _, thread in self._running], timeout)

    @staticmethod
    def _join(threads: list[threading.Thread], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def stop(self) -> None:
        """Give each running operation a second, then record nothing more: what an operation still
        running does next is fail as the services go, and the restart concludes it from the state
        as it stood (`recover`). A daemon thread still running ends with the process."""
        for _, thread in list(self._running):
            thread.join(timeout=1)
        self._engine.state.freeze()

    def recover(self) -> list[str]:
        """After a restart: conclude each operation the last stop interrupted, as CloudFormation
        would have ended it (`StackEngine.conclude`), in the background; the stacks concluding."""
        for change_set in self._engine.state.change_sets.values():
            if change_set["ExecutionStatus"] == "EXECUTE_IN_PROGRESS":
                change_set["ExecutionStatus"] = "EXECUTE_FAILED"
        self._engine.state.save()
        concluding = [
            record
            for record in self._engine.stacks.values()
            if str(record.get("status", "")).endswith("_IN_PROGRESS") and record.get("status") != "REVIEW_IN_PROGRESS"
        ]
        for record in concluding:
            stack_id = record["stack_id"]
            LOG.info("%s: concluding its %s, which the last stop interrupted", record["stack_name"], record["status"])
            work = partial(self._engine.conclude, stack_id)
            self._concluding[record["stack_name"]] = self.start(f"conclude-{record['stack_name']}", stack_id, work)
        return [record["stack_name"] for record in concluding]

    def concluding(self) -> list[str]:
        """The stacks whose interrupted operation is still being concluded."""
        return [name for name, thread in self._concluding.items() if thread.is_alive()]
