"""The pollers of the stacks' event source mappings: SQS queues and Kinesis streams, read as
Lambda reads them and delivered to the function through `Functions`.

`EventSources` keeps one daemon thread per AWS::Lambda::EventSourceMapping the stacks hold
(`reconcile`, after every event of that type and when the engine starts, so mappings come back
after a restart), and stops them all with the endpoint (`stop`). A poller reads through boto3 at
the endpoint, as a user would, and invokes the function synchronously with Lambda's event shape:
an SQS batch is deleted when the function succeeds and left to come back after its visibility
timeout when it fails; a Kinesis batch moves the shard's iterator on when the function succeeds
and is retried (up to KINESIS_ATTEMPTS times, then skipped) when it fails.
"""

from __future__ import annotations

import base64
import datetime
import json
import logging
import threading
from typing import Any

from .functions import Functions
from .resources.lambda_event_sources import MAPPING_TYPE, source_service
from .services import Services
from .state import ResourceRecord, StackState

LOG = logging.getLogger(__name__)

SQS_WAIT_SECONDS = 1  # a short long-poll, so that a stop is seen soon
IDLE_SECONDS = 0.2  # between empty reads of a stream, or while the function is missing
KINESIS_ATTEMPTS = 3  # a failed Kinesis batch is retried, then skipped (Lambda's retry attempts)
JOIN_SECONDS = 5


