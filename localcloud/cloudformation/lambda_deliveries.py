"""The deliveries to Lambda the local cloud does not make, refused at CreateChangeSet by name.

The local cloud delivers to the stacks' functions from SQS queues and Kinesis streams (an
AWS::Lambda::EventSourceMapping) and from SNS topics (a `lambda` subscription). Any other
service that would invoke a function (an EventBridge rule or schedule, an S3 notification, a
CloudWatch Logs subscription filter, an event source mapping from a DynamoDB stream, Kafka, MQ
or DocumentDB) would deploy and then never deliver; `undelivered` names each such resource so
that the template is refused before anything runs. A resource under a Condition is left alone,
as the check of the types is: the parameters are not settled yet.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .intrinsics import references

FUNCTION_TYPES = frozenset({"AWS::Lambda::Function", "AWS::Lambda::Alias", "AWS::Lambda::Version"})
# what each event source mapping's source is, by the type of the resource its ARN comes from
POLLED_TYPES = frozenset({"AWS::SQS::Queue", "AWS::Kinesis::Stream", "AWS::Kinesis::StreamConsumer"})
POLLED_SERVICES = frozenset({"sqs", "kinesis"})
SOURCE_NAMES = {
    "dynamodb": "DynamoDB stream records",
    "kafka": "Amazon MSK records",
    "mq": "Amazon MQ messages",
    "rds": "DocumentDB change streams",
    "docdb": "DocumentDB change streams",
}


def undelivered(resources: Mapping[str, Any]) -> list[str]:
    """One refusal per kind of delivery the template asks for and the local cloud lacks:
    `The local cloud does not deliver <what> to Lambda functions: [LogicalId, ...]`."""
    found: dict[str, list[str]] = {}
    for logical_id, resource in resources.items():
        if "Condition" in resource:
            continue
        what = _delivery(resource, resources)
        if what:
            found.setdefault(what, []).append(logical_id)
    return [
        f"The local cloud does not deliver {what} to Lambda functions: [{', '.join(sorted(ids))}]"
        for what, ids in sorted(found.items())
    ]


def _delivery(resource: Mapping[str, Any], resources: Mapping[str, Any]) -> str:
    """What this resource would deliver to a function that the local cloud does not; empty: none."""
    kind, properties = str(resource.get("Type", "")), resource.get("Properties") or {}
    if kind == "AWS::Events::Rule":
        targets = properties.get("Targets") or []
        if any(_is_function(target.get("Arn"), resources) for target in targets if isinstance(target, dict)):
            return "EventBridge rule events"
    elif kind == "AWS::Scheduler::Schedule":
        if _is_function((properties.get("Target") or {}).get("Arn"), resources):
            return "EventBridge Scheduler schedules"
    elif kind == "AWS::Pipes::Pipe":
        if _is_function(properties.get("Target"), resources):
            return "EventBridge Pipes events"
    elif kind == "AWS::S3::Bucket":
        if (properties.get("NotificationConfiguration") or {}).get("LambdaConfigurations"):
            return "S3 event notifications"
    elif kind == "Custom::S3BucketNotifications":  # the CDK's bucket.addEventNotification
        if (properties.get("NotificationConfiguration") or {}).get("LambdaFunctionConfigurations"):
            return "S3 event notifications"
    elif kind == "AWS::Logs::SubscriptionFilter":
        if _is_function(properties.get("DestinationArn"), resources):
            return "CloudWatch Logs subscription filter events"
    elif kind == "AWS::Lambda::EventSourceMapping":
        return _unpolled_source(properties, resources)
    return ""


def _unpolled_source(properties: Mapping[str, Any], resources: Mapping[str, Any]) -> str:
    if properties.get("SelfManagedEventSource"):
        return "self-managed Apache Kafka records"
    source = properties.get("EventSourceArn")
    if isinstance(source, str):
        parts = source.split(":")
        service = parts[2] if len(parts) > 2 else ""
        if service in POLLED_SERVICES or service == "":
            return ""
        return SOURCE_NAMES.get(service, f"{service} events")
    types = {str(resources[name].get("Type")) for name in references(source) if name in resources}
    if not types or types & POLLED_TYPES:
        return ""  # a parameter, or a queue or stream of the template's own
    if "AWS::DynamoDB::Table" in types or "AWS::DynamoDB::GlobalTable" in types:
        return SOURCE_NAMES["dynamodb"]
    return f"{', '.join(sorted(types))} events"


def _is_function(value: Any, resources: Mapping[str, Any]) -> bool:
    """Whether an ARN in a template names a Lambda function: one of the template's functions (by
    Ref or Fn::GetAtt), or a literal or Fn::Sub text of a function's ARN."""
    if any(resources.get(name, {}).get("Type") in FUNCTION_TYPES for name in references(value)):
        return True
    return any(":lambda:" in text and ":function:" in text for text in _texts(value))


def _texts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in _texts(item)]
    if isinstance(value, list):
        joined = "".join(item for item in value if isinstance(item, str))
        return [joined, *(text for item in value for text in _texts(item))]
    return []
