"""Deliveries to Lambda the local cloud does not make: refused at CreateChangeSet, by name."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from localcloud.cloudformation.graph import TemplateRefused, check_template
from localcloud.cloudformation.resources import emulated_types
from localcloud.endpoint import Endpoint

FUNCTION = {
    "Type": "AWS::Lambda::Function",
    "Properties": {"Runtime": "python3.13", "Handler": "index.handler", "Role": "r", "Code": {"ZipFile": "x"}},
}
FUNCTION_ARN = {"Fn::GetAtt": ["Handler", "Arn"]}


def check(resources: dict[str, Any]) -> None:
    check_template({"Resources": {"Handler": FUNCTION, **resources}}, emulated_types())


def mapping(source: Any) -> dict[str, Any]:
    return {
        "Type": "AWS::Lambda::EventSourceMapping",
        "Properties": {"FunctionName": {"Ref": "Handler"}, "EventSourceArn": source},
    }


def test_an_eventbridge_rule_that_targets_a_function_is_refused() -> None:
    rule = {"Type": "AWS::Events::Rule", "Properties": {"Targets": [{"Id": "t", "Arn": FUNCTION_ARN}]}}
    with pytest.raises(TemplateRefused) as refused:
        check({"Nightly": rule})
    assert (
        str(refused.value) == "The local cloud does not deliver EventBridge rule events to Lambda functions: [Nightly]"
    )


def test_a_rule_that_targets_a_queue_is_not_a_delivery_to_lambda() -> None:
    queue = {"Type": "AWS::SQS::Queue", "Properties": {}}
    target = {"Id": "t", "Arn": {"Fn::GetAtt": ["Queue", "Arn"]}}
    check({"Queue": queue, "Nightly": {"Type": "AWS::Events::Rule", "Properties": {"Targets": [target]}}})


def test_s3_notifications_to_a_function_are_refused_from_a_bucket_and_from_the_cdks_custom_resource() -> None:
    bucket = {
        "Type": "AWS::S3::Bucket",
        "Properties": {
            "NotificationConfiguration": {
                "LambdaConfigurations": [{"Event": "s3:ObjectCreated:*", "Function": FUNCTION_ARN}]
            }
        },
    }
    cdk = {
        "Type": "Custom::S3BucketNotifications",
        "Properties": {
            "ServiceToken": FUNCTION_ARN,
            "NotificationConfiguration": {"LambdaFunctionConfigurations": [{"LambdaFunctionArn": FUNCTION_ARN}]},
        },
    }
    with pytest.raises(
        TemplateRefused, match=r"S3 event notifications to Lambda functions: \[Uploads, UploadsNotifications\]"
    ):
        check({"Uploads": bucket, "UploadsNotifications": cdk})


def test_a_logs_subscription_filter_to_a_function_is_refused() -> None:
    arn = {"Fn::Sub": "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:shipper"}
    logs_filter = {
        "Type": "AWS::Logs::SubscriptionFilter",
        "Properties": {"LogGroupName": "g", "FilterPattern": "", "DestinationArn": arn},
    }
    with pytest.raises(TemplateRefused, match=r"CloudWatch Logs subscription filter events .*\[Shipping\]"):
        check({"Shipping": logs_filter})


def test_event_source_mappings_from_sources_not_polled_here_are_refused() -> None:
    table = {
        "Type": "AWS::DynamoDB::Table",
        "Properties": {
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
            "BillingMode": "PAY_PER_REQUEST",
            "StreamSpecification": {"StreamViewType": "NEW_IMAGE"},
        },
    }
    kafka = "arn:aws:kafka:us-east-1:123456789012:cluster/orders/abc"
    with pytest.raises(TemplateRefused) as refused:
        check(
            {"Table": table, "FromTable": mapping({"Fn::GetAtt": ["Table", "StreamArn"]}), "FromKafka": mapping(kafka)}
        )
    assert str(refused.value) == (
        "The local cloud does not deliver Amazon MSK records to Lambda functions: [FromKafka]; "
        "The local cloud does not deliver DynamoDB stream records to Lambda functions: [FromTable]"
    )


def test_queues_streams_and_topics_are_delivered() -> None:
    check(
        {
            "Queue": {"Type": "AWS::SQS::Queue", "Properties": {}},
            "FromQueue": mapping({"Fn::GetAtt": ["Queue", "Arn"]}),
            "FromStream": mapping("arn:aws:kinesis:us-east-1:123456789012:stream/clicks"),
            "Topic": {"Type": "AWS::SNS::Topic", "Properties": {}},
            "Subscription": {
                "Type": "AWS::SNS::Subscription",
                "Properties": {"TopicArn": {"Ref": "Topic"}, "Protocol": "lambda", "Endpoint": FUNCTION_ARN},
            },
        }
    )


def test_create_change_set_refuses_the_delivery_with_a_validation_error() -> None:
    rule = {"Type": "AWS::Events::Rule", "Properties": {"Targets": [{"Id": "t", "Arn": FUNCTION_ARN}]}}
    template = {"Resources": {"Handler": FUNCTION, "Nightly": rule}}
    with Endpoint(port=0) as endpoint:
        cfn = endpoint.client("cloudformation", attempts=1)
        with pytest.raises(ClientError) as refused:
            cfn.create_change_set(
                StackName="Scheduled",
                ChangeSetName="cdk-deploy-change-set",
                ChangeSetType="CREATE",
                TemplateBody=json.dumps(template),
            )
    assert refused.value.response["Error"]["Code"] == "ValidationError"
    assert refused.value.response["Error"]["Message"] == (
        "The local cloud does not deliver EventBridge rule events to Lambda functions: [Nightly]"
    )
