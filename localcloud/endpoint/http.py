"""One request as the endpoint sees it: read once from the WSGI environ, with the service it is for.

The service and region come from the SigV4 credential scope
(`Authorization: AWS4-HMAC-SHA256 Credential=<key>/<date>/<region>/<service>/aws4_request, ...`),
or from a pre-signed URL's `X-Amz-Credential` query parameter. SigV2 (`Authorization: AWS key:sig`,
or `AWSAccessKeyId` in the query) is S3's alone by now.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote

from werkzeug.wsgi import get_input_stream

WSGIEnviron = dict[str, Any]

# The query parameters that sign a pre-signed URL: never logged, never journaled.
SIGNATURE_QUERY_PARAMETERS = frozenset(
    {
        "x-amz-algorithm",
        "x-amz-credential",
        "x-amz-date",
        "x-amz-expires",
        "x-amz-signedheaders",
        "x-amz-signature",
        "x-amz-security-token",
        "awsaccesskeyid",
        "signature",
        "expires",
    }
)


@dataclass
class HttpResponse:
    """What the endpoint answers: a status, headers (Content-Length is the server's business) and a body."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Scope:
    """The `<key>/<date>/<region>/<service>/aws4_request` a request was signed for."""

    access_key: str
    region: str
    service: str


@dataclass
class AwsRequest:
    """A request read whole: its body is in memory and `environ` can be handed on (to moto)."""

    environ: WSGIEnviron
    method: str
    path: str  # decoded, without the query
    query: str  # raw, as sent
    headers: dict[str, str]  # by lower-case name
    body: bytes
    scope: Scope | None

    @property
    def service(self) -> str:
        return self.scope.service if self.scope else ""

    @property
    def region(self) -> str:
        return self.scope.region if self.scope else ""

    @property
    def raw_path(self) -> str:
        """The path as sent, still percent-encoded (what moto reads S3 keys from)."""
        raw = str(self.environ.get("RAW_URI") or self.environ.get("REQUEST_URI") or quote(self.path))
        if "://" in raw:  # an absolute URI, as proxies send
            raw = "/" + raw.split("://", 1)[1].partition("/")[2]
        return raw.split("?", 1)[0] or "/"

    def query_parameters(self) -> dict[str, str]:
        return dict(parse_qsl(self.query, keep_blank_values=True))

    def form(self) -> dict[str, str]:
        """The query protocol's parameters: the URL's query, then the form body (which wins)."""
        params = self.query_parameters()
        if self.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            params.update(parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True))
        return params


def read_request(environ: WSGIEnviron) -> AwsRequest:
    """Read the body (de-chunked by the server), and put it back in `environ` as a plain stream.

    Every body is read here, once: a router, a journal and moto each need it, and a
    `Transfer-Encoding: chunked` stream can be read only once.
    """
    body = get_input_stream(environ, safe_fallback=False).read() if _has_body(environ) else b""
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    environ.pop("HTTP_TRANSFER_ENCODING", None)
    environ.pop("wsgi.input_terminated", None)
    headers = {
        key[5:].replace("_", "-").lower(): str(value) for key, value in environ.items() if key.startswith("HTTP_")
    }
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(key):
            headers[key.replace("_", "-").lower()] = str(environ[key])
    query = str(environ.get("QUERY_STRING", ""))
    return AwsRequest(
        environ=environ,
        method=str(environ.get("REQUEST_METHOD", "GET")).upper(),
        path=str(environ.get("PATH_INFO", "/")) or "/",
        query=query,
        headers=headers,
        body=body,
        scope=credential_scope(headers.get("authorization", ""), query),
    )


def _has_body(environ: WSGIEnviron) -> bool:
    return bool(environ.get("CONTENT_LENGTH")) or "wsgi.input_terminated" in environ


def credential_scope(authorization: str, query: str) -> Scope | None:
    """The scope of a SigV4 header or pre-signed URL; S3's for SigV2; None when unsigned."""
    credential = ""
    if authorization.startswith("AWS4-HMAC-SHA256 "):
        for part in authorization[len("AWS4-HMAC-SHA256 ") :].split(","):
            name, _, value = part.strip().partition("=")
            if name == "Credential":
                credential = value
    elif authorization.startswith("AWS "):
        return Scope(authorization[4:].split(":")[0], "us-east-1", "s3")
    else:
        params = {name.lower(): value for name, value in parse_qsl(query, keep_blank_values=True)}
        if "awsaccesskeyid" in params:
            return Scope(params["awsaccesskeyid"], "us-east-1", "s3")
        credential = params.get("x-amz-credential", "")
    parts = credential.split("/")
    if len(parts) != 5 or parts[4] != "aws4_request" or not parts[2] or not parts[3]:
        return None
    return Scope(access_key=parts[0], region=parts[2], service=parts[3].lower())


def unsigned_query(query: str) -> str:
    """The query without a pre-signed URL's signature: what may be logged or kept."""
    kept = [pair for pair in query.split("&") if pair and pair.split("=")[0].lower() not in SIGNATURE_QUERY_PARAMETERS]
    return "&".join(kept)
