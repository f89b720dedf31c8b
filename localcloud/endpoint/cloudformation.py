"""CloudFormation on the endpoint: the query protocol's form handed to the stack engine's API.

The API itself (`localcloud/cloudformation/api/`, `CloudFormationApi`) decodes the action
and answers XML; this module only mounts it beside the other services.
"""

from __future__ import annotations

import uuid

from ..cloudformation.api import CloudFormationApi
from .http import AwsRequest, HttpResponse


class CloudFormationService:
    """The endpoint's handler for `cloudformation`: form parameters in, `text/xml` out."""

    def __init__(self, api: CloudFormationApi) -> None:
        self.api = api

    def __call__(self, request: AwsRequest) -> HttpResponse:
        status, body = self.api.handle(request.form())
        return HttpResponse(status, body, {"Content-Type": "text/xml", "x-amzn-RequestId": str(uuid.uuid4())})
