"""Event source mappings and permissions of Lambda, deployed by a stack at the endpoint.

A function fed by an SQS queue or a Kinesis stream writes what it received to SSM parameters,
which the test reads through boto3; what runs in the background is waited for with a hang guard,
and nothing is timed.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from localcloud.cloudformation.event_sources import KINESIS_ATTEMPTS
from localcloud.endpoint import Endpoint

from .stacks import Stacks

ROLE = "arn:aws:iam::123456789012:role/lambda-role"
RECORDER = """
import base64, json, boto3


def handler(event, context):
    got = []
    for record in event["Records"]:
        if record["eventSource"] == "aws:sqs":
            got.append(record["body"])
            if record["body"] == "fail":
                raise ValueError("this batch fails")
        else:
            got.append(base64.b64decode(record["kinesis"]["data"]).decode())
    boto3.client("ssm").put_parameter(
        Name="/received/" + context.aws_request_id,
        Value=json.dumps({"got": got, "source": event["Records"][0]["eventSourceARN"]}),
        Type="String",
    )
"""


def wait_for(condition: Callable[[], bool], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.05)


@pytest.fixture(scope="module")
def endpoint() -> Iterator[Endpoint]:
    with Endpoint(port=0) as started:
        yield started


def template(source: dict[str, Any], **mapping: Any) -> dict[str, Any]:
    return {
        "Resources": {
            "Source": source,
            "Recorder": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "Runtime": "python3.13",
                    "Handler": "index.handler",
                    "Role": ROLE,
                    "Timeout": 30,
                    "Code": {"ZipFile": RECORDER},
                },
            },
            "Mapping": {
                "Type": "AWS::Lambda::EventSourceMapping",
                "Properties": {
                    "FunctionName": {"Ref": "Recorder"},
                    "EventSourceArn": {"Fn::GetAtt": ["Source", "Arn"]},
                    **mapping,
                },
            },
            "Allowed": {
                "Type": "AWS::Lambda::Permission",
                "Properties": {
                    "FunctionName": {"Fn::GetAtt": ["Recorder", "Arn"]},
                    "Action": "lambda:InvokeFunction",
                    "Principal": "sqs.amazonaws.com",
                },
            },
        },
        "Outputs": {
            "MappingId": {"Value": {"Ref": "Mapping"}},
            "MappingArn": {"Value": {"Fn::GetAtt": ["Mapping", "EventSourceMappingArn"]}},
            "SourceArn": {"Value": {"Fn::GetAtt": ["Source", "Arn"]}},
        },
    }


def received(endpoint: Endpoint, source: str) -> list[str]:
    ssm = endpoint.client("ssm")
    pages = ssm.get_paginator("get_parameters_by_path").paginate(Path="/received/")
    values = [json.loads(p["Value"]) for page in pages for p in page["Parameters"]]
    return sorted(item for value in values if value["source"] == source for item in value["got"])


def poller_threads(mapping_id: str) -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == f"event-source-{mapping_id}"]


def test_an_sqs_fed_function_receives_a_batch_and_the_messages_are_deleted(endpoint: Endpoint) -> None:
    stacks = Stacks(endpoint)
    queue = {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "fed-queue", "VisibilityTimeout": 30}}
    outputs = stacks.deploy("SqsFed", template(queue, BatchSize=5))
    assert outputs["MappingArn"].endswith(":event-source-mapping:" + outputs["MappingId"])
    assert poller_threads(outputs["MappingId"])
    sqs = endpoint.client("sqs")
    url = sqs.get_queue_url(QueueName="fed-queue")["QueueUrl"]
    for body in ("one", "two", "three"):
        sqs.send_message(QueueUrl=url, MessageBody=body)

    wait_for(lambda: received(endpoint, outputs["SourceArn"]) == ["one", "three", "two"])

    def empty() -> bool:
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        return bool(
            attributes["ApproximateNumberOfMessages"] == attributes["ApproximateNumberOfMessagesNotVisible"] == "0"
        )

    wait_for(empty)

    lambda_ = endpoint.client("lambda")
    described = lambda_.get_event_source_mapping(UUID=outputs["MappingId"])
    assert (described["EventSourceArn"], described["BatchSize"], described["State"]) == (
        outputs["SourceArn"],
        5,
        "Enabled",
    )
    listed = lambda_.list_event_source_mappings(EventSourceArn=outputs["SourceArn"])["EventSourceMappings"]
    assert [mapping["UUID"] for mapping in listed] == [outputs["MappingId"]]
    by_function = lambda_.list_event_source_mappings(FunctionName=described["FunctionArn"])["EventSourceMappings"]
    assert [mapping["UUID"] for mapping in by_function] == [outputs["MappingId"]]

    stacks.destroy("SqsFed")
    wait_for(lambda: not poller_threads(outputs["MappingId"]))
    assert outputs["MappingId"] not in endpoint.cloudformation.engine.event_sources.running()
    with pytest.raises(ClientError) as gone:
        endpoint.client("lambda").get_event_source_mapping(UUID=outputs["MappingId"])
    assert gone.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_a_failed_sqs_batch_stays_in_the_queue(endpoint: Endpoint) -> None:
    stacks = Stacks(endpoint)
    queue = {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "failing-queue", "VisibilityTimeout": 300}}
    outputs = stacks.deploy("SqsFailing", template(queue, BatchSize=1))
    sqs = endpoint.client("sqs")
    url = sqs.get_queue_url(QueueName="failing-queue")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="fail")

    def in_flight() -> bool:
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        return bool(attributes["ApproximateNumberOfMessagesNotVisible"] == "1")

    wait_for(in_flight)
    assert received(endpoint, outputs["SourceArn"]) == []
    stacks.destroy("SqsFailing")
    wait_for(lambda: not poller_threads(outputs["MappingId"]))


def test_a_kinesis_fed_function_receives_a_batch(endpoint: Endpoint) -> None:
    stacks = Stacks(endpoint)
    stream = {"Type": "AWS::Kinesis::Stream", "Properties": {"Name": "fed-stream", "ShardCount": 1}}
    outputs = stacks.deploy("KinesisFed", template(stream, BatchSize=10, StartingPosition="TRIM_HORIZON"))
    kinesis = endpoint.client("kinesis")
    for data in ("alpha", "beta"):
        kinesis.put_record(StreamName="fed-stream", Data=data.encode(), PartitionKey="key")

    wait_for(lambda: received(endpoint, outputs["SourceArn"]) == ["alpha", "beta"])

    stacks.destroy("KinesisFed")
    wait_for(lambda: not poller_threads(outputs["MappingId"]))


def test_a_topic_delivers_a_published_message_to_a_subscribed_function(endpoint: Endpoint) -> None:
    stacks = Stacks(endpoint)
    listener = """
