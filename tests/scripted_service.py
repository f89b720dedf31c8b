"""A scripted Amazon Personalize endpoint on loopback: real HTTP, real botocore serialization.

Each operation answers from its script in order (a status and a JSON body); every request is
recorded. Enough to prove what botocore's retry configuration does; the full emulator is the
local cloud's.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Reply = tuple[int, dict[str, Any]]


def error(code: str, status: int = 400) -> Reply:
    return status, {"__type": code, "message": f"scripted {code}"}


class ScriptedPersonalize:
    def __init__(self, script: dict[str, list[Reply]]) -> None:
        self.script = {operation: list(replies) for operation, replies in script.items()}
        self.calls: list[tuple[str, dict[str, Any]]] = []
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                operation = self.headers["X-Amz-Target"].split(".")[-1]
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])) or b"{}")
                service.calls.append((operation, body))
                status, reply = service.script[operation].pop(0)
                payload = json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/x-amz-json-1.1")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        # a stop waits for serve_forever's next poll: 0.05 s, not its default half second per test
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> ScriptedPersonalize:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()

    def operations(self) -> list[str]:
        return [operation for operation, _ in self.calls]

    def unused(self) -> dict[str, list[Reply]]:
        return {operation: replies for operation, replies in self.script.items() if replies}
