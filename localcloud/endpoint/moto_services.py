"""Every service moto emulates (but those that stay ours), in this process, as WSGI.

moto's server (`moto[server]`) is a WSGI application that routes by the same credential scope;
it is called here directly, with no second port and no second process. Which signing names go
to it is moto's own list (`moto_catalog.py`). Its backends are process-global, so one endpoint at
a time owns them (`Endpoint` enforces it). Writes are serialized and journaled (`journal.py`) so
that they survive a restart; reads run concurrently. moto's CloudFormation models are run here
too, as writes of the `localcloud-models` service (`model_operations.py`).

Each write runs with moto's random generator seeded afresh, and the journal keeps the seed: moto
draws its ids from that generator (an SNS subscription's ARN, a secret's suffix, a key id), so a
replay makes the same ids, and what refers to them (a stack's resources, a later write) still
finds them. (A message sent in the same instant from another thread can draw from it too; the
ids of that one write then differ after a restart, as they all did before.)
"""

from __future__ import annotations

import functools
import logging
import re
import secrets
import threading
from pathlib import Path
from typing import Any
from urllib.parse import quote
from xml.sax.saxutils import unescape

import boto3.session
import botocore
from moto.core.base_backend import AccountSpecificBackend
from moto.moto_api._internal import mock_random
from moto.moto_api._internal.models import moto_api_backend
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

from ..cloudformation.resources.moto_models import MODEL_SERVICE
from ..local_env import profiles_hidden
from ..statedir.user_cache import cache_file, kept_entry
from .http import AwsRequest, HttpResponse
from .journal import Journal, build_request
from .model_operations import run_model_operation
from .moto_catalog import UNJOURNALED_SERVICES, moto_signing_names, writes_state
from .protocols import operation_of, unsupported

LOG = logging.getLogger("localcloud.endpoint")


def moto_services() -> frozenset[str]:
    """The signing names this module answers: moto's services, and its CloudFormation models'."""
    return moto_signing_names() | {MODEL_SERVICE}


def reset_moto() -> None:
    """Empty every moto backend (they are module-level: an earlier endpoint's state is still there)."""
    moto_api_backend.reset()


def blind_moto_to_profiles() -> None:
    """Make moto's one botocore session now, with no profile in the environment.

    moto makes that session (cached for the process) the first time a service's backend is used,
    only to list partitions and regions; made from a shell whose AWS_PROFILE names a profile that
    does not exist, it raises ProfileNotFound, and every request to that service answers 500. The
    local cloud never uses a profile, so its session is made without one, once, before serving.
    """
    with profiles_hidden():
        AccountSpecificBackend.get_session()


def share_region_lists() -> None:
    """Answer every boto3 session's region lists from moto's one session, each list read once, and
    kept in the user's cache (`statedir/user_cache.py`) for the next process.

    Importing moto's EC2 backend, which its SSM backend imports, makes a new boto3 session for
    each of three region lists, and each new session parses botocore's endpoint data (over a
    megabyte of JSON) again: 0.6 s of CPU in every process that starts a local cloud, in which
    nearly every deployment reads SSM. Reading a list also parses its service's whole model for
    one name in it (EC2's is 10 MB of JSON, 0.13 s); each of moto's backends reads its service's
    lists as it is first used. The lists are botocore's bundled data, the same for every session
    of a process whose environment `serve` and the endpoint have already made plain, so they are
    kept under botocore's version.
    """
    if getattr(boto3.session.Session.get_available_regions, "shared", False):
        return

    def get_available_regions(
        self: boto3.session.Session,
        service_name: str,
        partition_name: str = "aws",
        allow_non_regional: bool = False,
    ) -> list[str]:
        return list(_region_list(service_name, partition_name, allow_non_regional))  # a list of its own to change

    get_available_regions.shared = True  # type: ignore[attr-defined]
    boto3.session.Session.get_available_regions = get_available_regions  # type: ignore[method-assign]


# botocore's own answer, as boto3 gives it (taken before `share_region_lists` replaces it)
_BOTOCORES_REGION_LISTS = boto3.session.Session.get_available_regions


@functools.cache
def _region_list(service_name: str, partition_name: str, allow_non_regional: bool) -> tuple[str, ...]:
    def find() -> list[str]:
        session = AccountSpecificBackend.get_session()
        return _BOTOCORES_REGION_LISTS(session, service_name, partition_name, allow_non_regional)

    key = f"{service_name} {partition_name} {'all' if allow_non_regional else 'regional'}"
    return tuple(kept_entry(region_lists_file(), key, find))