import json, boto3


def handler(event, context):
    (record,) = event["Records"]
    boto3.client("ssm").put_parameter(
        Name="/sns-received/" + record["Sns"]["MessageId"], Value=json.dumps(record), Type="String"
    )
"""
    resources = {
        "Topic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "fed-topic"}},
        "Listener": {
            "Type": "AWS::Lambda::Function",
            "Properties": {
                "Runtime": "python3.13",
                "Handler": "index.handler",
                "Role": ROLE,
                "Timeout": 30,
                "Code": {"ZipFile": listener},
            },
        },
        "Subscription": {
            "Type": "AWS::SNS::Subscription",
            "Properties": {
                "TopicArn": {"Ref": "Topic"},
                "Protocol": "lambda",
                "Endpoint": {"Fn::GetAtt": ["Listener", "Arn"]},
            },
        },
    }
    outputs = {"TopicArn": {"Value": {"Ref": "Topic"}}, "SubscriptionArn": {"Value": {"Ref": "Subscription"}}}
    deployed = stacks.deploy("SnsFed", {"Resources": resources, "Outputs": outputs})
    published = endpoint.client("sns").publish(
        TopicArn=deployed["TopicArn"],
        Message="hello",
        Subject="greeting",
        MessageAttributes={"kind": {"DataType": "String", "StringValue": "test"}},
    )
    ssm = endpoint.client("ssm")
    name = "/sns-received/" + published["MessageId"]

    def delivered() -> bool:
        return bool(ssm.get_parameters(Names=[name])["Parameters"])

    wait_for(delivered)
    record = json.loads(ssm.get_parameter(Name=name)["Parameter"]["Value"])
    assert record["EventSource"] == "aws:sns"
    assert record["EventSubscriptionArn"] == deployed["SubscriptionArn"]
    sns = record["Sns"]
    assert (sns["Type"], sns["TopicArn"], sns["Subject"], sns["Message"]) == (
        "Notification",
        deployed["TopicArn"],
        "greeting",
        "hello",
    )
    assert sns["MessageAttributes"] == {"kind": {"Type": "String", "Value": "test"}}
    stacks.destroy("SnsFed")


def test_a_failed_kinesis_batch_is_retried_a_bounded_number_of_times_then_the_stream_moves_on(
    endpoint: Endpoint,
) -> None:
    failing = """
import base64, boto3


def handler(event, context):
    data = [base64.b64decode(record["kinesis"]["data"]).decode() for record in event["Records"]]
    boto3.client("ssm").put_parameter(
        Name="/attempts/" + context.aws_request_id, Value=",".join(data), Type="String"
    )
    if "fail" in data:
        raise ValueError("this batch fails")
"""
    stacks = Stacks(endpoint)
    stream = {"Type": "AWS::Kinesis::Stream", "Properties": {"Name": "failing-stream", "ShardCount": 1}}
    body = template(stream, BatchSize=1, StartingPosition="TRIM_HORIZON")
    body["Resources"]["Recorder"]["Properties"]["Code"] = {"ZipFile": failing}
    outputs = stacks.deploy("KinesisFailing", body)
    kinesis = endpoint.client("kinesis")
    for data in ("fail", "after"):
        kinesis.put_record(StreamName="failing-stream", Data=data.encode(), PartitionKey="key")
    ssm = endpoint.client("ssm")

    def attempts() -> list[str]:
        pages = ssm.get_paginator("get_parameters_by_path").paginate(Path="/attempts/")
        return sorted(parameter["Value"] for page in pages for parameter in page["Parameters"])

    wait_for(lambda: "after" in attempts())
    assert attempts() == ["after"] + ["fail"] * KINESIS_ATTEMPTS
    stacks.destroy("KinesisFailing")
    wait_for(lambda: not poller_threads(outputs["MappingId"]))