class Poller:
    """One mapping's thread: reads its source, invokes its function, until stopped."""

    def __init__(self, mapping: ResourceRecord, functions: Functions, services: Services) -> None:
        self.mapping = mapping
        self.properties: dict[str, Any] = mapping["properties"]
        self.functions = functions
        self.services = services
        self.source = str(self.properties["EventSourceArn"])
        self.batch_size = int(self.properties.get("BatchSize") or (10 if source_service(self.source) == "sqs" else 100))
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, name=f"event-source-{mapping['physical_id']}", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stopped.set()

    def _run(self) -> None:
        try:
            if source_service(self.source) == "sqs":
                self._poll_queue()
            else:
                self._poll_stream()
        except Exception as error:  # a poller never takes the endpoint down; it says why it ended
            if not self.stopped.is_set():
                LOG.warning("lambda: the event source mapping %s stopped: %s", self.mapping["physical_id"], error)

    def _deliver(self, records: list[dict[str, Any]]) -> bool:
        """Invoke the function with these records; whether it succeeded."""
        function = self.functions.find(str(self.properties["FunctionName"]))
        if function is None or function.refusal:
            LOG.warning("lambda: the event source mapping %s has no function to run", self.mapping["physical_id"])
            return False
        invocation = self.functions.invoke(function, json.dumps({"Records": records}).encode())
        return invocation.status == "success"

    # --- SQS ----------------------------------------------------------------------------------

    def _poll_queue(self) -> None:
        sqs = self.services.client("sqs")
        _, _, _, region, account, name = self.source.split(":", 5)
        queue_url = sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
        while not self.stopped.is_set():
            messages = sqs.receive_message(
                QueueUrl=queue_url,
                MaxNumberOfMessages=min(self.batch_size, 10),
                WaitTimeSeconds=SQS_WAIT_SECONDS,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            if not messages or self.stopped.is_set():
                continue
            records = [self._sqs_record(message, region) for message in messages]
            if self._deliver(records):
                entries = [{"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(messages)]
                sqs.delete_message_batch(QueueUrl=queue_url, Entries=entries)
            else:
                self.stopped.wait(IDLE_SECONDS)

    def _sqs_record(self, message: dict[str, Any], region: str) -> dict[str, Any]:
        attributes = {
            name: {
                "stringValue" if "StringValue" in value else "binaryValue": (
                    value["StringValue"]
                    if "StringValue" in value
                    else base64.b64encode(value.get("BinaryValue", b"")).decode()
                ),
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": value["DataType"],
            }
            for name, value in message.get("MessageAttributes", {}).items()
        }
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": attributes,
            "md5OfBody": message["MD5OfBody"],
            "eventSource": "aws:sqs",
            "eventSourceARN": self.source,
            "awsRegion": region,
        }

    # --- Kinesis ------------------------------------------------------------------------------

    def _poll_stream(self) -> None:
        kinesis = self.services.client("kinesis")
        name = self.source.split(":", 5)[5].split("/", 1)[1]
        position = str(self.properties.get("StartingPosition") or "LATEST")
        shards = kinesis.list_shards(StreamName=name)["Shards"]
        iterators = {
            shard["ShardId"]: kinesis.get_shard_iterator(
                StreamName=name, ShardId=shard["ShardId"], ShardIteratorType=position
            )["ShardIterator"]
            for shard in shards
        }
        while not self.stopped.is_set():
            busy = False
            for shard_id, iterator in list(iterators.items()):
                answer = kinesis.get_records(ShardIterator=iterator, Limit=self.batch_size)
                records = answer.get("Records", [])
                if records:
                    busy = True
                    event = [self._kinesis_record(shard_id, record) for record in records]
                    for _ in range(KINESIS_ATTEMPTS):
                        if self.stopped.is_set() or self._deliver(event):
                            break
                if self.stopped.is_set():
                    return
                iterators[shard_id] = answer.get("NextShardIterator") or iterator
            if not busy:
                self.stopped.wait(IDLE_SECONDS)

    def _kinesis_record(self, shard_id: str, record: dict[str, Any]) -> dict[str, Any]:
        arrival = record.get("ApproximateArrivalTimestamp")
        if isinstance(arrival, datetime.datetime):
            arrival = arrival.timestamp()
        return {
            "kinesis": {
                "kinesisSchemaVersion": "1.0",
                "partitionKey": record["PartitionKey"],
                "sequenceNumber": record["SequenceNumber"],
                "data": base64.b64encode(record["Data"]).decode(),
                "approximateArrivalTimestamp": arrival,
            },
            "eventSource": "aws:kinesis",
            "eventVersion": "1.0",
            "eventID": f"{shard_id}:{record['SequenceNumber']}",
            "eventName": "aws:kinesis:record",
            "invokeIdentityArn": str(self.properties.get("Role", "")),
            "awsRegion": self.services.region,
            "eventSourceARN": self.source,
        }


class EventSources:
    """A poller for each enabled event source mapping of the stacks, kept in step with them."""

    def __init__(self, state: StackState, functions: Functions, services: Services) -> None:
        self._state = state
        self._functions = functions
        self._services = services
        self._pollers: dict[str, Poller] = {}
        self._lock = threading.Lock()
        self._stopped = False

    def mappings(self) -> list[ResourceRecord]:
        """Every AWS::Lambda::EventSourceMapping the stacks hold (copies)."""
        with self._state.lock:
            return [
                entry.copy()
                for record in self._state.stacks.values()
                for entry in record["resources"].values()
                if entry["type"] == MAPPING_TYPE and entry.get("physical_id")
            ]

    def on_event(self, stack: str, logical_id: str, resource_type: str, status: str, reason: str) -> None:
        """A stack event (the engine's listener): a mapping's completed step reconciles."""
        if resource_type == MAPPING_TYPE and status.endswith("_COMPLETE"):
            self.reconcile()

    def reconcile(self) -> None:
        """Start a poller for each enabled mapping without one, restart one whose properties
        changed, stop those whose mapping is gone or disabled."""
        with self._lock:  # the whole of it: two reconciles never act on different readings
            if self._stopped:
                return
            wanted = {
                str(entry["physical_id"]): entry
                for entry in self.mappings()
                if str(entry["properties"].get("Enabled", True)).lower() != "false"
            }
            for mapping_id, poller in list(self._pollers.items()):
                if mapping_id not in wanted or wanted[mapping_id]["properties"] != poller.properties:
                    poller.stop()
                    del self._pollers[mapping_id]
            for mapping_id, entry in wanted.items():
                if mapping_id not in self._pollers:
                    self._pollers[mapping_id] = Poller(entry, self._functions, self._services)
                    self._pollers[mapping_id].start()

    def configuration(self, mapping: ResourceRecord) -> dict[str, Any]:
        """What GetEventSourceMapping and ListEventSourceMappings show of a mapping."""
        properties, attributes = mapping["properties"], mapping["attributes"]
        source = str(properties["EventSourceArn"])
        function = self._functions.find(str(properties["FunctionName"]))
        enabled = str(properties.get("Enabled", True)).lower() != "false"
        answer: dict[str, Any] = {
            "UUID": mapping["physical_id"],
            "EventSourceArn": source,
            "FunctionArn": function.arn if function is not None else str(properties["FunctionName"]),
            "BatchSize": int(properties.get("BatchSize") or (10 if source_service(source) == "sqs" else 100)),
            "MaximumBatchingWindowInSeconds": int(properties.get("MaximumBatchingWindowInSeconds") or 0),
            "State": "Enabled" if enabled else "Disabled",
            "StateTransitionReason": "USER_INITIATED",
            "EventSourceMappingArn": attributes.get("EventSourceMappingArn", ""),
        }
        if source_service(source) == "kinesis":
            answer["StartingPosition"] = str(properties.get("StartingPosition") or "LATEST")
        return answer

    def running(self) -> list[str]:
        """The mapping ids whose pollers run."""
        with self._lock:
            return sorted(mapping_id for mapping_id, poller in self._pollers.items() if poller.thread.is_alive())

    def stop(self) -> None:
        """Stop every poller (the endpoint stops), waiting a little for each to end."""
        with self._lock:
            self._stopped = True
            pollers, self._pollers = list(self._pollers.values()), {}
        for poller in pollers:
            poller.stop()
        for poller in pollers:
            poller.thread.join(JOIN_SECONDS)
