"""Lambda's API on the endpoint: not emulated here yet, answered as Lambda answers what it lacks.

The stack engine runs functions itself (`localcloud/lambda_runtime/`); this is the face a
client calling `lambda` meets, so it gets a REST-JSON error it can parse, naming the operation.
"""

from __future__ import annotations

import logging

from .http import AwsRequest, HttpResponse
from .protocols import operation_of, unsupported

LOG = logging.getLogger("localcloud.endpoint")


class LambdaService:
    def __call__(self, request: AwsRequest) -> HttpResponse:
        operation = operation_of(request)
        LOG.warning("unsupported: lambda %s, answered 501", operation)
        return unsupported(request, f"lambda {operation}")
