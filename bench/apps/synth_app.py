"""An app of N dataset groups, each with an event tracker and its exported trackingId output, built with one
of three approaches (BENCH_KIND): this construct, the native CfnEventTracker, or AwsCustomResource.

    BENCH_KIND=construct BENCH_TRACKERS=10 python bench/apps/synth_app.py
"""

import os

import aws_cdk as cdk
from aws_cdk import aws_personalize as personalize
from aws_cdk import custom_resources as cr

from personalize_event_tracker import EventTracker

kind = os.environ.get("BENCH_KIND", "construct")
count = int(os.environ.get("BENCH_TRACKERS", "1"))
app = cdk.App()
stack = cdk.Stack(app, "Bench")
for index in range(count):
    group = personalize.CfnDatasetGroup(stack, f"Group{index}", name=f"bench-{index}")
    arn = group.attr_dataset_group_arn
    if kind == "construct":
        EventTracker(stack, f"Tracker{index}", dataset_group_arn=arn, event_tracker_name=f"tracker-{index}")
    elif kind == "native":
        native = personalize.CfnEventTracker(stack, f"Tracker{index}", dataset_group_arn=arn, name=f"tracker-{index}")
        # The same output the construct adds: the trackingId, exported under the same name.
        cdk.CfnOutput(
            stack, f"TrackingId{index}", value=native.attr_tracking_id, export_name=f"Bench-Tracker{index}-TrackingId"
        )
    elif kind == "awscustomresource":
        create = cr.AwsSdkCall(
            service="Personalize",
            action="createEventTracker",
            parameters={"name": f"tracker-{index}", "datasetGroupArn": arn},
            physical_resource_id=cr.PhysicalResourceId.from_response("eventTrackerArn"),
        )
        delete = cr.AwsSdkCall(
            service="Personalize",
            action="deleteEventTracker",
            parameters={"eventTrackerArn": cr.PhysicalResourceIdReference()},
        )
        tracker = cr.AwsCustomResource(
            stack,
            f"Tracker{index}",
            on_create=create,
            on_delete=delete,
            policy=cr.AwsCustomResourcePolicy.from_sdk_calls(resources=cr.AwsCustomResourcePolicy.ANY_RESOURCE),
            install_latest_aws_sdk=False,
        )
        cdk.CfnOutput(stack, f"TrackingId{index}", value=tracker.get_response_field("trackingId"))
    else:
        raise ValueError(f"unknown BENCH_KIND {kind!r}")
app.synth()
