"""The Personalize emulator's HTTP face: AWS JSON 1.1 and rest-json on loopback, plus an admin API.

- `POST /` with `X-Amz-Target: AmazonPersonalize.<Operation>`: the control plane (AWS JSON 1.1).
- `POST /events`: Amazon Personalize Events `PutEvents` (rest-json).
- `/_localcloud/...`: inspect the state and the call log, inject faults, reset, delete out of band.

Clients reach it through `AWS_ENDPOINT_URL_PERSONALIZE` and `AWS_ENDPOINT_URL_PERSONALIZE_EVENTS`.
"""

from __future__ import annotations

import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

import boto3
from botocore.config import Config

from .model import ServiceError
from .personalize import Personalize

TARGET_PREFIX = "AmazonPersonalize."
ADMIN_PREFIX = "/_localcloud/"


class Emulator:
    """Serves a Personalize instance over HTTP on 127.0.0.1 (port 0: any free port)."""

    def __init__(self, service: Personalize | None = None, port: int = 0) -> None:
        self.service = service or Personalize()
        emulator = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if self.path.startswith(ADMIN_PREFIX):
                    emulator._admin(self, "POST", body)
                elif self.path.split("?")[0] == "/events":
                    emulator._rest_json(self, body)
                else:
                    emulator._json_1_1(self, body)

            def do_GET(self) -> None:
                emulator._admin(self, "GET", b"")

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.endpoint_url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="personalize-emulator", daemon=True)

    def start(self) -> Emulator:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def client(
        self, service_name: Literal["personalize", "personalize-events"] = "personalize", *, attempts: int = 3
    ) -> Any:
        """A boto3 client for `personalize` or `personalize-events` that talks to this emulator."""
        return boto3.client(
            service_name,
            region_name=self.service.region,
            endpoint_url=self.endpoint_url,
            aws_access_key_id="localcloud",
            aws_secret_access_key="localcloud",
            # the driver shares one client among the threads of a whole stack's resources
            config=Config(retries={"mode": "standard", "total_max_attempts": attempts}, max_pool_connections=128),
        )

    def client_environment(self) -> dict[str, str]:
        """The environment that points boto3 at this emulator."""
        return {
            "AWS_ENDPOINT_URL_PERSONALIZE": self.endpoint_url,
            "AWS_ENDPOINT_URL_PERSONALIZE_EVENTS": self.endpoint_url,
        }

    # --- protocols -----------------------------------------------------------------------------

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, status: int, payload: Any, headers: dict[str, str]) -> None:
        data = json.dumps(payload).encode()
        handler.send_response(status)
        handler.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    @staticmethod
    def _unsigned(handler: BaseHTTPRequestHandler) -> bool:
        return not handler.headers.get("Authorization", "").startswith("AWS4-HMAC-SHA256")

    def _json_1_1(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        content_type = {"Content-Type": "application/x-amz-json-1.1"}
        target = handler.headers.get("X-Amz-Target", "")
        try:
            if self._unsigned(handler):
                raise ServiceError("MissingAuthenticationTokenException", "Missing Authentication Token", 403)
            if not target.startswith(TARGET_PREFIX):
                raise ServiceError("UnknownOperationException", f"Unknown target {target!r}")
            params = self._parse(body)
            result = self.service.call(target[len(TARGET_PREFIX) :], params)
        except ServiceError as error:
            self._send(handler, error.status, {"__type": error.code, "message": error.message}, content_type)
            return
        self._send(handler, 200, result, content_type)

    def _rest_json(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        try:
            if self._unsigned(handler):
                raise ServiceError("MissingAuthenticationTokenException", "Missing Authentication Token", 403)
            self.service.put_events(self._parse(body))
        except ServiceError as error:
            headers = {"Content-Type": "application/json", "x-amzn-ErrorType": error.code}
            self._send(handler, error.status, {"message": error.message}, headers)
            return
        self._send(handler, 200, {}, {"Content-Type": "application/json"})

    @staticmethod
    def _parse(body: bytes) -> Any:
        try:
            return json.loads(body or b"{}")
        except ValueError:
            raise ServiceError("SerializationException", "The request body is not valid JSON.") from None

    # --- admin ---------------------------------------------------------------------------------

    def _admin(self, handler: BaseHTTPRequestHandler, method: str, body: bytes) -> None:
        action = handler.path[len(ADMIN_PREFIX) :].split("?")[0] if handler.path.startswith(ADMIN_PREFIX) else ""
        json_type = {"Content-Type": "application/json"}
        try:
            payload = json.loads(body or b"{}")
            if method == "GET" and action == "state":
                self._send(handler, 200, self.service.snapshot(), json_type)
            elif method == "POST" and action == "faults":
                self.service.set_faults(**payload)
                self._send(handler, 200, {}, json_type)
            elif method == "POST" and action == "reset":
                self.service.reset()
                self._send(handler, 200, {}, json_type)
            elif method == "POST" and action == "delete-event-tracker":
                self.service.delete_tracker_out_of_band(payload["eventTrackerArn"])
                self._send(handler, 200, {}, json_type)
            else:
                self._send(handler, 404, {"message": f"no admin action {method} {handler.path}"}, json_type)
        except (ValueError, TypeError, KeyError, ServiceError) as error:
            self._send(handler, 400, {"message": str(error)}, json_type)
