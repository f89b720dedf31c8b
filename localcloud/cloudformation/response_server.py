"""The ResponseURL: a local HTTPS server with a generated self-signed certificate.

CloudFormation gives each custom resource request a pre-signed S3 URL to PUT its answer to;
crhelper sends it over HTTPS only. This server plays that part on loopback, and checks each
answer the way CloudFormation would (fields, size, PhysicalResourceId rules).
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import secrets
import ssl
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

MAX_RESPONSE_BYTES = 4096
MAX_PHYSICAL_ID_BYTES = 1024
REQUIRED_FIELDS = ("Status", "PhysicalResourceId", "StackId", "RequestId", "LogicalResourceId")


def write_self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost, and its key; the certificate is its own CA."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localcloud response server")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "response-server.pem", directory / "response-server.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


@dataclass
class Answer:
    """One answer PUT to a ResponseURL, with what is wrong with it (empty when valid)."""

    path: str
    body: dict[str, Any]
    problems: list[str] = field(default_factory=list)
    received_at: float = field(default_factory=time.time)  # wall clock, as the emulator's


def check_answer(raw: bytes, request: dict[str, Any] | None) -> tuple[dict[str, Any], list[str]]:
    problems: list[str] = []
    if len(raw) > MAX_RESPONSE_BYTES:
        problems.append(f"response is {len(raw)} bytes; CloudFormation takes at most {MAX_RESPONSE_BYTES}")
    try:
        body = json.loads(raw)
    except ValueError:
        return {}, ["response is not JSON"]
    for name in REQUIRED_FIELDS:
        if not body.get(name):
            problems.append(f"{name} is missing or empty")
    if body.get("Status") not in ("SUCCESS", "FAILED"):
        problems.append(f"Status {body.get('Status')!r} is neither SUCCESS nor FAILED")
    if body.get("Status") == "FAILED" and not body.get("Reason"):
        problems.append("a FAILED answer needs a Reason")
    if len(str(body.get("PhysicalResourceId", "")).encode()) > MAX_PHYSICAL_ID_BYTES:
        problems.append("PhysicalResourceId exceeds 1 KB")
    if request is not None:
        for name in ("StackId", "RequestId", "LogicalResourceId"):
            if body.get(name) != request.get(name):
                problems.append(f"{name} does not echo the request's")
    return body, problems


class ResponseServer:
    """HTTPS on loopback; `url_for(request)` hands out one pre-signed-looking URL per request."""

    def __init__(self, certificate_dir: Path | None = None) -> None:
        self._tempdir = None
        if certificate_dir is None:
            self._tempdir = tempfile.TemporaryDirectory(prefix="localcloud-tls-")
            certificate_dir = Path(self._tempdir.name)
        self.certificate_file, key_file = write_self_signed_certificate(certificate_dir)
        self.answers: list[Answer] = []
        # (status, request type or None for any) to answer the next matching PUTs with, instead of 200
        self.refusals: list[tuple[int, str | None]] = []
        self.refused = 0
        self._requests: dict[str, dict[str, Any]] = {}
        self._arrived = threading.Condition()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_PUT(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                request_type = server._requests.get(self.path.split("?")[0], {}).get("RequestType")
                with server._arrived:
                    refusal = server._take_refusal(request_type)
                if refusal is not None:
                    server.refused += 1
                    self.send_response(refusal)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                path = self.path.split("?")[0]
                body, problems = check_answer(raw, server._requests.get(path))
                with server._arrived:
                    server.answers.append(Answer(path=path, body=body, problems=problems))
                    server._arrived.notify_all()
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.certificate_file, key_file)
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self.port = self._server.server_address[1]
        # serve_forever notices a shutdown only at its next poll: 0.05 s, not its default half second, so a
        # stop (one per endpoint, stack engine or test) is quick
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def start(self) -> ResponseServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._tempdir is not None:
            self._tempdir.cleanup()

    def __enter__(self) -> ResponseServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def url_for(self, request: dict[str, Any]) -> str:
        """A fresh ResponseURL for this request; its signature is a secret, as S3's is."""
        path = f"/responses/{secrets.token_hex(8)}"
        self._requests[path] = request
        return f"https://127.0.0.1:{self.port}{path}?X-Amz-Signature={secrets.token_hex(16)}"

    def refuse_next(self, count: int, status: int = 503, request_type: str | None = None) -> None:
        """Fault injection: answer the next `count` PUTs (to requests of `request_type`, if given)
        with `status`; the answer is not taken."""
        with self._arrived:
            self.refusals.extend([(status, request_type)] * count)

    def _take_refusal(self, request_type: str | None) -> int | None:
        for index, (status, wanted) in enumerate(self.refusals):
            if wanted is None or wanted == request_type:
                del self.refusals[index]
                return status
        return None

    def wait_for_answer(self, url: str, timeout: float) -> Answer | None:
        """The first answer to `url`, waiting up to `timeout` seconds; None if none came."""
        with self._arrived:
            self._arrived.wait_for(lambda: bool(self.answers_to(url)), timeout=timeout)
            found = self.answers_to(url)
        return found[0] if found else None

    def answers_to(self, url: str) -> list[Answer]:
        path = url.split("://", 1)[1].split("/", 1)[1].split("?")[0]
        return [answer for answer in self.answers if answer.path == "/" + path]
