"""A whole Personalize app outside this repository, through the pinned CDK CLI, against
`python -m localcloud serve` with nothing but AWS_ENDPOINT_URL and test keys: a dataset group,
an Interactions schema and dataset, the EventTracker, a bucket, a queue and an ingest function;
created with CreateStack, used (Invoke, PutEvents, an export read back from S3), moved to the
native AWS::Personalize::EventTracker as the README says (RETAIN, remove, `cdk import`), destroyed.

The cloud is the worker's shared one (tests/e2e/cli_cloud.py). Every name the app gives starts
with `whole-app` and every name CloudFormation generates for it with its stack's name, WholeApp:
what is left after the destroy is looked for by those names."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import sys
import textwrap
import time
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from ..synthesis_environment import SYNTHESIS_ENVIRONMENT
from .cli_cloud import CliCloud
from .cli_cloud import cdk as journey_cdk
from .conftest import HANG_GUARD_SECONDS

pytestmark = pytest.mark.slow

STACK = "WholeApp"
NAMES = "whole-app"  # before every name the app gives: its dataset group, schema, dataset, tracker
TRACKER_NAME = "whole-app-clicks"

APP = textwrap.dedent(
    '''
    import json

    import aws_cdk as cdk
    from aws_cdk import aws_iam as iam
    from aws_cdk import aws_lambda as lambda_
    from aws_cdk import aws_logs as logs
    from aws_cdk import aws_personalize as personalize
    from aws_cdk import aws_s3 as s3
    from aws_cdk import aws_sqs as sqs
    from personalize_event_tracker import EventTracker

    SCHEMA = {
        "type": "record",
        "name": "Interactions",
        "namespace": "com.amazonaws.personalize.schema",
        "fields": [
            {"name": "USER_ID", "type": "string"},
            {"name": "ITEM_ID", "type": "string"},
            {"name": "TIMESTAMP", "type": "long"},
            {"name": "EVENT_TYPE", "type": "string"},
        ],
        "version": "1.0",
    }
    INGEST = """
    import os

    import boto3

    events = boto3.client("personalize-events")


    def handler(event, context):
        events.put_events(
            trackingId=os.environ["TRACKING_ID"],
            userId=event["userId"],
            sessionId=event["sessionId"],
            eventList=event["events"],
        )
        return {"sent": len(event["events"])}
    """

    app = cdk.App()
    # tracker: "construct" (the EventTracker), "removed" (none), "native" (CfnEventTracker)
    stage = app.node.try_get_context("tracker") or "construct"
    stack = cdk.Stack(app, "WholeApp")
    group = personalize.CfnDatasetGroup(stack, "Group", name="whole-app")
    schema = personalize.CfnSchema(stack, "Schema", name="whole-app-interactions", schema=json.dumps(SCHEMA))
    dataset = personalize.CfnDataset(
        stack,
        "Interactions",
        dataset_group_arn=group.attr_dataset_group_arn,
        dataset_type="Interactions",
        name="whole-app-interactions",
        schema_arn=schema.attr_schema_arn,
    )
    bucket = s3.Bucket(stack, "Exports", removal_policy=cdk.RemovalPolicy.DESTROY)
    sqs.Queue(stack, "Queue", removal_policy=cdk.RemovalPolicy.DESTROY)
    export_role = iam.Role(stack, "ExportRole", assumed_by=iam.ServicePrincipal("personalize.amazonaws.com"))
    bucket.grant_put(export_role)
    bucket.grant_read(export_role)
    bucket.add_to_resource_policy(
        iam.PolicyStatement(
            principals=[iam.ServicePrincipal("personalize.amazonaws.com")],
            actions=["s3:PutObject", "s3:ListBucket"],
            resources=[bucket.bucket_arn, bucket.arn_for_objects("*")],
        )
    )
    log_group = logs.LogGroup(stack, "IngestLogs", removal_policy=cdk.RemovalPolicy.DESTROY)
    function = lambda_.Function(
        stack,
        "Ingest",
        runtime=lambda_.Runtime.PYTHON_3_12,
        handler="index.handler",
        code=lambda_.Code.from_inline(INGEST),
        log_group=log_group,
        timeout=cdk.Duration.seconds(10),
    )
    if stage == "construct":
        retain = app.node.try_get_context("retain") == "true"
        tracker = EventTracker(
            stack,
            "Clicks",
            dataset_group_arn=group.attr_dataset_group_arn,
            event_tracker_name="whole-app-clicks",
            removal_policy=cdk.RemovalPolicy.RETAIN if retain else None,
        )
        tracker.node.add_dependency(dataset)
        tracker.grant_put_events(function)
        function.add_environment("TRACKING_ID", tracker.tracking_id)
    else:
        # the trackingId the function keeps while the tracker is outside the stack
        function.add_environment("TRACKING_ID", app.node.get_context("tracking"))
        function.add_to_role_policy(iam.PolicyStatement(actions=["personalize:PutEvents"], resources=["*"]))
    if stage == "native":
        native = personalize.CfnEventTracker(
            stack, "Tracker", name="whole-app-clicks", dataset_group_arn=group.attr_dataset_group_arn
        )
        native.apply_removal_policy(cdk.RemovalPolicy.DESTROY)
        if app.node.try_get_context("output") == "true":
            cdk.CfnOutput(stack, "NativeTrackingId", value=native.attr_tracking_id)
    cdk.CfnOutput(stack, "FunctionName", value=function.function_name)
    cdk.CfnOutput(stack, "DatasetArn", value=dataset.attr_dataset_arn)
    cdk.CfnOutput(stack, "BucketName", value=bucket.bucket_name)
    cdk.CfnOutput(stack, "ExportRoleArn", value=export_role.role_arn)
    app.synth()
    '''
)


def wait_for(what: str, check: Any) -> Any:
    """`check()`'s first truthy answer; a hang guard, never a measure of speed."""
    deadline = time.monotonic() + HANG_GUARD_SECONDS
    while not (answer := check()):
        assert time.monotonic() < deadline, f"{what}: still not done, a hang"
        time.sleep(0.5)
    return answer


