"""A whole Personalize app outside this repository, through the pinned CDK CLI, against
`python -m localcloud serve` with nothing but AWS_ENDPOINT_URL and test keys: a dataset group,
an Interactions schema and dataset, the EventTracker, a bucket, a queue and an ingest function;
created with CreateStack, used (Invoke, PutEvents, an export read back from S3), moved to the
native AWS::Personalize::EventTracker as the README says (RETAIN, remove, `cdk import`), destroyed."""

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

from localcloud import background
from localcloud.cdk_cli import run_cdk
from localcloud.local_env import local_client as client

from .conftest import HANG_GUARD_SECONDS

pytestmark = pytest.mark.slow

STACK = "WholeApp"
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


def test_a_whole_personalize_app_from_create_to_destroy(tmp_path):
    app_dir = tmp_path / "whole-app"
    app_dir.mkdir()
    (app_dir / "app.py").write_text(APP)
    (app_dir / "cdk.json").write_text(json.dumps({"app": f"{sys.executable} app.py"}))
    with background.serving(tmp_path / "state", delays="fast") as cloud:
        # nothing of this process's environment but the PATH (node, python3) and a HOME of its own
        minimal = {"PATH": os.environ["PATH"], "HOME": str(tmp_path / "home")}

        def cdk(*args: str) -> str:
            result = run_cdk(
                list(args),
                cloud.url,
                tmp_path / "home",
                cwd=app_dir,
                inherited=minimal,
                capture_output=True,
                timeout=600,
            )
            output = result.stdout + result.stderr
            assert result.returncode == 0, f"cdk {args[0]} exited {result.returncode}:\n{output}"
            return output

        def deploy(*context: str) -> dict[str, str]:
            cdk("deploy", "--require-approval", "never", "--outputs-file", "outputs.json", *context)
            return dict(json.loads((app_dir / "outputs.json").read_text())[STACK])

        cloudformation, personalize = client("cloudformation", cloud.url), client("personalize", cloud.url)
        lambda_, s3 = client("lambda", cloud.url), client("s3", cloud.url)

        def stack_status() -> str:
            (stack,) = cloudformation.describe_stacks(StackName=STACK)["Stacks"]
            return str(stack["StackStatus"])

        def trackers() -> dict[str, tuple[str, str]]:
            found = {}
            for summary in personalize.list_event_trackers()["eventTrackers"]:
                arn = summary["eventTrackerArn"]
                found[summary["name"]] = (
                    arn,
                    fingerprint(personalize.describe_event_tracker(eventTrackerArn=arn)["eventTracker"]["trackingId"]),
                )
            return found

        # GIVEN the app created with CreateStack (`cdk deploy --method=direct`)
        cdk("bootstrap", "aws://123456789012/us-east-1")
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

        # WHEN the bucket is emptied and the stack destroyed, THEN nothing of the app is left
        for key in keys:
            s3.delete_object(Bucket=bucket, Key=key)
        cdk("destroy", "--force", *native, "-c", "output=true")
        with pytest.raises(ClientError, match="does not exist"):
            cloudformation.describe_stacks(StackName=STACK)
        assert personalize.list_dataset_groups()["datasetGroups"] == []
        assert personalize.list_datasets()["datasets"] == []
        assert personalize.list_schemas()["schemas"] == []
        assert trackers() == {}
        assert [b["Name"] for b in s3.list_buckets()["Buckets"] if b["Name"].startswith(STACK.lower())] == []
        assert client("sqs", cloud.url).list_queues().get("QueueUrls", []) == []
        assert lambda_.list_functions()["Functions"] == []
        roles = client("iam", cloud.url).list_roles()["Roles"]
        assert [r["RoleName"] for r in roles if r["RoleName"].startswith(STACK)] == []
        groups = client("logs", cloud.url).describe_log_groups()["logGroups"]
        assert [g["logGroupName"] for g in groups if STACK in g["logGroupName"]] == []
