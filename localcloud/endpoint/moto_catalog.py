"""Which services moto answers here, by signing name, and which of their operations change state.

The list is moto's own, not typed here: every service in botocore's models is signed for a name
(`signingName`, else its endpoint prefix); a request signed for it goes to moto when moto has a
package for the service (moto's rule from a client's name to its package) and moto's own server
(`DomainDispatcherApplication`, which routes by the same credential scope) finds a backend for
it. The services that stay ours (CloudFormation, Lambda, Personalize) are left out.

What is journaled (`writes_state`): every accepted operation but the reads, named by the verbs
AWS gives its reads (`READ_PREFIXES`: Get, List, Describe, Query, Scan, Decrypt...), and but the
traffic (`TRAFFIC`): a message sent, received or deleted, a notification published, an event put.
Traffic is not kept: replayed, a queue's receives could not be, since each receipt handle is new,
so its deletes would fail and consumed messages come back; and a publication replayed would
deliver again. A restart restores queues, topics and buses empty of messages, as after a purge.
Stores keep their data: S3 objects, DynamoDB items, Kinesis records, secrets, log events.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import io
import json
import os
import threading
from pathlib import Path

import botocore
import moto
from botocore.loaders import create_loader
from moto.backends import ALT_SERVICE_NAMES, list_of_moto_modules
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

from ..statedir.user_cache import cache_file, kept
from .http import AwsRequest
from .protocols import operation_of

# Signing names, and moto backends, that stay ours: the stack engine, the functions it runs,
# and Personalize (moto has only Personalize's schemas).
OURS = frozenset({"cloudformation", "lambda", "personalize"})
OUR_BACKENDS = frozenset({"cloudformation", "awslambda", "awslambda_simple", "personalize"})
# STS hands out credentials and answers who is calling: nothing to keep across a restart.
UNJOURNALED_SERVICES = frozenset({"sts"})
# The verbs of operations that read. Every other operation of a journaled service is a write.
READ_PREFIXES = (
    "Get",
    "List",
    "Describe",
    "Filter",
    "Lookup",
    "Simulate",
    "Test",
    "Validate",
    "BatchGet",
    "BatchCheck",
    "Search",
    "Query",  # DynamoDB, Timestream
    "Scan",
    "TransactGet",
    "Select",  # SimpleDB
    "Decrypt",  # KMS's cryptography keeps nothing
    "Encrypt",
    "ReEncrypt",
    "GenerateDataKey",
    "GenerateRandom",
    "GenerateMac",
    "VerifyMac",
    "Verify",
    "Sign",
    "Count",
    "Estimate",
    "Preview",
    "Detect",
)
# Messages in transit, by signing name: neither kept nor replayed (the module's docstring says why).
TRAFFIC = {
    "sqs": frozenset(
        {
            "SendMessage",
            "SendMessageBatch",
            "ReceiveMessage",
            "DeleteMessage",
            "DeleteMessageBatch",
            "ChangeMessageVisibility",
            "ChangeMessageVisibilityBatch",
            "PurgeQueue",
            "StartMessageMoveTask",
            "CancelMessageMoveTask",
        }
    ),
    "sns": frozenset({"Publish", "PublishBatch"}),
    "events": frozenset({"PutEvents", "PutPartnerEvents"}),
    "ses": frozenset({"SendEmail", "SendRawEmail", "SendTemplatedEmail", "SendBulkTemplatedEmail", "SendBulkEmail"}),
    "iotdata": frozenset({"Publish"}),
}

_LOCK = threading.Lock()


def writes_state(request: AwsRequest) -> bool:
    """Whether moto's answer to this request (not S3's: `moto_services` decides those) is kept."""
    if request.service in UNJOURNALED_SERVICES:
        return False
    operation = operation_of(request)
    if operation in TRAFFIC.get(request.service, ()):
        return False
    return not operation.startswith(READ_PREFIXES)


def moto_signing_names() -> frozenset[str]:
    """Every signing name whose requests moto answers here (computed once: about a second)."""
    return frozenset(moto_backends())


def moto_backends() -> dict[str, str]:
    """moto's backend (a package of `moto`) for each signing name it answers here."""
    with _LOCK:
        return {signing_name: backend for signing_name, (_, backend) in _moto_backends().items()}


def moto_clients() -> dict[str, str]:
    """For each signing name moto answers here, the first of botocore's services (a boto3 client
    name) signed for it that moto emulates."""
    with _LOCK:
        return {signing_name: client for signing_name, (client, _) in _moto_backends().items()}


@functools.cache
def _moto_backends() -> dict[str, tuple[str, str]]:
    """Found once per process, and kept in the user's cache: finding them costs about 0.8 s of
    CPU, and every start of a local cloud would pay it (a test suite starts dozens)."""
    return kept(_catalog_file(), _find_moto_backends, _read_catalog)


def _read_catalog(data: dict[str, list[str]]) -> dict[str, tuple[str, str]]:
    return {name: (str(client), str(backend)) for name, (client, backend) in data.items()}


def _catalog_file() -> Path | None:
    return cache_file("moto-catalog", [moto.__version__, botocore.__version__], Path(__file__))


def _find_moto_backends() -> dict[str, tuple[str, str]]:
    dispatcher = DomainDispatcherApplication(create_backend_app)
    modules = set(list_of_moto_modules())
    found = {}
    # moto prints a line for each host it has no backend for
    with contextlib.redirect_stdout(io.StringIO()):
        for name, metadata in _service_metadata():
            signing_name = str(metadata.get("signingName") or metadata["endpointPrefix"]).lower()
            safe_name = name.replace("-", "")
            # a service moto emulates (moto's own rule from client name to package, as `get_backend`'s)...
            if (
                signing_name in OURS
                or signing_name in found
                or ALT_SERVICE_NAMES.get(safe_name, safe_name) not in modules
            ):
                continue
            # ... and whose requests moto's server routes to a backend
            target = metadata.get("targetPrefix")
            environ = {
                "HTTP_AUTHORIZATION": f"AWS4-HMAC-SHA256 Credential=k/20000101/us-east-1/{signing_name}/aws4_request",
                "HTTP_X_AMZ_TARGET": f"{target}.Operation" if target else "",
                "HTTP_HOST": "127.0.0.1",
                "PATH_INFO": "/",
            }
            host = dispatcher.infer_service_region_host(environ, "/")
            backend = dispatcher.get_backend_for_host(host)
            if backend and backend not in OUR_BACKENDS:
                found[signing_name] = (name, str(backend))
    return found


def _service_metadata() -> list[tuple[str, dict[str, str]]]:
    """Every service botocore has, and its model's `metadata`, read from the head of its model file.

    Loading the ~450 whole models takes seconds; their metadata opens each file.
    """
    loader = create_loader()
    found = []
    for name in loader.list_available_services("service-2"):
        version = loader.determine_latest_version(name, "service-2")
        metadata = _metadata(loader.search_paths, name, version)
        found.append((name, metadata or loader.load_service_model(name, "service-2")["metadata"]))
    return found


def _metadata(search_paths: list[str], name: str, version: str) -> dict[str, str] | None:
    for root in search_paths:
        base = os.path.join(root, name, version, "service-2")
        for path, opener in ((f"{base}.json.gz", gzip.open), (f"{base}.json", open)):
            if os.path.exists(path):
                with opener(path, "rt", encoding="utf-8") as model:
                    head = str(model.read(16384))
                start = head.find('"metadata"')
                if start < 0:
                    return None
                try:
                    found, _ = json.JSONDecoder().raw_decode(head, head.index("{", start))
                except ValueError:
                    return None
                return dict(found)
    return None
