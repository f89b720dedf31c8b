"""Amazon Personalize on the endpoint: its HTTP face (`localcloud/personalize/http.py`), mounted,
and the S3 its export jobs write to.

Both APIs sign as `personalize`: the control plane is AWS JSON 1.1 on `POST /`, Personalize
Events' PutEvents is REST-JSON on `POST /events`. `PersonalizeHttp` tells them apart by path.
"""

from __future__ import annotations

import threading
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ..local_env import local_client
from ..personalize import ObjectWriteFailed, Personalize
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


class EndpointS3Writer:
    """`put_object(bucket, key, body)` into the endpoint's S3 (moto), through boto3 at its URL, as
    Personalize writes an export to the customer's bucket. S3's refusal becomes ObjectWriteFailed."""

    def __init__(self, endpoint_url: str, region: str) -> None:
        self._endpoint_url = endpoint_url
        self._region = region
        self._client: Any = None
        self._lock = threading.Lock()

    def __call__(self, bucket: str, key: str, body: bytes) -> None:
        with self._lock:
            if self._client is None:  # made on first use: the endpoint is serving by then
                self._client = local_client("s3", self._endpoint_url, region=self._region, attempts=1)
        try:
            self._client.put_object(Bucket=bucket, Key=key, Body=body, ContentType="text/csv")
        except ClientError as error:
            details = error.response.get("Error", {})
            raise ObjectWriteFailed(f"{details.get('Message', 'refused')} ({details.get('Code', 'Unknown')})") from None
        except BotoCoreError as error:
            raise ObjectWriteFailed(str(error)) from None
