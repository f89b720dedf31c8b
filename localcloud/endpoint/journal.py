"""What survives a restart of moto's services: a journal of the writes they accepted, replayed at start.

Each successful write to one of moto's services (what counts as a write: `moto_catalog.py`), and
each of moto's CloudFormation models a stack made, changed or deleted (`model_operations.py`), is
appended, in the order moto ran it, as one JSON line: service, region, method, path, query,
headers, and the seed moto's random generator drew the write's ids from. Bodies are kept apart under
`blobs/<sha256>`, so the same asset uploaded twice is stored once. Not kept: the signature
(Authorization, a pre-signed URL's X-Amz-* parameters, session tokens): replay signs with a
placeholder key, which moto maps to its default account, 123456789012.

Why a journal rather than pickling moto's backends: moto's API is stable across its releases and
its objects are not (a pickle from one moto version need not load in the next, and S3 objects hold
locks and spooled files); and a line appended per write survives a crash, where a snapshot taken
at stop would not. The price: what moto takes from the clock (a creation time) differs after a
replay. Ids drawn from moto's random generator (an IAM RoleId, an S3 VersionId) are the same,
since the replay seeds it as the first run did.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import unquote_to_bytes

from werkzeug.test import EnvironBuilder

from ..statedir import AppendLog, fence_of, replace_file
from .http import AwsRequest, HttpResponse, Scope, read_request, unsigned_query

LOG = logging.getLogger("localcloud.endpoint")

REPLAY_KEY = "localcloud-replay"
# Headers that sign, frame or describe the sending of a request, not what it asks for.
UNKEPT_HEADERS = frozenset(
    {
        "authorization",
        "x-amz-security-token",
        "cookie",
        "content-length",
        "transfer-encoding",
        "connection",
        "expect",
        "accept-encoding",
        "user-agent",
        "amz-sdk-invocation-id",
        "amz-sdk-request",
    }
)


@dataclass
class Entry:
    """One write, enough to send again."""

    service: str
    region: str
    method: str
    path: str  # as sent, percent-encoded
    query: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""  # the blob's sha256, "" for none
    seed: int | None = None  # moto's random generator's, for the same ids at replay (None: not seeded)

    @classmethod
    def of(cls, request: AwsRequest, body_digest: str, seed: int | None = None) -> Entry:
        headers = {name: value for name, value in request.headers.items() if name not in UNKEPT_HEADERS}
        return cls(
            service=request.service,
            region=request.region,
            method=request.method,
            path=request.raw_path,
            query=unsigned_query(request.query),
            headers=headers,
            body=body_digest,
            seed=seed,
        )


def build_request(
    service: str,
    region: str,
    method: str,
    path: str,  # percent-encoded
    *,
    query: str = "",
    headers: dict[str, str] | None = None,
    body: bytes = b"",
) -> AwsRequest:
    """A request made here rather than received: signed with a placeholder key, for moto to route."""
    headers = {name: value for name, value in (headers or {}).items() if name.lower() not in UNKEPT_HEADERS}
    headers["Authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={REPLAY_KEY}/20000101/{region}/{service}/aws4_request, "
        "SignedHeaders=host, Signature=0"
    )
    headers.setdefault("host", "127.0.0.1")
    environ = EnvironBuilder(method=method, headers=list(headers.items()), data=body, query_string=query).get_environ()
    # The path as sent, not decoded and encoded again: an S3 key may hold an encoded "/".
    environ["PATH_INFO"] = unquote_to_bytes(path).decode("latin-1")  # as a WSGI server decodes it
    raw = path + (f"?{query}" if query else "")
    environ["RAW_URI"] = environ["REQUEST_URI"] = raw
    request = read_request(environ)
    assert request.scope == Scope(REPLAY_KEY, region, service)
    return request


class Journal:
    """The journal in `directory`: `journal.jsonl` and `blobs/`."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._log = AppendLog(directory / "journal.jsonl", "moto's writes")
        self._blobs = directory / "blobs"
        self._fence = fence_of(self._blobs)
        self._lock = threading.Lock()

    def record(self, request: AwsRequest, seed: int | None = None) -> None:
        """Append a write that moto accepted (with the seed its ids were drawn from), on disk when
        this returns: its body first, then its line."""
        entry = Entry.of(request, self._store(request.body) if request.body else "", seed)
        with self._lock:
            self._log.append([asdict(entry)])

    def replay(self, send: Callable[[AwsRequest, int | None], HttpResponse]) -> int:
        """Send every write again, in order; the number replayed. A refused one is logged and skipped."""
        replayed = 0
        for number, record in enumerate(self._log.read(), start=1):
            try:
                entry = Entry(**record)
            except TypeError:
                LOG.warning("journal %s entry %d is not a write: skipped", self._log.path, number)
                continue
            try:
                body = (self._blobs / entry.body).read_bytes() if entry.body else b""
            except OSError:
                LOG.warning("journal entry %d: its body %s is missing: skipped", number, entry.body)
                continue
            request = build_request(
                entry.service,
                entry.region,
                entry.method,
                entry.path,
                query=entry.query,
                headers=entry.headers,
                body=body,
            )
            response = send(request, entry.seed)
            if response.status >= 300:
                LOG.warning(
                    "journal entry %d (%s %s %s) refused on replay: HTTP %d",
                    number,
                    entry.service,
                    entry.method,
                    entry.path,
                    response.status,
                )
                continue
            replayed += 1
        return replayed

    def _store(self, body: bytes) -> str:
        digest = hashlib.sha256(body).hexdigest()
        blob = self._blobs / digest
        if not blob.exists():
            replace_file(blob, body, self._fence)  # whole or absent, whenever the process dies
        return digest
