"""What a restart on the same state directory keeps of moto's services and of the stacks made in them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from localcloud.endpoint import Endpoint
from localcloud.endpoint.http import AwsRequest
from localcloud.endpoint.journal import build_request
from localcloud.endpoint.moto_catalog import writes_state
from tests.localcloud.stacks import Stacks


def journaled_operations(state: Path) -> list[str]:
    """The operations of the journal's JSON-protocol entries, in order (their target names them)."""
    lines = (state / "aws" / "journal.jsonl").read_text().splitlines()
    targets = [json.loads(line)["headers"].get("x-amz-target", "") for line in lines]
    return [target.rpartition(".")[2] for target in targets if target]


def json_request(service: str, target: str) -> AwsRequest:
    return build_request(service, "us-east-1", "POST", "/", headers={"X-Amz-Target": target}, body=b"{}")


@pytest.mark.parametrize(
    ("service", "target", "kept"),
    [
        ("sqs", "AmazonSQS.CreateQueue", True),
        ("sqs", "AmazonSQS.SendMessage", False),  # traffic: a restart brings queues back empty
        ("sqs", "AmazonSQS.ReceiveMessage", False),
        ("sqs", "AmazonSQS.DeleteMessage", False),
        ("dynamodb", "DynamoDB_20120810.PutItem", True),
        ("dynamodb", "DynamoDB_20120810.Query", False),
        ("dynamodb", "DynamoDB_20120810.Scan", False),
        ("dynamodb", "DynamoDB_20120810.GetItem", False),
        ("kinesis", "Kinesis_20131202.PutRecord", True),
        ("kinesis", "Kinesis_20131202.GetShardIterator", False),
        ("kinesis", "Kinesis_20131202.GetRecords", False),
        ("kms", "TrentService.Decrypt", False),
        ("events", "AWSEvents.PutEvents", False),
        ("sts", "AWSSecurityTokenServiceV20110615.AssumeRole", False),  # credentials are not state
    ],
)
def test_writes_are_kept_reads_and_traffic_are_not(service, target, kept):
    assert writes_state(json_request(service, target)) is kept


