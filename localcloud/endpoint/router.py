"""The endpoint's WSGI application: each request to the service its credential scope names.

What the local cloud cannot answer (an unsigned request, a service or an operation it lacks) is
answered in the service's own error shape and logged on one line: service, operation, status.
Never logged: bodies, headers, query strings (a pre-signed URL's carries its signature).
"""

from __future__ import annotations

import http
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ..personalize.http import ADMIN_PREFIX
from .http import AwsRequest, HttpResponse, WSGIEnviron, read_request
from .protocols import error_response, missing_authentication, operation_of, unsupported

LOG = logging.getLogger("localcloud.endpoint")

Handler = Callable[[AwsRequest], HttpResponse]


class Router:
    """`services` by signing name; `admin` answers `/_localcloud/...` whatever the signature."""

    def __init__(self, services: Mapping[str, Handler], admin: Handler) -> None:
        self.services = dict(services)
        self.admin = admin

    def __call__(self, environ: WSGIEnviron, start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = read_request(environ)
        response = self.route(request)
        if LOG.isEnabledFor(logging.DEBUG):
            LOG.debug("%s %s: %d", request.service or "-", operation_of(request), response.status)
        headers = list(response.headers.items())
        if not any(name.lower() == "content-length" for name, _ in headers):
            headers.append(("Content-Length", str(len(response.body))))
        start_response(f"{response.status} {_reason(response.status)}", headers)
        # a HEAD answer's Content-Length describes the object, and no body follows it
        return [] if request.method == "HEAD" else [response.body]

    def route(self, request: AwsRequest) -> HttpResponse:
        if request.path.startswith(ADMIN_PREFIX):
            return self.admin(request)
        if request.scope is None:
            LOG.warning("refused: unsigned %s %s, answered 403", request.method, request.path)
            return missing_authentication(request)
        handler = self.services.get(request.service)
        if handler is None:
            operation = operation_of(request)
            LOG.warning("unsupported: %s %s (no such service here), answered 501", request.service, operation)
            return unsupported(request, f"{request.service} {operation}")
        try:
            return handler(request)
        except Exception:
            # the client gets a 500 it can parse; the traceback (no request data in it) goes to the log
            LOG.exception("internal error: %s %s", request.service, operation_of(request))
            return error_response(request, 500, "InternalFailure", "The local cloud failed on this request")


def _reason(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"
