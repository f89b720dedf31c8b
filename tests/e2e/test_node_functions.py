"""The Node.js functions a CDK app brings in, through the pinned CDK CLI against `python -m
localcloud serve`: the ones aws-cdk-lib adds unasked (`auto_delete_objects`, `log_retention`,
`AwsCustomResource`) and a user's own JavaScript ingest function, from deploy through use to
destroy, with nothing of the app left.

The cloud is the worker's shared one (tests/e2e/cli_cloud.py): the app's stack and names are its
own, and every check that nothing is left looks at them only."""

from __future__ import annotations

import json
import os
import sys
import textwrap
import urllib.request
from typing import Any

import pytest
from botocore.exceptions import ClientError

from localcloud.local_env import local_client as client

from ..synthesis_environment import SYNTHESIS_ENVIRONMENT
from .cli_cloud import CliCloud
from .cli_cloud import cdk as journey_cdk

pytestmark = pytest.mark.slow

STACK = "NodeFunctions"

APP = textwrap.dedent(
    '''
    import aws_cdk as cdk
    from aws_cdk import aws_lambda as lambda_
    from aws_cdk import aws_logs as logs
    from aws_cdk import aws_personalize as personalize
    from aws_cdk import aws_s3 as s3
    from aws_cdk import custom_resources as cr
    from personalize_event_tracker import EventTracker

    # A user's ingest function in JavaScript: the SDK client comes from the runtime, as in Lambda.
    INGEST = """
    const { PersonalizeEventsClient, PutEventsCommand } = require("@aws-sdk/client-personalize-events");
    const events = new PersonalizeEventsClient({});

    exports.handler = async (event) => {
      await events.send(new PutEventsCommand({
        trackingId: process.env.TRACKING_ID,
        userId: event.userId,
        sessionId: event.sessionId,
        eventList: event.events.map((e) => ({ ...e, sentAt: new Date(e.sentAt * 1000) })),
      }));
      console.log("sent", event.events.length, "events");
      return { sent: event.events.length };
    };
    """

    app = cdk.App()
    stack = cdk.Stack(app, "NodeFunctions")
    group = personalize.CfnDatasetGroup(stack, "Group", name="node-functions")
    tracker = EventTracker(
        stack, "Clicks", dataset_group_arn=group.attr_dataset_group_arn, event_tracker_name="node-functions-clicks"
    )
    bucket = s3.Bucket(stack, "Uploads", auto_delete_objects=True, removal_policy=cdk.RemovalPolicy.DESTROY)
    ingest = lambda_.Function(
        stack,
        "Ingest",
        runtime=lambda_.Runtime.NODEJS_22_X,
        handler="index.handler",
        code=lambda_.Code.from_inline(INGEST),
        environment={"TRACKING_ID": tracker.tracking_id},
        log_retention=logs.RetentionDays.ONE_DAY,
        timeout=cdk.Duration.seconds(10),
    )
    tracker.grant_put_events(ingest)
    # The tracker's status read back through Personalize's API; its data hidden from the log, since
    # DescribeEventTracker's answer holds the trackingId.
    status = cr.AwsCustomResource(
        stack,
        "TrackerStatus",
        on_update=cr.AwsSdkCall(
            service="Personalize",
            action="describeEventTracker",
            parameters={"eventTrackerArn": tracker.event_tracker_arn},
            physical_resource_id=cr.PhysicalResourceId.of(tracker.event_tracker_arn),
            output_paths=["eventTracker.status"],
            logging=cr.Logging.with_data_hidden(),
        ),
        policy=cr.AwsCustomResourcePolicy.from_sdk_calls(resources=[tracker.event_tracker_arn]),
        install_latest_aws_sdk=False,
    )
    cdk.CfnOutput(stack, "TrackerStatusValue", value=status.get_response_field("eventTracker.status"))
    cdk.CfnOutput(stack, "BucketName", value=bucket.bucket_name)
    cdk.CfnOutput(stack, "IngestName", value=ingest.function_name)
    app.synth()
    '''
)


def own(functions: list[Any]) -> list[Any]:
    """The functions of this journey's stack (CloudFormation names them after it)."""
    return [f for f in functions if f["FunctionName"].startswith(STACK)]


def admin_state(url: str) -> dict[str, Any]:
    """The operator's view of Personalize (`/_localcloud/state`)."""
    with urllib.request.urlopen(f"{url}/_localcloud/state", timeout=30) as response:
        return dict(json.load(response))


