#!/usr/bin/env python3
"""Example app: a Personalize dataset group with one event tracker, its trackingId an output."""

import aws_cdk as cdk
from aws_cdk import aws_personalize as personalize
from constructs import Construct

from personalize_event_tracker import EventTracker


class ClickstreamStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs: object) -> None:
        super().__init__(scope, construct_id, **kwargs)
        dataset_group = personalize.CfnDatasetGroup(self, "DatasetGroup", name="clickstream-demo")
        tracker = EventTracker(
            self,
            "Tracker",
            dataset_group_arn=dataset_group.attr_dataset_group_arn,
            event_tracker_name="clickstream",
            tags={"project": "clickstream-demo"},
        )
        # A short, stable output name for the demo and for scripts reading the stack.
        tracker.tracking_id_output.override_logical_id("TrackingId")


app = cdk.App()
ClickstreamStack(app, "PersonalizeEventTrackerDemo")
app.synth()
