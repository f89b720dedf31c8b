"""Amazon Personalize on the endpoint: the emulator's protocols (`localcloud/emulator.py`), mounted.

Both APIs sign as `personalize`: the control plane is AWS JSON 1.1 on `POST /`, Personalize
Events' PutEvents is REST-JSON on `POST /events`. `PersonalizeHttp` tells them apart by path.
"""

from __future__ import annotations

from ..emulator import HttpResponse, PersonalizeHttp
from ..personalize import Personalize
from .request import Request


class PersonalizeService:
    def __init__(self, service: Personalize) -> None:
        self.service = service
        self.http = PersonalizeHttp(service)

    def __call__(self, request: Request) -> HttpResponse:
        return self.http.handle(request.method, request.path, request.headers, request.body)

    def admin(self, request: Request) -> HttpResponse:
        """`/_localcloud/...`: state, faults, reset, out-of-band deletes (no signature needed)."""
        return self.http.admin(request.method, request.path, request.body)
