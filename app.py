#!/usr/bin/env python3
"""Example app: a Personalize dataset group with one event tracker, its trackingId an output."""

from collections.abc import Mapping
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_personalize as personalize

from constructs import Construct
from personalize_event_tracker import EventTracker

STACK_NAME = "PersonalizeEventTrackerDemo"


class ClickstreamStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs: Any) -> None:
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


def build_app(context: Mapping[str, Any] | None = None, outdir: str | None = None) -> cdk.App:
    app = cdk.App(context=dict(context or {}), outdir=outdir)
    ClickstreamStack(app, STACK_NAME)
    return app


if __name__ == "__main__":
    build_app().synth()
