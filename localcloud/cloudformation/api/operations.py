"""Stack operations in threads of their own, and what a restart does to the ones it cut short.

ExecuteChangeSet, CreateStack, UpdateStack and DeleteStack answer at once and leave the work to a
thread: the caller polls DescribeStacks and DescribeStackEvents, as against AWS. An error of the local cloud's own ends
the operation in the failed state CloudFormation would leave, and so does a restart in the
middle of one (`recover`): nothing waits forever.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from ..context import Deployment
from ..engine import StackEngine
from ..errors import DeploymentFailed
from ..state import StackRecord

LOG = logging.getLogger(__name__)


class Operations:
    """The stack operations running on one engine, one thread each."""

    def __init__(self, engine: StackEngine) -> None:
        self._engine = engine
        self._threads: list[threading.Thread] = []
        # (stack name, ClientRequestToken) -> the stack id its operation ran on; kept in memory:
        # a retry comes seconds later, from a client that has not given up
        self._tokens: dict[tuple[str, str], str] = {}

    def start(self, name: str, stack_id: str, work: Callable[[], None]) -> None:
        """Run `work` in a thread named `name`; an error of ours ends the stack's operation failed."""

        def run() -> None:
            try:
                work()
            except DeploymentFailed:
                pass  # the engine has recorded the failure as CloudFormation shows it
            except Exception as error:
                LOG.exception("%s failed", name)
                self._engine.interrupted(
                    stack_id, f"Internal error of the local cloud: {type(error).__name__}: {error}"
                )

        thread = threading.Thread(target=run, name=name, daemon=True)
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()

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
        deadline = time.monotonic() + timeout
        for thread in list(self._threads):
            thread.join(max(0.0, deadline - time.monotonic()))

    def stop(self) -> None:
        """Give each running operation a second; a daemon thread still running ends with the process."""
        for thread in list(self._threads):
            thread.join(timeout=1)

    def recover(self) -> None:
        """After a restart: operations that were running end failed, so that no one waits forever."""
        for record in list(self._engine.stacks.values()):
            self._engine.interrupted(record["stack_name"], "The local cloud stopped during this operation")
        for change_set in self._engine.state.change_sets.values():
            if change_set["ExecutionStatus"] == "EXECUTE_IN_PROGRESS":
                change_set["ExecutionStatus"] = "EXECUTE_FAILED"
        self._engine.state.save()
