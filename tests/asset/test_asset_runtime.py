"""The bundled asset runs as Lambda runs it: a fresh interpreter whose only third-party package
is boto3, real HTTP to the service endpoint, and a real HTTPS ResponseURL."""

import subprocess
import time
import uuid
from typing import Any

import pytest

from localcloud import lambda_runtime
from localcloud.cloudformation.response_server import ResponseServer
from localcloud.lambda_runtime import Environments
from localcloud.personalize import Personalize
from localcloud.personalize.http import Emulator
from personalize_event_tracker._provider import HANDLER
from tests.scripted_service import ScriptedPersonalize

STACK_ID = "arn:aws:cloudformation:us-east-1:123456789012:stack/AssetStack/5e1c0d9a-9a1c-11ef-9d5e-0a1b2c3d4e5f"
DATASET_GROUP_ARN = "arn:aws:personalize:us-east-1:123456789012:dataset-group/clicks"
ARN = "arn:aws:personalize:us-east-1:123456789012:event-tracker/d2e0162e"
TRACKING_ID = str(uuid.uuid4())


@pytest.fixture
def response_server():
    with ResponseServer() as server:
        yield server


def request(request_type, response_server, properties, physical_id=None):
    event = {
        "RequestType": request_type,
        "StackId": STACK_ID,
        "RequestId": str(uuid.uuid4()),
        "LogicalResourceId": "TrackerAF5FC55F",
        "ResourceType": "Custom::PersonalizeEventTracker",
        "ResourceProperties": {"ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:p", **properties},
    }
    if physical_id:
        event["PhysicalResourceId"] = physical_id
    event["ResponseURL"] = response_server.url_for(event)
    return event


def run(bundled_asset, event, response_server, endpoint_url="http://127.0.0.1:9"):
    # the default endpoint is a closed port: a call that should not happen fails loudly
    return lambda_runtime.invoke(
        bundled_asset,
        event,
        handler=HANDLER,
        timeout_seconds=60,
        environment={
            "AWS_ENDPOINT_URL_PERSONALIZE": endpoint_url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "SSL_CERT_FILE": str(response_server.certificate_file),
        },
    )


def test_one_warm_environment_serves_a_trackers_life_and_each_answer_is_its_own(bundled_asset, response_server):
    # GIVEN one environment of the provider (the concurrency limit keeps it to one) and the emulator
    with Emulator(Personalize()) as emulator, Environments(concurrency_limit=1) as service:
        client = emulator.client()
        group = client.create_dataset_group(name="shop")["datasetGroupArn"]
        for _ in range(600):  # a hang guard, not a measure: the group's statuses run on the emulator's clock
            if client.describe_dataset_group(datasetGroupArn=group)["datasetGroup"]["status"] == "ACTIVE":
                break
            time.sleep(0.05)
        environment = {
            **emulator.client_environment(),
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "SSL_CERT_FILE": str(response_server.certificate_file),
        }

        def send(request_type, properties, physical_id=None):
            event = request(request_type, response_server, properties, physical_id)
            invocation = lambda_runtime.invoke(
                bundled_asset, event, handler=HANDLER, timeout_seconds=120, environment=environment, service=service
            )
            assert invocation.status == "success", invocation.output
            (answer,) = response_server.answers_to(event["ResponseURL"])
            assert answer.problems == []
            return invocation, answer.body

        # WHEN a create, a FAILED create, a tags update and the deletes come one after another
        properties = {"DatasetGroupArn": group, "Name": "clickstream"}
        created, create = send("Create", properties)
        arn = create["PhysicalResourceId"]
        refused, failed = send("Create", {"DatasetGroupArn": "nope", "Name": "other"})
        tagged, update = send("Update", {**properties, "Tags": [{"Key": "team", "Value": "growth"}]}, physical_id=arn)
        rollback, rolled_back = send(
            "Delete", {"DatasetGroupArn": "nope", "Name": "other"}, failed["PhysicalResourceId"]
        )
        deleted, delete = send("Delete", properties, physical_id=arn)
        left = client.list_event_trackers(datasetGroupArn=group)["eventTrackers"]

    # THEN one process served them all, and no answer carries an earlier one's state
    assert {i.pid for i in (created, refused, tagged, rollback, deleted)} == {created.pid}
    assert create["Status"] == "SUCCESS" and create["Data"]["EventTrackerArn"] == arn
    tracking_id = create["Data"]["TrackingId"]
    assert failed["Status"] == "FAILED" and failed["Reason"].startswith("Invalid properties")
    assert failed["PhysicalResourceId"] != arn and tracking_id not in str(failed)
    assert update["Status"] == "SUCCESS" and update["PhysicalResourceId"] == arn
    assert update["Data"] == {"EventTrackerArn": arn, "TrackingId": tracking_id}
    assert rolled_back["Status"] == "SUCCESS" and rolled_back["PhysicalResourceId"] == failed["PhysicalResourceId"]
    assert delete["Status"] == "SUCCESS" and delete["PhysicalResourceId"] == arn
    assert tracking_id not in str(rolled_back) + str(delete)
    assert [t["status"] for t in left if not t["status"].startswith("DELETE")] == []
    for invocation in (created, refused, tagged, rollback, deleted):
        assert tracking_id not in invocation.output
        assert "X-Amz-Signature" not in invocation.output


