#!/usr/bin/env python3
"""Example app: an ingest path into Amazon Personalize, around one event tracker.

- a dataset group with an Interactions dataset (its Avro schema: USER_ID, ITEM_ID, TIMESTAMP,
  EVENT_TYPE) and one event tracker, its trackingId an output;
- an ingest function (Python, inline code) that sends the batch of events it is invoked with to
  that tracker with PutEvents;
- a bucket that dataset export jobs write to, emptied when the stack is destroyed, and the role
  Personalize uses to write there.

Its outputs (TrackingId, IngestFunctionName, InteractionsDatasetArn, ExportBucketName,
ExportRoleArn) are what `make demo` reads to send events and export them back.
"""

import json
from collections.abc import Mapping
from typing import Any, cast

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_personalize as personalize
from aws_cdk import aws_s3 as s3

from constructs import Construct
from personalize_event_tracker import EventTracker

STACK_NAME = "PersonalizeEventTrackerDemo"
# Where dataset export jobs may write in the export bucket: the role and the bucket policy allow
# this prefix only.
EXPORT_PREFIX = "exports/"
PERSONALIZE = iam.ServicePrincipal("personalize.amazonaws.com")

# Personalize's Interactions schema, in Avro; USER_ID, ITEM_ID and TIMESTAMP are required.
INTERACTIONS_SCHEMA = {
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

# The ingest function, inline: boto3 is all it needs, and Lambda's Python runtime has it.
INGEST_CODE = '''\
"""Sends a batch of events to the event tracker whose trackingId is in TRACKING_ID.

Invoked with {"userId": ..., "sessionId": ..., "events": [{"eventType", "itemId", "sentAt"}, ...]};
sentAt is epoch seconds or an ISO 8601 time. Answers {"sent": <number of events>}.
"""

import os

import boto3

MAX_EVENTS_PER_CALL = 10  # PutEvents takes 1 to 10 events
personalize_events = boto3.client("personalize-events")


def handler(event, context):
    batch = [{"eventType": e["eventType"], "itemId": e["itemId"], "sentAt": e["sentAt"]} for e in event["events"]]
    for start in range(0, len(batch), MAX_EVENTS_PER_CALL):
        personalize_events.put_events(
            trackingId=os.environ["TRACKING_ID"],
            userId=event["userId"],
            sessionId=event["sessionId"],
            eventList=batch[start : start + MAX_EVENTS_PER_CALL],
        )
    return {"sent": len(batch)}
'''

# cdk-nag's AwsSolutions findings this app accepts, each where it arises, with the reason.
PUT_EVENTS_WILDCARD_REASON = (
    "personalize:PutEvents has no resource type in IAM: the trackingId the function holds, not the "
    "policy, selects the tracker, so Resource * is the only possible resource."
)
EXPORT_OBJECTS_WILDCARD_REASON = (
    "Personalize names the files a dataset export job writes (<path>/<jobName>/part-NNNNN.csv): "
    "the role may put objects under the export prefix of this one bucket only."
)
RUNTIME_REASON = (
    "Python 3.12 is the newest runtime that aws-cdk-lib 2.110.0, the oldest release the library "
    "supports and the app is synthesized with, names; a supported runtime until 2028."
)
ACCESS_LOGS_REASON = (
    "The bucket holds dataset exports only, copies of data Personalize keeps that an export job "
    "writes again on demand; access logs would need a second bucket, itself unlogged."
)


def acknowledge(scope: Construct, findings: Mapping[str, str]) -> None:
    """Acknowledge cdk-nag findings (rule id -> reason) on `scope` through aws-cdk-lib's policy
    validation; releases before it have nothing to acknowledge."""
    try:
        from aws_cdk import Acknowledgment, Validations
    except ImportError:  # pragma: no cover - aws-cdk-lib releases without policy acknowledgments
        return
    Validations.of(scope).acknowledge(
        *(Acknowledgment(id=f"AwsSolutions::{rule}", reason=reason) for rule, reason in findings.items())
    )


class ClickstreamStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        dataset_group = personalize.CfnDatasetGroup(self, "DatasetGroup", name="clickstream-demo")
        schema = personalize.CfnSchema(
            self, "InteractionsSchema", name="clickstream-demo-interactions", schema=json.dumps(INTERACTIONS_SCHEMA)
        )
        dataset = personalize.CfnDataset(
            self,
            "InteractionsDataset",
            dataset_group_arn=dataset_group.attr_dataset_group_arn,
            dataset_type="Interactions",
            name="clickstream-demo-interactions",
            schema_arn=schema.attr_schema_arn,
        )
        tracker = EventTracker(
            self,
            "Tracker",
            dataset_group_arn=dataset_group.attr_dataset_group_arn,
            event_tracker_name="clickstream",
            tags={"project": "clickstream-demo"},
        )
        # A short, stable output name for the demo and for scripts reading the stack.
        tracker.tracking_id_output.override_logical_id("TrackingId")
        ingest = self._ingest_function(tracker)
        bucket, export_role = self._exports()

        outputs = {
            "IngestFunctionName": (ingest.function_name, "Invoke it with {userId, sessionId, events}"),
            "InteractionsDatasetArn": (dataset.attr_dataset_arn, "The dataset the tracker's events are recorded in"),
            "ExportBucketName": (bucket.bucket_name, f"Dataset export jobs write under {EXPORT_PREFIX}"),
            "ExportRoleArn": (export_role.role_arn, "The roleArn of dataset export jobs"),
        }
        # Top-level outputs: their logical ids are these names, stable for the demo and scripts.
        for name, (value, description) in outputs.items():
            cdk.CfnOutput(self, name, value=value, description=description)

    def _ingest_function(self, tracker: EventTracker) -> lambda_.Function:
        """The function, its own log group and a role that may write there and send events, no more."""
        log_group = logs.LogGroup(
            self, "IngestFunctionLogs", retention=logs.RetentionDays.ONE_MONTH, removal_policy=cdk.RemovalPolicy.DESTROY
        )
        # Its own role rather than the default one: that would carry the AWS managed
        # AWSLambdaBasicExecutionRole, which may write to every log group of the account.
        role = iam.Role(
            self,
            "IngestFunctionRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Sends events to the clickstream event tracker",
        )
        log_group.grant_write(role)
        function = lambda_.Function(
            self,
            "IngestFunction",
            runtime=lambda_.Runtime.PYTHON_3_12,
            architecture=lambda_.Architecture.ARM_64,
            handler="index.handler",
            code=lambda_.Code.from_inline(INGEST_CODE),
            description="Sends batches of clickstream events to Amazon Personalize (PutEvents)",
            environment={"TRACKING_ID": tracker.tracking_id},
            log_group=log_group,
            role=role,
            timeout=cdk.Duration.seconds(10),
        )
        tracker.grant_put_events(function)
        acknowledge(role, {"AwsSolutions-IAM5[Resource::*]": PUT_EVENTS_WILDCARD_REASON})
        acknowledge(function, {"AwsSolutions-L1": RUNTIME_REASON})
        return function

    def _exports(self) -> tuple[s3.Bucket, iam.Role]:
        """The bucket dataset export jobs write to, and the role they write with.

        Personalize needs both (developer guide, "Dataset export job permissions requirements"):
        its service role may put objects and list the bucket, and the bucket's policy lets the
        Personalize principal do the same.
        """
        bucket = s3.Bucket(
            self,
            "ExportBucket",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            # Destroyed with the stack, emptied first by aws-cdk-lib's auto-delete custom resource
            # (a Node.js function): exports are copies that an export job writes again on demand.
            removal_policy=cdk.RemovalPolicy.DESTROY,
            auto_delete_objects=True,
        )
        acknowledge(bucket, {"AwsSolutions-S1": ACCESS_LOGS_REASON})
        exports = bucket.arn_for_objects(f"{EXPORT_PREFIX}*")
        role = iam.Role(
            self,
            "ExportRole",
            assumed_by=PERSONALIZE,
            description="Lets Amazon Personalize's dataset export jobs write to the export bucket",
        )
        role.add_to_policy(iam.PolicyStatement(actions=["s3:PutObject"], resources=[exports]))
        role.add_to_policy(iam.PolicyStatement(actions=["s3:ListBucket"], resources=[bucket.bucket_arn]))
        # cdk-nag names the wildcard as the template writes it: the bucket by its logical id
        bucket_id = self.get_logical_id(cast(cdk.CfnElement, bucket.node.default_child))
        wildcard = f"AwsSolutions-IAM5[Resource::<{bucket_id}.Arn>/{EXPORT_PREFIX}*]"
        acknowledge(role, {wildcard: EXPORT_OBJECTS_WILDCARD_REASON})
        bucket.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[PERSONALIZE],
                actions=["s3:PutObject", "s3:ListBucket"],
                resources=[bucket.bucket_arn, exports],
            )
        )
        return bucket, role


def build_app(context: Mapping[str, Any] | None = None, outdir: str | None = None) -> cdk.App:
    app = cdk.App(context=dict(context or {}), outdir=outdir)
    ClickstreamStack(app, STACK_NAME)
    return app


if __name__ == "__main__":
    build_app().synth()