def test_stores_keep_their_data_queues_come_back_empty_and_ids_are_the_same(tmp_path):
    state = tmp_path / "state"
    with Endpoint(state_dir=state) as first:
        sqs, dynamodb, kinesis = first.client("sqs"), first.client("dynamodb"), first.client("kinesis")
        sns, secrets = first.client("sns"), first.client("secretsmanager")
        queue = sqs.create_queue(QueueName="orders", Attributes={"VisibilityTimeout": "45"})["QueueUrl"]
        sqs.send_message(QueueUrl=queue, MessageBody="consumed")
        (received,) = sqs.receive_message(QueueUrl=queue)["Messages"]
        sqs.delete_message(QueueUrl=queue, ReceiptHandle=received["ReceiptHandle"])
        sqs.send_message(QueueUrl=queue, MessageBody="waiting")
        dynamodb.create_table(
            TableName="carts",
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
        dynamodb.put_item(TableName="carts", Item={"pk": {"S": "a"}, "n": {"N": "1"}})
        dynamodb.scan(TableName="carts")
        dynamodb.get_item(TableName="carts", Key={"pk": {"S": "a"}})
        kinesis.create_stream(StreamName="clicks", ShardCount=1)
        kinesis.put_record(StreamName="clicks", Data=b"click", PartitionKey="p")
        topic = sns.create_topic(Name="news")["TopicArn"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        subscription = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)["SubscriptionArn"]
        secret = secrets.create_secret(Name="db", SecretString="s3cr3t")["ARN"]

    operations = journaled_operations(state)
    assert {"CreateQueue", "CreateTable", "PutItem", "CreateStream", "PutRecord", "CreateSecret"} <= set(operations)
    assert not {"SendMessage", "ReceiveMessage", "DeleteMessage", "Scan", "GetItem"} & set(operations)

    with Endpoint(state_dir=state) as second:
        sqs, kinesis = second.client("sqs"), second.client("kinesis")
        attributes = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
        assert attributes["VisibilityTimeout"] == "45"
        assert attributes["ApproximateNumberOfMessages"] == "0"  # messages are traffic, not kept
        item = second.client("dynamodb").get_item(TableName="carts", Key={"pk": {"S": "a"}})["Item"]
        assert item == {"pk": {"S": "a"}, "n": {"N": "1"}}
        shard = kinesis.list_shards(StreamName="clicks")["Shards"][0]["ShardId"]
        iterator = kinesis.get_shard_iterator(StreamName="clicks", ShardId=shard, ShardIteratorType="TRIM_HORIZON")
        records = kinesis.get_records(ShardIterator=iterator["ShardIterator"])["Records"]
        assert [record["Data"] for record in records] == [b"click"]
        # ids drawn from moto's random generator are drawn again from the same seed
        assert [s["SubscriptionArn"] for s in second.client("sns").list_subscriptions()["Subscriptions"]] == [
            subscription
        ]
        assert second.client("secretsmanager").get_secret_value(SecretId=secret)["SecretString"] == "s3cr3t"


def shop_template() -> dict[str, Any]:
    return {
        "Resources": {
            "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": 45}},
            "Table": {
                "Type": "AWS::DynamoDB::Table",
                "Properties": {
                    "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                    "BillingMode": "PAY_PER_REQUEST",
                },
            },
            "Secret": {"Type": "AWS::SecretsManager::Secret", "Properties": {"SecretString": "s3cr3t"}},
        },
        "Outputs": {
            "QueueUrl": {"Value": {"Ref": "Queue"}},
            "TableArn": {"Value": {"Fn::GetAtt": ["Table", "Arn"]}},
            "Secret": {"Value": {"Ref": "Secret"}},
        },
    }


def test_a_stack_of_moto_models_survives_a_restart_with_its_ids_and_can_be_destroyed(tmp_path):
    state = tmp_path / "state"
    with Endpoint(state_dir=state) as first:
        outputs = Stacks(first).deploy("Shop", shop_template())
        first.client("dynamodb").put_item(TableName=outputs["TableArn"].rsplit("/", 1)[1], Item={"pk": {"S": "a"}})

    with Endpoint(state_dir=state) as second:
        stacks = Stacks(second)
        sqs, dynamodb = second.client("sqs"), second.client("dynamodb")
        (described,) = stacks.cfn.describe_stacks(StackName="Shop")["Stacks"]
        assert {o["OutputKey"]: o["OutputValue"] for o in described["Outputs"]} == outputs
        attributes = sqs.get_queue_attributes(QueueUrl=outputs["QueueUrl"], AttributeNames=["VisibilityTimeout"])
        assert attributes["Attributes"]["VisibilityTimeout"] == "45"
        table = outputs["TableArn"].rsplit("/", 1)[1]
        assert dynamodb.describe_table(TableName=table)["Table"]["TableArn"] == outputs["TableArn"]
        assert dynamodb.scan(TableName=table)["Count"] == 1
        assert second.client("secretsmanager").describe_secret(SecretId=outputs["Secret"])["ARN"] == outputs["Secret"]

        stacks.destroy("Shop")
        assert sqs.list_queues().get("QueueUrls", []) == []
        assert dynamodb.list_tables()["TableNames"] == []
        assert second.client("secretsmanager").list_secrets()["SecretList"] == []

    # and the destruction is kept too
    with Endpoint(state_dir=state) as third:
        assert third.client("dynamodb").list_tables()["TableNames"] == []
        with pytest.raises(ClientError, match=r"NonExistentQueue|QueueDoesNotExist"):
            third.client("sqs").get_queue_attributes(QueueUrl=outputs["QueueUrl"])
