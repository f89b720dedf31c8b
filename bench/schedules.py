"""EventBridge schedules and Lambda permissions, as far as crhelper's scheduled polling uses them.

crhelper's `poll_create` and friends put a `rate(N minutes)` rule whose target is the function
itself, with the whole event as input, and allow EventBridge to invoke it. This server answers
those calls (EventBridge over AWS JSON 1.1, Lambda's permission API over REST) and fires each
rule at its nominal rate by handing the target input to `invoke`. It exists so the benchmarks
can run that peer as it runs in AWS.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Rule:
    name: str
    period: float  # seconds
    created: float
    targets: list[dict[str, Any]] = field(default_factory=list)
    fired: int = 0


class Schedules:
    """EventBridge rules that fire; `invoke(input_json)` runs the target function."""

    def __init__(self, invoke: Callable[[str], None], region: str = "us-east-1", account: str = "123456789012") -> None:
        self.invoke = invoke
        self.region, self.account = region, account
        self.rules: dict[str, Rule] = {}
        self.permissions: set[str] = set()
        self.calls: list[str] = []
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        schedules = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                schedules._handle(self, "POST")

            def do_DELETE(self) -> None:
                schedules._handle(self, "DELETE")

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._threads = [
            threading.Thread(target=self._server.serve_forever, daemon=True),
            threading.Thread(target=self._fire_due_rules, daemon=True),
        ]

    def __enter__(self) -> Schedules:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stopped.set()
        self._server.shutdown()
        self._server.server_close()

    def client_environment(self) -> dict[str, str]:
        # botocore names these after the service id: EventBridge, Lambda
        return {"AWS_ENDPOINT_URL_EVENTBRIDGE": self.endpoint_url, "AWS_ENDPOINT_URL_LAMBDA": self.endpoint_url}

    # --- the APIs ------------------------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        body = handler.rfile.read(int(handler.headers.get("Content-Length", "0")))
        request = json.loads(body or b"{}")
        target = handler.headers.get("X-Amz-Target", "")
        status, reply = 200, {}
        with self._lock:
            if target:
                operation = target.split(".")[-1]
                self.calls.append(operation)
                reply = self._events(operation, request)
            elif method == "POST" and handler.path.endswith("/policy"):
                self.calls.append("AddPermission")
                self.permissions.add(request["StatementId"])
                status, reply = 201, {"Statement": json.dumps({"Sid": request["StatementId"]})}
            elif method == "DELETE" and "/policy/" in handler.path:
                self.calls.append("RemovePermission")
                self.permissions.discard(handler.path.rsplit("/", 1)[-1].split("?")[0])
                status = 204
        data = b"" if status == 204 else json.dumps(reply).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/x-amz-json-1.1")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def _events(self, operation: str, request: dict[str, Any]) -> dict[str, Any]:
        if operation == "PutRule":
            amount, unit = re.fullmatch(r"rate\((\d+) (minutes?|hours?)\)", request["ScheduleExpression"]).groups()  # type: ignore[union-attr]
            period = int(amount) * (60 if unit.startswith("minute") else 3600)
            self.rules[request["Name"]] = Rule(request["Name"], period, time.monotonic())
            return {"RuleArn": f"arn:aws:events:{self.region}:{self.account}:rule/{request['Name']}"}
        if operation == "PutTargets":
            self.rules[request["Rule"]].targets = list(request["Targets"])
            return {"FailedEntryCount": 0, "FailedEntries": []}
        if operation == "RemoveTargets":
            if request["Rule"] in self.rules:
                self.rules[request["Rule"]].targets = []
            return {"FailedEntryCount": 0, "FailedEntries": []}
        if operation == "DeleteRule":
            self.rules.pop(request["Name"], None)
            return {}
        raise ValueError(f"EventBridge {operation} is not emulated")

    # --- firing --------------------------------------------------------------------------------

    def _fire_due_rules(self) -> None:
        while not self._stopped.wait(0.05):
            due = []
            with self._lock:
                now = time.monotonic()
                for rule in self.rules.values():
                    if rule.targets and now >= rule.created + rule.period * (rule.fired + 1):
                        rule.fired += 1
                        due += [target["Input"] for target in rule.targets]
            for payload in due:
                threading.Thread(target=self.invoke, args=(payload,), daemon=True).start()