def fingerprint(tracking_id: str) -> str:
    """What an assertion may show of a trackingId (it lets anyone send events): never the id itself."""
    return hashlib.sha256(tracking_id.encode()).hexdigest()[:12]


def test_a_whole_personalize_app_from_create_to_destroy(cli_cloud: CliCloud, tmp_path):
    app_dir = tmp_path / "whole-app"
    app_dir.mkdir()
    (app_dir / "app.py").write_text(APP)
    (app_dir / "cdk.json").write_text(json.dumps({"app": f"{sys.executable} app.py"}))
    # nothing of this process's environment but the PATH (node, python3) and a HOME of its own
    minimal = {"PATH": os.environ["PATH"], "HOME": str(tmp_path / "home"), **SYNTHESIS_ENVIRONMENT}

    def cdk(*args: str) -> str:
        return journey_cdk(args, cli_cloud.url, tmp_path / "home", cwd=app_dir, inherited=minimal)

    def deploy(*context: str) -> dict[str, str]:
        cdk("deploy", "--require-approval", "never", "--outputs-file", "outputs.json", *context)
        return dict(json.loads((app_dir / "outputs.json").read_text())[STACK])

    cloudformation, personalize = cli_cloud.client("cloudformation"), cli_cloud.client("personalize")
    lambda_, s3 = cli_cloud.client("lambda"), cli_cloud.client("s3")

    def stack_status() -> str:
        (stack,) = cloudformation.describe_stacks(StackName=STACK)["Stacks"]
        return str(stack["StackStatus"])

    def trackers() -> dict[str, tuple[str, str]]:
        found = {}
        for summary in personalize.list_event_trackers()["eventTrackers"]:
            if not summary["name"].startswith(NAMES):
                continue
            arn = summary["eventTrackerArn"]
            found[summary["name"]] = (
                arn,
                fingerprint(personalize.describe_event_tracker(eventTrackerArn=arn)["eventTracker"]["trackingId"]),
            )
        return found

    def left() -> dict[str, list[str]]:
        """What of the app the shared cloud holds, found by the app's names and its stack's."""

        def named(found: list[str], prefix: str = NAMES) -> list[str]:
            return sorted(name for name in found if name.startswith(prefix))

        return {
            "stacks": named([s["StackName"] for s in cloudformation.describe_stacks()["Stacks"]], STACK),
            "dataset groups": named([g["name"] for g in personalize.list_dataset_groups()["datasetGroups"]]),
            "datasets": named([d["name"] for d in personalize.list_datasets()["datasets"]]),
            "schemas": named([s["name"] for s in personalize.list_schemas()["schemas"]]),
            "trackers": sorted(trackers()),
            "buckets": named([b["Name"] for b in s3.list_buckets()["Buckets"]], STACK.lower()),
            "queues": named(
                [u.rsplit("/", 1)[1] for u in cli_cloud.client("sqs").list_queues().get("QueueUrls", [])], STACK
            ),
            "functions": named([f["FunctionName"] for f in lambda_.list_functions()["Functions"]], STACK),
            "roles": named([r["RoleName"] for r in cli_cloud.client("iam").list_roles()["Roles"]], STACK),
            "log groups": [
                g["logGroupName"]
                for g in cli_cloud.client("logs").describe_log_groups()["logGroups"]
                if STACK in g["logGroupName"]
            ],
        }

    # GIVEN the app created with CreateStack (`cdk deploy --method=direct`)
    outputs = deploy("--method=direct")
    assert stack_status() == "CREATE_COMPLETE"
    (tracker_arn, _) = trackers()[TRACKER_NAME]
    tracking_id = personalize.describe_event_tracker(eventTrackerArn=tracker_arn)["eventTracker"]["trackingId"]

    # WHEN the ingest function is invoked with good events, THEN it sends them
    session = f"session-{uuid.uuid4().hex[:8]}"
    good = [
        {"eventType": "click", "itemId": "item-1", "sentAt": 1_700_000_000},
        {"eventType": "purchase", "itemId": "item-2", "sentAt": 1_700_000_010},
    ]
    answer = lambda_.invoke(
        FunctionName=outputs["FunctionName"],
        Payload=json.dumps({"userId": "user-1", "sessionId": session, "events": good}).encode(),
    )
    assert "FunctionError" not in answer, answer["Payload"].read()
    assert json.loads(answer["Payload"].read()) == {"sent": 2}

    # WHEN it is invoked with an event the schema refuses (no itemId), THEN PutEvents's error is unhandled
    bad = [{"eventType": "click", "sentAt": 1_700_000_020}]
    answer = lambda_.invoke(
        FunctionName=outputs["FunctionName"],
        Payload=json.dumps({"userId": "user-1", "sessionId": session, "events": bad}).encode(),
    )
    assert answer["FunctionError"] == "Unhandled"
    assert "InvalidInputException" in answer["Payload"].read().decode()

    # WHEN the Interactions dataset is exported (PUT) to the bucket, THEN the CSV holds the good events
    bucket = outputs["BucketName"]
    job = personalize.create_dataset_export_job(
        jobName="whole-app-export",
        datasetArn=outputs["DatasetArn"],
        ingestionMode="PUT",
        roleArn=outputs["ExportRoleArn"],
        jobOutput={"s3DataDestination": {"path": f"s3://{bucket}/exports/"}},
    )["datasetExportJobArn"]

    def export_done() -> bool:
        described = personalize.describe_dataset_export_job(datasetExportJobArn=job)["datasetExportJob"]
        assert described["status"] != "CREATE FAILED", described.get("failureReason")
        return bool(described["status"] == "ACTIVE")

    wait_for("the dataset export job", export_done)
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="exports/")["Contents"]]
    rows = [
        row
        for key in keys
        if key.endswith(".csv")
        for row in csv.DictReader(io.StringIO(s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()))
    ]
    assert {(r["USER_ID"], r["ITEM_ID"], r["EVENT_TYPE"], int(r["TIMESTAMP"])) for r in rows} == {
        ("user-1", e["itemId"], e["eventType"], e["sentAt"]) for e in good
    }

    # WHEN the tracker is retained, then its construct removed from the app, THEN the tracker stays
    deploy("-c", "retain=true")
    deploy("-c", "tracker=removed", "-c", f"tracking={tracking_id}")
    assert trackers() == {TRACKER_NAME: (tracker_arn, fingerprint(tracking_id))}
    types = [r["ResourceType"] for r in cloudformation.describe_stack_resources(StackName=STACK)["StackResources"]]
    assert "Custom::PersonalizeEventTracker" not in types

    # WHEN the native type with the same name and group is imported, THEN it is the same tracker
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"Tracker": {"EventTrackerArn": tracker_arn}}))
    native = ("-c", "tracker=native", "-c", f"tracking={tracking_id}")
    cdk("import", "--resource-mapping", str(mapping), "--force", *native)
    assert stack_status() == "IMPORT_COMPLETE"
    resource = cloudformation.describe_stack_resource(StackName=STACK, LogicalResourceId="Tracker")
    assert resource["StackResourceDetail"]["PhysicalResourceId"] == tracker_arn
    outputs = deploy(*native, "-c", "output=true")
    assert fingerprint(outputs["NativeTrackingId"]) == fingerprint(tracking_id)
    assert trackers() == {TRACKER_NAME: (tracker_arn, fingerprint(tracking_id))}

    # WHEN the bucket is emptied and the stack destroyed, THEN nothing of the app is left (the names
    # find every kind of resource it made while it stands)
    before = left()
    assert [kind for kind, found in before.items() if not found] == [], before
    for key in keys:
        s3.delete_object(Bucket=bucket, Key=key)
    # the app as the last deploy synthesized it: the destroy reads that assembly, not a new synthesis
    cdk("destroy", "--force", "--app", "cdk.out")
    with pytest.raises(ClientError, match="does not exist"):
        cloudformation.describe_stacks(StackName=STACK)
    assert {kind: found for kind, found in left().items() if found} == {}