def region_lists_file() -> Path | None:
    """Where the region lists are kept: named by botocore's version, whose data they are."""
    return cache_file("region-lists", [botocore.__version__], Path(__file__))


class MotoServices:
    """moto's WSGI app behind a `Request -> HttpResponse` face, journaling the writes it accepts."""

    def __init__(self, journal: Journal | None) -> None:
        blind_moto_to_profiles()
        share_region_lists()
        self._app = DomainDispatcherApplication(create_backend_app)
        self.journal = journal
        # One write at a time, so the journal's order is the order moto ran them in.
        self._writes = threading.Lock()

    def __call__(self, request: AwsRequest) -> HttpResponse:
        if self.journal is None or request.service in UNJOURNALED_SERVICES or not self._writes_state(request):
            return self.call(request)
        with self._writes:
            seed = secrets.randbits(64)
            response = self.call(request, seed)
            if 200 <= response.status < 300:
                self._record(request, response, seed)
            return response

    def call(self, request: AwsRequest, seed: int | None = None) -> HttpResponse:
        """moto's answer, read whole; what moto has not implemented answers 501 in the service's shape.

        `seed`: moto's random generator is seeded with it first (a write, or its replay).
        """
        if seed is not None:
            mock_random.seed(seed)
        if request.service == MODEL_SERVICE:
            return run_model_operation(request)
        captured: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
            captured["status"] = int(status.split()[0])
            captured["headers"] = headers

        try:
            chunks = self._app(request.environ, start_response)
            try:
                body = b"".join(chunks)
            finally:
                close = getattr(chunks, "close", None)
                if close is not None:
                    close()
        except NotImplementedError:
            # moto raises this for an operation it lacks; Flask, in debug mode, lets it through
            return self._lacked(request)
        headers = dict(captured["headers"])
        if captured["status"] in (404, 405) and _routing_error_page(headers, body):
            # moto's Flask found no route: a REST operation moto lacks (its own "not found"s are the service's)
            return self._lacked(request)
        return HttpResponse(captured["status"], body, headers)

    @staticmethod
    def _lacked(request: AwsRequest) -> HttpResponse:
        operation = operation_of(request)
        LOG.warning("unsupported: %s %s (moto lacks it), answered 501", request.service, operation)
        return unsupported(request, f"{request.service} {operation}")

    # --- what is kept ------------------------------------------------------------------------

    @staticmethod
    def _writes_state(request: AwsRequest) -> bool:
        if request.service == MODEL_SERVICE:
            return True
        if request.service != "s3":
            return writes_state(request)
        if request.method not in ("PUT", "POST", "DELETE"):
            return False
        keys = {pair.split("=")[0] for pair in request.query.split("&") if pair}
        # multipart steps are not kept one by one (their upload id is new at every replay):
        # a completed upload is kept as the one object it made; `select` only reads
        if "uploadId" in keys and request.method == "POST":
            return True
        return not ({"uploads", "uploadId", "select"} & keys)

    def _record(self, request: AwsRequest, response: HttpResponse, seed: int) -> None:
        assert self.journal is not None
        if request.service == "s3" and request.method == "POST" and "uploadId=" in request.query:
            completed = self._completed_object(request, response)
            if completed is not None:
                self.journal.record(completed)
            return
        self.journal.record(request, seed)

    def _completed_object(self, request: AwsRequest, response: HttpResponse) -> AwsRequest | None:
        """The object a completed multipart upload made, as one PutObject."""
        found = {
            tag: re.search(rf"<{tag}>([^<]*)</{tag}>", response.body.decode("utf-8", "replace"))
            for tag in ("Bucket", "Key")
        }
        if found["Bucket"] is None or found["Key"] is None:
            LOG.warning("a completed multipart upload named no object: not journaled")
            return None
        bucket, key = found["Bucket"].group(1), unescape(found["Key"].group(1), {"&quot;": '"', "&apos;": "'"})
        path = f"/{quote(bucket)}/{quote(key, safe='/~')}"
        got = self.call(build_request("s3", request.region, "GET", path))
        headers = {name: value for name, value in got.headers.items() if name.lower() == "content-type"}
        return build_request("s3", request.region, "PUT", path, headers=headers, body=got.body)


def _routing_error_page(headers: dict[str, str], body: bytes) -> bool:
    """werkzeug's HTML page for a URL or method no route of moto's serves."""
    content_type = next((value for name, value in headers.items() if name.lower() == "content-type"), "")
    return content_type.startswith("text/html") and body.lstrip().lower().startswith(b"<!doctype html>")
