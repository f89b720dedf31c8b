"""AWS::SQS::QueuePolicy: the policy of each of its queues, in the endpoint's SQS (moto).

moto's CloudFormation has no model of it (its queues are `moto_models.py`'s). As CloudFormation
does, the policy is the queues' `Policy` attribute: set on each queue listed, removed from a queue
no longer listed, and from every queue when the resource is deleted.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from ..errors import ResourceFailed
from ..state import ResourceRecord
from .base import NativeType, ResourceRequest, Result, generated_name

GONE = ("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist")


class QueuePolicy(NativeType):
    type_name = "AWS::SQS::QueuePolicy"

    def create(self, request: ResourceRequest) -> Result:
        self._apply(request.properties)
        physical_id = generated_name(request)
        return physical_id, {"Id": physical_id}

    def update(self, request: ResourceRequest, current: ResourceRecord) -> Result:
        self._apply(request.properties)
        for queue in set(_queues(current["properties"])) - set(_queues(request.properties)):
            self._remove(queue)
        return str(current["physical_id"]), {"Id": current["physical_id"]}

    def delete(self, entry: ResourceRecord) -> None:
        for queue in _queues(entry["properties"]):
            self._remove(queue)

    def _apply(self, properties: dict[str, Any]) -> None:
        document = properties["PolicyDocument"]
        policy = document if isinstance(document, str) else json.dumps(document)
        for queue in _queues(properties):
            try:
                self.services.client("sqs").set_queue_attributes(QueueUrl=queue, Attributes={"Policy": policy})
            except ClientError as error:
                raise ResourceFailed(f"{queue}: {error.response['Error']['Message']}") from None

    def _remove(self, queue: str) -> None:
        try:
            self.services.client("sqs").set_queue_attributes(QueueUrl=queue, Attributes={"Policy": ""})
        except ClientError as error:
            if error.response["Error"]["Code"] not in GONE:
                raise ResourceFailed(f"{queue}: {error.response['Error']['Message']}") from None


def _queues(properties: dict[str, Any]) -> list[str]:
    queues = properties.get("Queues", [])
    return [str(queue) for queue in ([queues] if isinstance(queues, str) else queues)]
