"""`CloudFormationApi`: one decoded request in, an HTTP status and the XML answer out.

Each emulated action is a function of its concern's module, bound here to what it needs (the
engine, the endpoint's URL, the settings, the background operations); an action that is not in
the table is refused as CloudFormation refuses an unknown one. Errors become the query
protocol's error shapes: an `ApiError` is the service's answer, anything else an error of the
local cloud's own (500, logged).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path
from typing import Any

from ..engine import StackEngine
from ..query import ApiError, operation, read_input, write_error, write_output
from ..response_server import ResponseServer
from ..services import Services
from ..settings import Settings
from . import change_sets, describe, stacks
from .operations import Operations

LOG = logging.getLogger(__name__)

Action = Callable[[dict[str, Any]], dict[str, Any]]


class CloudFormationApi:
    """The query API of the local CloudFormation; `handle` answers one decoded request."""

    def __init__(self, endpoint_url: str, state_dir: Path | None, settings: Settings | None = None) -> None:
        self.endpoint_url = endpoint_url
        self.state_dir = state_dir
        self.settings = settings or Settings()
        self.responses = ResponseServer()
        self.unknown_actions: list[str] = []  # actions asked for that the local cloud lacks
        self._engine: StackEngine | None = None
        self._operations: Operations | None = None
        self._actions: dict[str, Action] = {}
        self._lock = threading.RLock()

    # --- lifecycle -----------------------------------------------------------------------------

    def start(self) -> None:
        self.responses.start()
        state_file = self.state_dir / "cloudformation" / "stacks.json" if self.state_dir else None
        code_dir = self.state_dir / "cloudformation" / "lambda-code" if self.state_dir else None
        self._engine = StackEngine(
            Services(self.endpoint_url, self.settings.region, self.settings.account),
            self.responses,
            state_file=state_file,
            settings=self.settings,
            progress=self._log_progress,
            code_dir=code_dir,
        )
        self._operations = Operations(self._engine)
        self._actions = self._action_table(self._engine, self._operations)
        # in the background, once the API answers: DescribeStacks shows each stack until it is concluded
        self._operations.recover()

    def stop(self) -> None:
        if self._operations is not None:
            self._operations.stop()
        self.responses.stop()

    @property
    def engine(self) -> StackEngine:
        if self._engine is None:
            raise RuntimeError("CloudFormationApi.start() was not called")
        return self._engine

    def concluding(self) -> list[str]:
        """The stacks whose operation, interrupted by the last stop, is still being concluded."""
        return self._operations.concluding() if self._operations is not None else []

    def wait_idle(self, timeout: float = 600) -> None:
        """Wait until no stack operation runs in the background (for tests and shutdown)."""
        if self._operations is not None:
            self._operations.wait(timeout)

    def _settle(self, engine: StackEngine, name: str) -> None:
        """Hold a read of one stack while its operation runs (`Settings.running_stack_read_wait`),
        outside the lock: the operation goes on meanwhile, and so do the other requests."""
        record = engine.state.find(name)
        if record is not None and self._operations is not None:
            self._operations.settle(record["stack_id"], self.settings.running_stack_read_wait)

    def _log_progress(self, stack: str, logical_id: str, resource_type: str, status: str, reason: str) -> None:
        LOG.info("%s %s %s %s %s", stack, status, resource_type, logical_id, reason)

    # --- the protocol --------------------------------------------------------------------------

    def _action_table(self, engine: StackEngine, operations: Operations) -> dict[str, Action]:
        """Each emulated action by its name in the API, bound to what it needs."""
        endpoint_url, settings = self.endpoint_url, self.settings
        return {
            "CreateChangeSet": partial(
                change_sets.create_change_set, engine, endpoint_url=endpoint_url, settings=settings
            ),
            "DescribeChangeSet": partial(change_sets.describe_change_set, engine),
            "ListChangeSets": partial(change_sets.list_change_sets, engine),
            "DeleteChangeSet": partial(change_sets.delete_change_set, engine),
            "ExecuteChangeSet": partial(change_sets.execute_change_set, engine, operations=operations),
            "DeleteStack": partial(change_sets.delete_stack, engine, operations=operations),
            "CreateStack": partial(stacks.create_stack, engine, endpoint_url=endpoint_url, operations=operations),
            "UpdateStack": partial(stacks.update_stack, engine, endpoint_url=endpoint_url, operations=operations),
            "DescribeStacks": partial(describe.describe_stacks, engine),
            "ListStacks": partial(describe.list_stacks, engine),
            "ListExports": partial(describe.list_exports, engine),
            "DescribeStackEvents": partial(describe.describe_stack_events, engine),
            "DescribeStackResources": partial(describe.describe_stack_resources, engine),
            "DescribeStackResource": partial(describe.describe_stack_resource, engine),
            "ListStackResources": partial(describe.list_stack_resources, engine),
            "GetTemplate": partial(describe.get_template, engine),
            "GetTemplateSummary": partial(describe.get_template_summary, engine, endpoint_url=endpoint_url),
            "ValidateTemplate": partial(describe.validate_template, engine, endpoint_url=endpoint_url),
        }

    def handle(self, params: Mapping[str, str]) -> tuple[int, bytes]:
        action = params.get("Action", "")
        try:
            engine = self.engine
            model = operation(action)
            run = self._actions.get(action)
            if model is None or run is None:
                self.unknown_actions.append(action)
                LOG.warning("cloudformation %s: not emulated by the local cloud", action or "(no Action)")
                raise ApiError("InvalidAction", f"Could not find operation {action} for version 2010-05-15")
            if action == "DescribeStacks" and params.get("StackName"):
                self._settle(engine, params["StackName"])
            # one request at a time, and none while the engine changes a record in a thread of its own
            with self._lock, engine.state.lock:
                result = run(read_input(model, params))
            return 200, write_output(model, result)
        except ApiError as error:
            return error.status, write_error(error)
        except Exception as error:  # an error of the local cloud's own: the service's 500, logged
            LOG.exception("cloudformation %s failed", action)
            return 500, write_error(ApiError("InternalFailure", f"{type(error).__name__}: {error}", 500, sender=False))
