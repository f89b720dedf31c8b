#!/usr/bin/env python3
"""A CDK app that uses personalize-event-tracker as an installed package, as any user's app would:
two dataset groups with a tracker each, and an ingest function allowed to send events to both."""

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_personalize as personalize

from constructs import Construct
from personalize_event_tracker import EventTracker

INGEST_CODE = """
import os
import boto3

events = boto3.client("personalize-events")

def handler(event, context):
    events.put_events(trackingId=os.environ[event["tracker"]], sessionId=event["session"],
                      eventList=event["events"])
"""


class ShopStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        trackers = {}
        for name in ("clicks", "purchases"):
            group = personalize.CfnDatasetGroup(self, f"{name.title()}Group", name=f"shop-{name}")
            trackers[name] = EventTracker(
                self, f"{name.title()}Tracker", dataset_group_arn=group.attr_dataset_group_arn
            )
        ingest = lambda_.Function(
            self,
            "Ingest",
            runtime=lambda_.Runtime.PYTHON_3_12,
            handler="index.handler",
            code=lambda_.Code.from_inline(INGEST_CODE),
            environment={f"{name.upper()}_TRACKING_ID": t.tracking_id for name, t in trackers.items()},
        )
        for tracker in trackers.values():
            tracker.grant_put_events(ingest)


app = cdk.App()
ShopStack(app, "Shop")
app.synth()
