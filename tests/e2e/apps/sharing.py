"""Test app for sharing a trackingId across stacks: a producer and a consumer in one assembly.

Context: `path` is "export" (the consumer imports the producer's export, as
`Fn.import_value` does) or "parameter" (the producer publishes an SSM parameter the consumer
reads); `name` is the tracker's name, so that a second synthesis renames (replaces) it.
"""

import aws_cdk as cdk
from aws_cdk import aws_personalize as personalize
from aws_cdk import aws_ssm as ssm

from personalize_event_tracker import EventTracker

PARAMETER = "/e2e/clickstream/tracking-id"
EXPORT = "Producer-Tracker-TrackingId"

app = cdk.App()
path = app.node.try_get_context("path") or "export"
name = app.node.try_get_context("name") or "clicks"

producer = cdk.Stack(app, "Producer")
group = personalize.CfnDatasetGroup(producer, "Group", name="e2e-sharing")
EventTracker(
    producer,
    "Tracker",
    dataset_group_arn=group.attr_dataset_group_arn,
    event_tracker_name=name,
    export_tracking_id=path == "export",
    tracking_id_parameter_name=PARAMETER if path == "parameter" else None,
)

consumer = cdk.Stack(app, "Consumer")
if path == "export":
    tracking_id = cdk.Fn.import_value(EXPORT)
else:
    tracking_id = EventTracker.from_tracking_id_parameter(consumer, "Clickstream", parameter_name=PARAMETER).tracking_id
# what the consumer holds of the tracker: the trackingId its senders would use
ssm.StringParameter(consumer, "Seen", parameter_name="/e2e/consumer/seen", string_value=tracking_id)

app.synth()
