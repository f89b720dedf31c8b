"""The Personalize emulator's HTTP face: AWS JSON 1.1 and rest-json, plus an admin API.

- `POST /` with `X-Amz-Target: AmazonPersonalize.<Operation>`: the control plane (AWS JSON 1.1).
- `POST /events`: Amazon Personalize Events `PutEvents` (rest-json).
- `/_localcloud/...`: inspect the state and the call log, inject faults, reset, delete out of band.

`PersonalizeHttp` is the protocol handling alone, from a request's method, path, headers and body
to a status, headers and body: the endpoint (`localcloud/endpoint/`) mounts it beside the other
services. `Emulator` serves it alone on loopback, reached through `AWS_ENDPOINT_URL_PERSONALIZE`
and `AWS_ENDPOINT_URL_PERSONALIZE_EVENTS`.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal, NamedTuple

from ..local_env import local_client
from .model import ServiceError
from .service import Personalize

TARGET_PREFIX = "AmazonPersonalize."
ADMIN_PREFIX = "/_localcloud/"
JSON_1_1 = "application/x-amz-json-1.1"


class Reply(NamedTuple):
    """What to answer: a status, a body and headers (Content-Length is the server's business).

    Personalize's own type, so that the service knows nothing of the servers that mount it."""

    status: int
    body: bytes
    headers: dict[str, str]


def json_reply(status: int, payload: Any, headers: Mapping[str, str] | None = None) -> Reply:
    """A JSON answer with a fresh request id, as every AWS JSON service sends one."""
    return Reply(
        status,
        json.dumps(payload).encode(),
        {"Content-Type": "application/json", "x-amzn-RequestId": str(uuid.uuid4()), **(headers or {})},
    )


class PersonalizeHttp:
    """Personalize's wire protocols and the admin API over a `Personalize`, independent of any server.

    `headers` are looked up by lower-case name.
    """

    def __init__(self, service: Personalize) -> None:
        self.service = service

    def handle(self, method: str, path: str, headers: Mapping[str, str], body: bytes) -> Reply:
        if path.startswith(ADMIN_PREFIX) or method != "POST":
            return self.admin(method, path, body)
        if path.split("?")[0] == "/events":
            return self._rest_json(headers, body)
        return self._json_1_1(headers, body)

    # --- protocols -----------------------------------------------------------------------------

    @staticmethod
    def _unsigned(headers: Mapping[str, str]) -> bool:
        return not headers.get("authorization", "").startswith("AWS4-HMAC-SHA256")

    @staticmethod
    def _json_error(error: ServiceError) -> Reply:
        return json_reply(error.status, {"__type": error.code, "message": error.message}, {"Content-Type": JSON_1_1})

    def _json_1_1(self, headers: Mapping[str, str], body: bytes) -> Reply:
        target = headers.get("x-amz-target", "")
        try:
            if self._unsigned(headers):
                raise ServiceError("MissingAuthenticationTokenException", "Missing Authentication Token", 403)
            if not target.startswith(TARGET_PREFIX):
                raise ServiceError("UnknownOperationException", f"Unknown target {target!r}")
            result = self.service.call(target[len(TARGET_PREFIX) :], self._parse(body))
        except ServiceError as error:
            return self._json_error(error)
        return json_reply(200, result, {"Content-Type": JSON_1_1})

    def _rest_json(self, headers: Mapping[str, str], body: bytes) -> Reply:
        try:
            if self._unsigned(headers):
                raise ServiceError("MissingAuthenticationTokenException", "Missing Authentication Token", 403)
            self.service.put_events(self._parse(body))
        except ServiceError as error:
            return json_reply(error.status, {"message": error.message}, {"x-amzn-ErrorType": error.code})
        return json_reply(200, {})

    @staticmethod
    def _parse(body: bytes) -> Any:
        try:
            return json.loads(body or b"{}")
        except ValueError:
            raise ServiceError("SerializationException", "The request body is not valid JSON.") from None

    # --- admin ---------------------------------------------------------------------------------

    def admin(self, method: str, path: str, body: bytes) -> Reply:
        """`GET state`, `POST faults`, `POST reset`, `POST delete-event-tracker` under /_localcloud/."""
        action = path[len(ADMIN_PREFIX) :].split("?")[0] if path.startswith(ADMIN_PREFIX) else ""
        try:
            payload = json.loads(body or b"{}")
            if method == "GET" and action == "state":
                return json_reply(200, self.service.snapshot())
            if method == "POST" and action == "faults":
                self.service.set_faults(**payload)
            elif method == "POST" and action == "reset":
                self.service.reset()
            elif method == "POST" and action == "delete-event-tracker":
                self.service.delete_tracker_out_of_band(payload["eventTrackerArn"])
            else:
                return json_reply(404, {"message": f"no admin action {method} {path}"})
        except (ValueError, TypeError, KeyError, ServiceError) as error:
            return json_reply(400, {"message": str(error)})
        return json_reply(200, {})


class Emulator:
    """Serves a Personalize instance over HTTP on 127.0.0.1 (port 0: any free port)."""

    def __init__(self, service: Personalize | None = None, port: int = 0) -> None:
        self.service = service or Personalize()
        protocols = PersonalizeHttp(self.service)

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                headers = {name.lower(): value for name, value in self.headers.items()}
                response = protocols.handle(self.command, self.path, headers, body)
                self.send_response(response.status)
                for name, value in response.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(response.body)))
                self.end_headers()
                self.wfile.write(response.body)

            do_POST = _answer  # noqa: N815 (BaseHTTPRequestHandler's naming)
            do_GET = _answer  # noqa: N815

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.endpoint_url = f"http://127.0.0.1:{self.port}"
        # a stop waits for serve_forever's next poll: 0.05 s, not its default half second
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="personalize-emulator", daemon=True
        )

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
        return local_client(service_name, self.endpoint_url, region=self.service.region, attempts=attempts)

    def client_environment(self) -> dict[str, str]:
        """The environment that points boto3 at this emulator."""
        return {
            "AWS_ENDPOINT_URL_PERSONALIZE": self.endpoint_url,
            "AWS_ENDPOINT_URL_PERSONALIZE_EVENTS": self.endpoint_url,
        }