def test_the_runtime_venv_has_boto3_and_not_crhelper():
    python = str(lambda_runtime.runtime_python())
    subprocess.run([python, "-I", "-c", "import boto3"], check=True)
    missing = subprocess.run([python, "-I", "-c", "import crhelper"], capture_output=True, text=True)
    assert "No module named 'crhelper'" in missing.stderr


def test_create_through_the_endpoint_answers_the_https_response_url(bundled_asset, response_server):
    tracker = {
        "name": "clickstream",
        "eventTrackerArn": ARN,
        "accountId": "123456789012",
        "trackingId": TRACKING_ID,
        "datasetGroupArn": DATASET_GROUP_ARN,
        "status": "ACTIVE",
    }
    script: dict[str, list[tuple[int, dict[str, Any]]]] = {
        "CreateEventTracker": [(200, {"eventTrackerArn": ARN, "trackingId": TRACKING_ID})],
        "DescribeEventTracker": [
            (200, {"eventTracker": {**tracker, "status": "CREATE PENDING"}}),
            (200, {"eventTracker": tracker}),
        ],
    }
    event = request("Create", response_server, {"DatasetGroupArn": DATASET_GROUP_ARN, "Name": "clickstream"})
    with ScriptedPersonalize(script) as service:
        invocation = run(bundled_asset, event, response_server, service.endpoint_url)

    assert invocation.status == "success", invocation.output
    (answer,) = response_server.answers_to(event["ResponseURL"])
    assert answer.problems == []
    assert answer.body["Status"] == "SUCCESS"
    assert answer.body["PhysicalResourceId"] == ARN
    assert answer.body["Data"] == {"EventTrackerArn": ARN, "TrackingId": TRACKING_ID}
    assert service.operations() == ["CreateEventTracker", "DescribeEventTracker", "DescribeEventTracker"]
    # the log says what happened, and holds neither secret
    assert f"Event tracker {ARN} is ACTIVE" in invocation.output
    assert "Answer SUCCESS delivered to CloudFormation: HTTP 200" in invocation.output
    assert TRACKING_ID not in invocation.output
    assert event["ResponseURL"].split("?")[0].split("/")[-1] not in invocation.output
    assert "X-Amz-Signature" not in invocation.output


def test_malformed_create_is_answered_failed_without_calling_the_service(bundled_asset, response_server):
    event = request("Create", response_server, {"DatasetGroupArn": "nope", "Name": "clickstream"})

    invocation = run(bundled_asset, event, response_server)

    assert invocation.status == "success", invocation.output
    (answer,) = response_server.answers_to(event["ResponseURL"])
    assert answer.problems == []
    assert answer.body["Status"] == "FAILED"
    assert answer.body["Reason"].startswith("Invalid properties: DatasetGroupArn must be a Personalize ARN")


def test_the_answer_survives_5xx_from_the_response_url(bundled_asset, response_server):
    # crhelper alone would take the first 503 as delivered, and CloudFormation would wait for nothing.
    event = request("Create", response_server, {"DatasetGroupArn": "nope", "Name": "clickstream"})
    response_server.refuse_next(2, status=503)

    invocation = run(bundled_asset, event, response_server)

    assert invocation.status == "success", invocation.output
    (answer,) = response_server.answers_to(event["ResponseURL"])
    assert answer.body["Status"] == "FAILED"
    assert response_server.refused == 2
