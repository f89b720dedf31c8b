"""Amazon Personalize on the endpoint: its HTTP face (`localcloud/personalize/http.py`), mounted.

Both APIs sign as `personalize`: the control plane is AWS JSON 1.1 on `POST /`, Personalize
Events' PutEvents is REST-JSON on `POST /events`. `PersonalizeHttp` tells them apart by path.
"""

from __future__ import annotations

from ..personalize import Personalize
from ..personalize.http import PersonalizeHttp
from .http import AwsRequest, HttpResponse


class PersonalizeService:
    def __init__(self, service: Personalize) -> None:
        self.service = service
        self.http = PersonalizeHttp(service)

    def __call__(self, request: AwsRequest) -> HttpResponse:
        return HttpResponse(*self.http.handle(request.method, request.path, request.headers, request.body))

    def admin(self, request: AwsRequest) -> HttpResponse:
        """`/_localcloud/...`: state, faults, reset, out-of-band deletes (no signature needed)."""
        return HttpResponse(*self.http.admin(request.method, request.path, request.body))
