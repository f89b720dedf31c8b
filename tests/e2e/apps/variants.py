"""Test app for the end-to-end suite: one stack, "E2E", shaped by the `variant` context value.

Synthesized by the real CDK CLI (`cdk synth -c variant=...`); each variant is what a user's
next deployment of the same stack could look like.
"""

import aws_cdk as cdk
from aws_cdk import aws_personalize as personalize

from personalize_event_tracker import EventTracker

EXISTING = "arn:aws:personalize:us-east-1:123456789012:dataset-group/{}"

app = cdk.App()
variant = app.node.try_get_context("variant") or "base"
# "<variant>-retained": the same, its tracker with RemovalPolicy RETAIN
retained = variant.endswith("-retained")
variant = variant.removesuffix("-retained")
removal_policy = cdk.RemovalPolicy.RETAIN if retained else None
stack = cdk.Stack(app, "E2E")


def group(construct_id: str, name: str) -> str:
    return personalize.CfnDatasetGroup(stack, construct_id, name=name).attr_dataset_group_arn


if variant in ("base", "renamed", "retagged"):
    EventTracker(
        stack,
        "Tracker",
        dataset_group_arn=group("GroupA", "e2e-a"),
        event_tracker_name="clicks-v2" if variant == "renamed" else "clicks",
        tags={"team": "search", "env": "prod"} if variant == "retagged" else {"team": "growth"},
        removal_policy=removal_policy,
    )
elif variant == "regrouped":
    group("GroupA", "e2e-a")
    EventTracker(
        stack,
        "Tracker",
        dataset_group_arn=group("GroupB", "e2e-b"),
        event_tracker_name="clicks",
        tags={"team": "growth"},
        removal_policy=removal_policy,
    )
elif variant in ("ten", "fifty"):
    for index in range(10 if variant == "ten" else 50):
        EventTracker(stack, f"Tracker{index}", dataset_group_arn=group(f"Group{index}", f"e2e-{index}"))
elif variant == "existing":
    # a dataset group made outside the stack, which each test prepares in the emulator
    EventTracker(stack, "Tracker", dataset_group_arn=EXISTING.format("existing"), event_tracker_name="clicks")
elif variant == "two-existing":
    EventTracker(stack, "Slow", dataset_group_arn=EXISTING.format("existing-a"), event_tracker_name="slow")
    EventTracker(stack, "Blocked", dataset_group_arn=EXISTING.format("existing-b"), event_tracker_name="blocked")
elif variant == "malformed":
    # a token hides the bad name from synth-time validation: the handler must catch it
    EventTracker(
        stack,
        "Tracker",
        dataset_group_arn=group("GroupA", "e2e-a"),
        event_tracker_name=cdk.Fn.join("", ["bad", " name"]),
    )
else:
    raise ValueError(f"unknown variant {variant!r}")

app.synth()
