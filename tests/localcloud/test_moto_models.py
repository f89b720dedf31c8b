"""moto's CloudFormation models, and the types moto's CloudFormation lacks, through a stack.

Each type is deployed by the endpoint's CloudFormation, read (Ref, Fn::GetAtt, in Outputs and
Fn::Sub), updated and destroyed; what the stack made is checked in the service, through boto3,
and after destroy nothing is left.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from localcloud.cloudformation.intrinsics import attributes_read
from localcloud.cloudformation.resources import NATIVE_TYPES, emulated_types, resource_types
from localcloud.cloudformation.resources import moto_models as moto_models_module
from localcloud.cloudformation.resources.moto_models import moto_models
from localcloud.endpoint import Endpoint
from tests.localcloud.stacks import Stacks

REPOSITORY = Path(__file__).resolve().parents[2]

ACCOUNT, REGION = "123456789012", "us-east-1"


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    with Endpoint() as running:
        yield running


@pytest.fixture
def stacks(endpoint: Endpoint) -> Stacks:
    return Stacks(endpoint)


def queue_template(**properties: Any) -> dict[str, Any]:
    return {
        "Resources": {"Queue": {"Type": "AWS::SQS::Queue", "Properties": properties}},
        "Outputs": {
            "Url": {"Value": {"Ref": "Queue"}},
            "Arn": {"Value": {"Fn::GetAtt": ["Queue", "Arn"]}},
            "Name": {"Value": {"Fn::Sub": "${Queue.QueueName}"}},
        },
    }


# --- the registry ------------------------------------------------------------------------------


def test_the_hand_written_types_win_and_ours_never_come_from_moto():
    types = resource_types()
    for type_name, native in NATIVE_TYPES.items():
        assert types[type_name] is native
    assert types["AWS::SQS::Queue"].__name__ == "MotoQueueType"
    # moto's would look the function up in moto's own Lambda, which the local cloud does not run
    assert "AWS::Lambda::Version" not in types
    for satellite in ("AWS::Lambda::Permission", "AWS::Lambda::EventSourceMapping"):
        assert types[satellite].__module__.endswith("resources.lambda_event_sources")
    assert "AWS::CloudFormation::Stack" not in types
    # a type moto cannot delete is not offered: a stack holding it could never be destroyed
    assert "AWS::Route53::HostedZone" not in moto_models()
    assert {"AWS::DynamoDB::Table", "AWS::Kinesis::Stream", "AWS::SNS::Topic"} <= emulated_types()


def test_what_the_engine_needs_of_each_model_is_kept_and_read_back_the_same(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    moto_models_module._model_traits.cache_clear()
    try:
        found = moto_models_module._model_traits()
        (kept,) = (tmp_path / "cache" / "localcloud").glob("moto-models-*.json")
        assert found == moto_models_module._find_traits() == json.loads(kept.read_text())
        assert found["AWS::SQS::Queue"]["model"] == ["moto.sqs.models", "Queue"]
        # the next process reads it back
        moto_models_module._model_traits.cache_clear()
        assert moto_models_module._model_traits() == found
    finally:
        moto_models_module._model_traits.cache_clear()


@pytest.mark.slow
def test_a_process_imports_only_the_backends_of_the_models_its_stacks_use():
    probe = (
        "import sys\n"
        "from localcloud.cloudformation.resources import emulated_types\n"
        "from localcloud.cloudformation.resources.moto_models import moto_model\n"
        "assert 'AWS::SageMaker::Model' in emulated_types()\n"
        "assert moto_model('AWS::SQS::Queue').__name__ == 'Queue'\n"
        "print(sorted(name for name in sys.modules if name.startswith(('moto.sagemaker', 'moto.sqs.models'))))\n"
    )
    moto_models_module._model_traits()  # kept in the user's cache, as any earlier local cloud left it
    shown = subprocess.run([sys.executable, "-c", probe], cwd=REPOSITORY, capture_output=True, text=True, check=True)
    assert shown.stdout.strip() == "['moto.sqs.models']"


def test_replacement_follows_the_registry_schema():
    queue, table = resource_types()["AWS::SQS::Queue"], resource_types()["AWS::DynamoDB::Table"]
    assert queue.replaced_by == {"QueueName", "FifoQueue"}
    # moto cannot update a table: any change of its properties replaces it
    assert {"TableName", "BillingMode", "KeySchema"} <= table.replaced_by


def test_the_attributes_a_template_reads_are_found_in_properties_subs_and_outputs():
    template = {
        "Resources": {
            "Queue": {"Type": "AWS::SQS::Queue"},
            "Policy": {"Type": "X", "Properties": {"Resource": {"Fn::GetAtt": ["Queue", "Arn"]}}},
            "Other": {"Type": "X", "Properties": {"Text": {"Fn::Sub": ["${Queue.QueueName}-${Name}", {"Name": "n"}]}}},
        },
        "Outputs": {"Url": {"Value": {"Fn::GetAtt": "Queue.QueueUrl"}}, "Ref": {"Value": {"Ref": "Queue"}}},
    }
    assert attributes_read(template, "Queue") == {"Arn", "QueueName", "QueueUrl"}
    assert attributes_read(template, "Other") == frozenset()


# --- each type through a stack ---------------------------------------------------------------------


def test_a_queue_deploys_reads_updates_and_is_destroyed(endpoint, stacks):
    sqs = endpoint.client("sqs")
    outputs = stacks.deploy("Shop", queue_template(VisibilityTimeout=30))

    name = outputs["Name"]
    assert name.startswith("Shop-Queue-")  # named as CloudFormation names it
    assert outputs["Url"] == f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{name}"
    attributes = sqs.get_queue_attributes(QueueUrl=outputs["Url"], AttributeNames=["All"])["Attributes"]
    assert (attributes["QueueArn"], attributes["VisibilityTimeout"]) == (outputs["Arn"], "30")

    updated = stacks.deploy("Shop", queue_template(VisibilityTimeout=60))
    assert updated["Url"] == outputs["Url"]  # in place
    attributes = sqs.get_queue_attributes(QueueUrl=outputs["Url"], AttributeNames=["VisibilityTimeout"])
    assert attributes["Attributes"]["VisibilityTimeout"] == "60"

    stacks.destroy("Shop")
    assert sqs.list_queues().get("QueueUrls", []) == []


def test_a_new_queue_name_replaces_the_queue(endpoint, stacks):
    sqs = endpoint.client("sqs")
    first = stacks.deploy("Shop", queue_template(QueueName="orders"))
    second = stacks.deploy("Shop", queue_template(QueueName="orders-v2"))

    assert (first["Name"], second["Name"]) == ("orders", "orders-v2")
    assert [url.rsplit("/", 1)[1] for url in sqs.list_queues()["QueueUrls"]] == ["orders-v2"]  # the old one cleaned up
    stacks.destroy("Shop")


def test_a_fifo_queue_is_named_with_its_suffix(endpoint, stacks):
    outputs = stacks.deploy("Shop", queue_template(FifoQueue=True))
    assert outputs["Name"].startswith("Shop-Queue-") and outputs["Name"].endswith(".fifo")
    stacks.destroy("Shop")


def policy_template(action: str) -> dict[str, Any]:
    template = queue_template()
    statement = {
        "Effect": "Allow",
        "Principal": {"Service": "sns.amazonaws.com"},
        "Action": action,
        "Resource": {"Fn::GetAtt": ["Queue", "Arn"]},
    }
    template["Resources"]["Policy"] = {
        "Type": "AWS::SQS::QueuePolicy",
        "Properties": {
            "Queues": [{"Ref": "Queue"}],
            "PolicyDocument": {"Version": "2012-10-17", "Statement": [statement]},
        },
    }
    template["Outputs"]["Policy"] = {"Value": {"Ref": "Policy"}}
    return template


def queue_policy(sqs: Any, url: str) -> dict[str, Any] | None:
    found = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"]).get("Attributes", {}).get("Policy")
    return json.loads(found) if found else None


def test_a_queue_policy_deploys_updates_and_is_destroyed(endpoint, stacks):
    sqs = endpoint.client("sqs")
    outputs = stacks.deploy("Shop", policy_template("sqs:SendMessage"))
    assert outputs["Policy"].startswith("Shop-Policy-")
    policy = queue_policy(sqs, outputs["Url"])
    assert policy is not None and policy["Statement"][0]["Resource"] == outputs["Arn"]
    assert policy["Statement"][0]["Action"] == "sqs:SendMessage"

    stacks.deploy("Shop", policy_template("sqs:*"))
    policy = queue_policy(sqs, outputs["Url"])
    assert policy is not None and policy["Statement"][0]["Action"] == "sqs:*"

    # the policy alone removed: the queue stays, without it
    template = queue_template()
    stacks.deploy("Shop", template)
    assert queue_policy(sqs, outputs["Url"]) is None
    stacks.destroy("Shop")
    assert sqs.list_queues().get("QueueUrls", []) == []


def topic_template(display_name: str, filter_policy: dict[str, Any]) -> dict[str, Any]:
    template = queue_template()
    template["Resources"]["Topic"] = {"Type": "AWS::SNS::Topic", "Properties": {"DisplayName": display_name}}
    template["Resources"]["Subscription"] = {
        "Type": "AWS::SNS::Subscription",
        "Properties": {
            "TopicArn": {"Ref": "Topic"},
            "Protocol": "sqs",
            "Endpoint": {"Fn::GetAtt": ["Queue", "Arn"]},
            "RawMessageDelivery": True,
            "FilterPolicy": filter_policy,
        },
    }
    template["Outputs"].update(
        {
            "Topic": {"Value": {"Ref": "Topic"}},
            "TopicName": {"Value": {"Fn::GetAtt": ["Topic", "TopicName"]}},
            "Subscription": {"Value": {"Ref": "Subscription"}},
        }
    )
    return template


def test_a_topic_and_its_sqs_subscription_deliver_update_and_are_destroyed(endpoint, stacks):
    sns, sqs = endpoint.client("sns"), endpoint.client("sqs")
    outputs = stacks.deploy("Shop", topic_template("Orders", {"kind": ["order"]}))

    assert outputs["Topic"] == f"arn:aws:sns:{REGION}:{ACCOUNT}:{outputs['TopicName']}"
    assert outputs["Subscription"].startswith(outputs["Topic"] + ":")
    attributes = sns.get_subscription_attributes(SubscriptionArn=outputs["Subscription"])["Attributes"]
    assert (attributes["Protocol"], attributes["Endpoint"]) == ("sqs", outputs["Arn"])
    assert json.loads(attributes["FilterPolicy"]) == {"kind": ["order"]}
    sns.publish(TopicArn=outputs["Topic"], Message="hello", MessageAttributes=kind("order"))
    received = sqs.receive_message(QueueUrl=outputs["Url"], WaitTimeSeconds=1)["Messages"]
    assert [message["Body"] for message in received] == ["hello"]  # raw delivery

    updated = stacks.deploy("Shop", topic_template("Orders and returns", {"kind": ["order", "return"]}))
    topic_attributes = sns.get_topic_attributes(TopicArn=updated["Topic"])["Attributes"]
    assert topic_attributes["DisplayName"] == "Orders and returns"
    subscription = sns.get_subscription_attributes(SubscriptionArn=updated["Subscription"])["Attributes"]
    assert json.loads(subscription["FilterPolicy"]) == {"kind": ["order", "return"]}
    assert [t["TopicArn"] for t in sns.list_topics()["Topics"]] == [updated["Topic"]]  # no topic left behind

    stacks.destroy("Shop")
    assert sns.list_topics()["Topics"] == []
    assert sns.list_subscriptions()["Subscriptions"] == []
    assert sqs.list_queues().get("QueueUrls", []) == []


def kind(value: str) -> dict[str, Any]:
    return {"kind": {"DataType": "String", "StringValue": value}}


def table_template(billing: str) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "BillingMode": billing,
    }
    if billing == "PROVISIONED":
        properties["ProvisionedThroughput"] = {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}
    return {
        "Resources": {"Table": {"Type": "AWS::DynamoDB::Table", "Properties": properties}},
        "Outputs": {"Name": {"Value": {"Ref": "Table"}}, "Arn": {"Value": {"Fn::GetAtt": ["Table", "Arn"]}}},
    }


def test_a_table_deploys_is_replaced_on_update_and_is_destroyed(endpoint, stacks):
    dynamodb = endpoint.client("dynamodb")
    outputs = stacks.deploy("Shop", table_template("PAY_PER_REQUEST"))
    table = dynamodb.describe_table(TableName=outputs["Name"])["Table"]
    assert table["TableArn"] == outputs["Arn"] == f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{outputs['Name']}"

    # moto cannot update a table in place: CloudFormation's replacement, the old one cleaned up
    updated = stacks.deploy("Shop", table_template("PROVISIONED"))
    assert updated["Name"] != outputs["Name"]
    assert dynamodb.list_tables()["TableNames"] == [updated["Name"]]
    throughput = dynamodb.describe_table(TableName=updated["Name"])["Table"]["ProvisionedThroughput"]
    assert throughput["ReadCapacityUnits"] == 1

    stacks.destroy("Shop")
    assert dynamodb.list_tables()["TableNames"] == []


def test_a_named_table_that_must_be_replaced_is_refused_as_cloudformation_refuses_it(endpoint, stacks):
    template = table_template("PAY_PER_REQUEST")
    template["Resources"]["Table"]["Properties"]["TableName"] = "orders"
    stacks.deploy("Shop", template)

    changed = table_template("PROVISIONED")
    changed["Resources"]["Table"]["Properties"]["TableName"] = "orders"
    change_set = stacks.change_set("Shop", changed)
    stacks.cfn.execute_change_set(ChangeSetName=change_set["ChangeSetId"], StackName=change_set["StackId"])

    assert stacks.settled(change_set["StackId"])["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    assert stacks.failures("Shop")[0] == (
        "Table: CloudFormation cannot update a stack when a custom-named resource requires replacing. "
        "Rename orders and update the stack again."
    )
    assert endpoint.client("dynamodb").list_tables()["TableNames"] == ["orders"]
    stacks.destroy("Shop")


def stream_template(hours: int) -> dict[str, Any]:
    return {
        "Resources": {
            "Stream": {"Type": "AWS::Kinesis::Stream", "Properties": {"ShardCount": 1, "RetentionPeriodHours": hours}}
        },
        "Outputs": {"Name": {"Value": {"Ref": "Stream"}}, "Arn": {"Value": {"Fn::Sub": "${Stream.Arn}"}}},
    }


def test_a_stream_deploys_updates_in_place_and_is_destroyed(endpoint, stacks):
    kinesis = endpoint.client("kinesis")
    outputs = stacks.deploy("Shop", stream_template(24))
    summary = kinesis.describe_stream_summary(StreamName=outputs["Name"])["StreamDescriptionSummary"]
    assert summary["StreamARN"] == outputs["Arn"] == f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/{outputs['Name']}"
    assert summary["OpenShardCount"] == 1

    updated = stacks.deploy("Shop", stream_template(48))
    assert updated["Name"] == outputs["Name"]
    summary = kinesis.describe_stream_summary(StreamName=outputs["Name"])["StreamDescriptionSummary"]
    assert summary["RetentionPeriodHours"] == 48

    stacks.destroy("Shop")
    assert kinesis.list_streams()["StreamNames"] == []


def secret_template(description: str, properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "Resources": {
            "Secret": {"Type": "AWS::SecretsManager::Secret", "Properties": {"Description": description, **properties}}
        },
        "Outputs": {"Arn": {"Value": {"Ref": "Secret"}}, "Id": {"Value": {"Fn::GetAtt": ["Secret", "Id"]}}},
    }


def test_a_secret_is_generated_updated_and_destroyed(endpoint, stacks):
    secrets = endpoint.client("secretsmanager")
    generate = {"SecretStringTemplate": '{"user": "shop"}', "GenerateStringKey": "password", "PasswordLength": 24}
    outputs = stacks.deploy("Shop", secret_template("db", {"GenerateSecretString": generate}))

    assert outputs["Arn"] == outputs["Id"]
    described = secrets.describe_secret(SecretId=outputs["Arn"])
    assert described["Name"].startswith("Secret-") and described["Description"] == "db"
    value = json.loads(secrets.get_secret_value(SecretId=outputs["Arn"])["SecretString"])
    assert value["user"] == "shop" and len(value["password"]) == 24

    stacks.deploy("Shop", secret_template("the db", {"SecretString": "s3cr3t"}))
    assert secrets.describe_secret(SecretId=outputs["Arn"])["Description"] == "the db"
    assert secrets.get_secret_value(SecretId=outputs["Arn"])["SecretString"] == "s3cr3t"

    stacks.destroy("Shop")
    assert secrets.list_secrets()["SecretList"] == []
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        secrets.describe_secret(SecretId=outputs["Arn"])


# --- what the local cloud does not emulate -------------------------------------------------------


def test_a_type_no_one_emulates_is_refused_when_the_change_set_is_made(stacks):
    template = queue_template()
    template["Resources"]["Bus"] = {"Type": "AWS::Pipes::Pipe", "Properties": {}}

    with pytest.raises(ClientError) as refused:
        stacks.change_set("Shop", template)

    error = refused.value.response["Error"]
    assert error["Code"] == "ValidationError"
    assert error["Message"].startswith(
        "The local cloud does not emulate resource types: [AWS::Pipes::Pipe]; it emulates "
    )
    assert "AWS::SQS::Queue" in error["Message"] and "Custom::*" in error["Message"]
    with pytest.raises(ClientError, match="does not exist"):
        stacks.cfn.describe_stacks(StackName="Shop")


def test_an_attribute_moto_lacks_fails_the_resource_and_the_rollback_deletes_it(endpoint, stacks):
    template = queue_template()
    template["Outputs"]["Nothing"] = {"Value": {"Fn::GetAtt": ["Queue", "Nothing"]}}
    change_set = stacks.change_set("Shop", template)
    stacks.cfn.execute_change_set(ChangeSetName=change_set["ChangeSetId"], StackName=change_set["StackId"])

    assert stacks.settled(change_set["StackId"])["StackStatus"] == "ROLLBACK_COMPLETE"
    assert stacks.failures("Shop") == [
        "Queue: Template error: resource Queue does not support attribute type Nothing in Fn::GetAtt"
    ]
    assert endpoint.client("sqs").list_queues().get("QueueUrls", []) == []


@pytest.mark.slow  # a process of its own that imports every moto backend
def test_moto_models_load_whatever_profile_the_shell_names(tmp_path):
    # moto.xray makes a boto3 client as it is imported: a shell's AWS_PROFILE naming no profile
    # would fail the first stack that needs moto's models (seen as ProfileNotFound at CreateChangeSet)
    code = (
        "import os\n"
        f"os.environ['AWS_CONFIG_FILE'] = {str(tmp_path / 'none')!r}\n"
        "from localcloud.cloudformation.resources.moto_models import moto_models\n"
        "os.environ['AWS_PROFILE'] = 'production'\n"
        "print(len(moto_models()) > 0, os.environ['AWS_PROFILE'])\n"
    )
    ran = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPOSITORY, timeout=300)
    assert ran.stdout.split() == ["True", "production"], ran.stderr[-2000:]
