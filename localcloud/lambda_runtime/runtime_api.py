"""Lambda's Runtime API for one execution environment, on loopback.

The runtime interface client (`awslambdaric`) long-polls `GET /2018-06-01/runtime/invocation/next`
for its next event, and reports each outcome at `POST .../invocation/{id}/response` or
`.../invocation/{id}/error`; an Init failure at `POST .../init/error`. One server per environment,
as Lambda gives each its own endpoint: the environment is whatever process polls it.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PREFIX = "/2018-06-01/runtime"
ERROR_TYPE_HEADER = "Lambda-Runtime-Function-Error-Type"


@dataclass
class PendingInvocation:
    """One invocation handed to the runtime, and what became of it."""

    event: bytes
    timeout_seconds: float
    function_arn: str
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    trace_id: str = field(default_factory=lambda: f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]}")
    deadline: float = 0.0  # epoch seconds, set when the runtime takes it
    handed_at: float = 0.0  # monotonic, likewise
    taken: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)
    response: bytes | None = None
    error: dict[str, Any] | None = None
    before: list[tuple[int, str]] = field(default_factory=list)  # output written before it was taken (Init's)

    def finish(self, *, response: bytes | None = None, error: dict[str, Any] | None = None) -> None:
        if self.done.is_set():
            return
        self.response, self.error = response, error
        self.done.set()


class RuntimeApi:
    """The endpoint one environment's runtime polls (`AWS_LAMBDA_RUNTIME_API`)."""

    def __init__(self, on_take: Callable[[PendingInvocation], None] | None = None) -> None:
        # called as the runtime takes a request, before it runs any of it
        self._on_take = on_take
        self._lock = threading.Condition()
        self._pending: PendingInvocation | None = None  # offered, not yet taken
        self._current: PendingInvocation | None = None  # taken, not yet answered
        self._closed = False
        self.init_error: dict[str, Any] | None = None
        self.init_error_seen = threading.Event()
        self.polled = threading.Event()  # the runtime finished Init and asked for work
        self._server = _Server(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(target=self._server.serve_forever, name="lambda-runtime-api", daemon=True)
        self._thread.start()

    @property
    def address(self) -> str:
        host, port = self._server.server_address[:2]
        return f"{host!s}:{port}"

    def offer(self, request: PendingInvocation) -> None:
        """Hand the next `/invocation/next` this request."""
        with self._lock:
            if self._pending is not None or self._current is not None:
                raise RuntimeError("this environment is busy")
            self._pending = request
            self._lock.notify_all()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._lock.notify_all()
        # serve_forever notices a shutdown only at its next poll (half a second): closing fifty
        # environments one by one must not wait for each
        threading.Thread(target=self._stop_serving, name="lambda-runtime-api-close", daemon=True).start()

    def _stop_serving(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # --- what the handler below calls ---------------------------------------------------------

    def next(self) -> PendingInvocation | None:
        """The next request, once there is one (None: the environment is closing)."""
        self.polled.set()
        with self._lock:
            while self._pending is None and not self._closed:
                self._lock.wait()
            if self._closed or self._pending is None:
                return None
            request, self._pending = self._pending, None
            self._current = request
            if self._on_take is not None:
                self._on_take(request)
            request.handed_at = time.monotonic()
            request.deadline = time.time() + request.timeout_seconds
            request.taken.set()
            return request

    def answer(self, request_id: str, *, response: bytes | None = None, error: dict[str, Any] | None = None) -> bool:
        with self._lock:
            request = self._current
            if request is None or request.request_id != request_id:
                return False
            self._current = None
        request.finish(response=response, error=error)
        return True

    def failed_init(self, error: dict[str, Any]) -> None:
        self.init_error = error
        self.init_error_seen.set()


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a runtime killed mid-request (a timeout, a shutdown) is expected, not news


def _handler_for(api: RuntimeApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # the client keeps its connection
        disable_nagle_algorithm = True  # headers and body go out apart: Nagle would hold the body 40 ms

        def log_message(self, format: str, *args: Any) -> None:
            pass  # events and answers hold ResponseURLs: nothing of them is logged

        def _reply(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def _body(self) -> bytes:
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def do_GET(self) -> None:
            if self.path != f"{PREFIX}/invocation/next":
                self._reply(404, b'{"errorType":"NotFound"}')
                return
            request = api.next()
            if request is None:
                self._reply(500, b'{"errorType":"Runtime.Shutdown"}')
                return
            self._reply(
                200,
                request.event,
                {
                    "Lambda-Runtime-Aws-Request-Id": request.request_id,
                    "Lambda-Runtime-Deadline-Ms": str(int(request.deadline * 1000)),
                    "Lambda-Runtime-Invoked-Function-Arn": request.function_arn,
                    "Lambda-Runtime-Trace-Id": request.trace_id,
                },
            )

        def do_POST(self) -> None:
            body = self._body()
            parts = self.path.removeprefix(PREFIX).strip("/").split("/")
            if parts == ["init", "error"]:
                api.failed_init(_error(body, self.headers.get(ERROR_TYPE_HEADER)))
                self._reply(202, b'{"status":"OK"}')
                return
            if len(parts) == 3 and parts[0] == "invocation" and parts[2] in ("response", "error"):
                if parts[2] == "response":
                    known = api.answer(parts[1], response=body)
                else:
                    known = api.answer(parts[1], error=_error(body, self.headers.get(ERROR_TYPE_HEADER)))
                if known:
                    self._reply(202, b'{"status":"OK"}')
                else:
                    self._reply(400, b'{"errorType":"InvalidRequestID","errorMessage":"unknown request id"}')
                return
            self._reply(404, b'{"errorType":"NotFound"}')

    return Handler


def _error(body: bytes, error_type: str | None) -> dict[str, Any]:
    try:
        error = json.loads(body)
    except ValueError:
        error = {"errorMessage": body.decode("utf-8", "replace")}
    if not isinstance(error, dict):
        error = {"errorMessage": str(error)}
    error.setdefault("errorType", error_type or "Unknown")
    return error