def test_the_node_functions_an_app_brings_run_and_leave_nothing_behind(cli_cloud: CliCloud, tmp_path):
    app_dir = tmp_path / "node-app"
    app_dir.mkdir()
    (app_dir / "app.py").write_text(APP)
    (app_dir / "cdk.json").write_text(json.dumps({"app": f"{sys.executable} app.py"}))
    cloud = cli_cloud
    minimal = {"PATH": os.environ["PATH"], "HOME": str(tmp_path / "home"), **SYNTHESIS_ENVIRONMENT}

    def cdk(*args: str) -> str:
        return journey_cdk(args, cloud.url, tmp_path / "home", cwd=app_dir, inherited=minimal)

    cloudformation, s3, lambda_ = (client(name, cloud.url) for name in ("cloudformation", "s3", "lambda"))
    logs = client("logs", cloud.url)

    # GIVEN the app deployed: four Node.js functions among its resources
    cdk("deploy", "--require-approval", "never", "--outputs-file", "outputs.json")
    outputs = json.loads((app_dir / "outputs.json").read_text())[STACK]
    runtimes = {f["FunctionName"]: f.get("Runtime", "") for f in own(lambda_.list_functions()["Functions"])}
    assert sum(runtime.startswith("nodejs") for runtime in runtimes.values()) == 4, runtimes

    # THEN AwsCustomResource read the tracker's status through Personalize
    assert outputs["TrackerStatusValue"] == "ACTIVE"
    # (the names the checks after destroy look for find what the app made)
    state = admin_state(cloud.url)
    assert [t["status"] for t in state["eventTrackers"] if t["name"] == "node-functions-clicks"] == ["ACTIVE"]
    assert [g["name"] for g in state["datasetGroups"] if g["name"] == "node-functions"] == ["node-functions"]
    # and log_retention set the ingest function's log group's retention
    ingest_group = f"/aws/lambda/{outputs['IngestName']}"
    (described,) = logs.describe_log_groups(logGroupNamePrefix=ingest_group)["logGroups"]
    assert described["retentionInDays"] == 1

    # WHEN the JavaScript ingest function is invoked with events
    events = [
        {"eventType": "click", "itemId": "item-1", "sentAt": 1_700_000_000},
        {"eventType": "click", "itemId": "item-2", "sentAt": 1_700_000_010},
    ]
    payload = {"userId": "user-node", "sessionId": "session-node", "events": events}
    answer = lambda_.invoke(FunctionName=outputs["IngestName"], Payload=json.dumps(payload).encode())

    # THEN it sent them to the tracker with its trackingId
    assert "FunctionError" not in answer, answer["Payload"].read()
    assert json.loads(answer["Payload"].read()) == {"sent": 2}
    recorded = [e for e in admin_state(cloud.url)["events"] if e.get("userId") == "user-node"]
    assert sorted((e["event"]["itemId"], e["event"]["sentAt"]) for e in recorded) == [
        ("item-1", 1_700_000_000),
        ("item-2", 1_700_000_010),
    ]

    # WHEN its events lack what PutEvents requires, THEN the SDK's error is the function's error
    payload["events"] = [{"itemId": "item-3", "sentAt": 1_700_000_020}]
    answer = lambda_.invoke(FunctionName=outputs["IngestName"], Payload=json.dumps(payload).encode())
    assert answer["FunctionError"] == "Unhandled"
    error = json.loads(answer["Payload"].read())
    assert error["errorType"] in ("InvalidInputException", "ValidationException", "SerializationException"), error

    # WHEN objects are uploaded and the stack destroyed
    bucket = outputs["BucketName"]
    for n in range(3):
        s3.put_object(Bucket=bucket, Key=f"uploads/{n}.json", Body=b"{}")
    cdk("destroy", "--force")

    # THEN auto_delete_objects emptied the bucket so that it could go, and nothing of the app is left
    with pytest.raises(ClientError, match="does not exist"):
        cloudformation.describe_stacks(StackName=STACK)
    with pytest.raises(ClientError, match=r"Not Found|404"):
        s3.head_bucket(Bucket=bucket)
    state = admin_state(cloud.url)
    assert [t for t in state["eventTrackers"] if t["name"] == "node-functions-clicks"] == []
    assert [g for g in state["datasetGroups"] if g["name"] == "node-functions"] == []
    assert own(lambda_.list_functions()["Functions"]) == []
    roles = client("iam", cloud.url).list_roles()["Roles"]
    assert [r["RoleName"] for r in roles if r["RoleName"].startswith(STACK)] == []
    # what is left in Logs is only what Lambda itself writes, the functions' own groups, as in AWS
    left = [g["logGroupName"] for g in logs.describe_log_groups()["logGroups"] if STACK in g["logGroupName"]]
    assert [name for name in left if not name.startswith("/aws/lambda/")] == []
