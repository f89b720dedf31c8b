"""Test app for the end-to-end suite: every variant of one stack, "E2E", in one assembly.

Each variant is what a user's next deployment of the same stack could look like. Its stack id
is `E2E-<variant>` and its stack name E2E, so the local cloud deploys each over the last, and
one CLI synthesis serves the whole suite.

A journey on a local cloud that other journeys share names its stack and resources apart, by
context: `stack-name` (default E2E), `name-prefix` (before every name the app gives a dataset
group or a tracker, the dataset groups made outside the stack included; default none) and
`variants` (a comma-separated subset to build; default all).
"""

import aws_cdk as cdk
from aws_cdk import aws_personalize as personalize

from personalize_event_tracker import EventTracker

EXISTING = "arn:aws:personalize:us-east-1:123456789012:dataset-group/{}"
VARIANTS = [
    "base",
    "renamed",
    "retagged",
    "regrouped",
    "ten",
    "fifty",
    "existing",
    "two-existing",
    "malformed",
    "base-retained",
    "renamed-retained",
    "regrouped-retained",
    "renamed-tagged",
    "moved-to-existing",
    "pair",
]


def build(app: cdk.App, variant: str) -> None:
    stack = cdk.Stack(app, f"E2E-{variant}", stack_name=app.node.try_get_context("stack-name") or "E2E")
    prefix = app.node.try_get_context("name-prefix") or ""
    # "<variant>-retained": the same, its tracker with RemovalPolicy RETAIN
    retained = variant.endswith("-retained")
    shape = variant.removesuffix("-retained")
    removal_policy = cdk.RemovalPolicy.RETAIN if retained else None

    def group(construct_id: str, name: str) -> str:
        return personalize.CfnDatasetGroup(stack, construct_id, name=prefix + name).attr_dataset_group_arn

    def existing(name: str) -> str:
        return EXISTING.format(prefix + name)

    def tracker_name(name: str) -> str:
        return prefix + name

    if shape == "renamed-tagged":
        # the rename, plus a tag for every resource of the stack from Tags.of: an in-place update
        build_tracker(stack, group("GroupA", "e2e-a"), tracker_name("clicks-v2"))
        cdk.Tags.of(stack).add("cost-center", "42")
    elif shape == "moved-to-existing":
        # the renamed tracker moved to a dataset group made outside the stack (each test prepares it)
        group("GroupA", "e2e-a")
        build_tracker(stack, existing("held-elsewhere"), tracker_name("clicks-v2"))
    elif shape in ("base", "renamed", "retagged"):
        EventTracker(
            stack,
            "Tracker",
            dataset_group_arn=group("GroupA", "e2e-a"),
            event_tracker_name=tracker_name("clicks-v2" if shape == "renamed" else "clicks"),
            tags={"team": "search", "env": "prod"} if shape == "retagged" else {"team": "growth"},
            removal_policy=removal_policy,
        )
    elif shape == "regrouped":
        group("GroupA", "e2e-a")
        EventTracker(
            stack,
            "Tracker",
            dataset_group_arn=group("GroupB", "e2e-b"),
            event_tracker_name=tracker_name("clicks"),
            tags={"team": "growth"},
            removal_policy=removal_policy,
        )
    elif shape == "pair":
        # what examples/consumer_app holds: two dataset groups, a tracker each
        for name in ("Clicks", "Purchases"):
            EventTracker(stack, f"{name}Tracker", dataset_group_arn=group(f"{name}Group", f"e2e-{name.lower()}"))
    elif shape in ("ten", "fifty"):
        for index in range(10 if shape == "ten" else 50):
            EventTracker(stack, f"Tracker{index}", dataset_group_arn=group(f"Group{index}", f"e2e-{index}"))
    elif shape == "existing":
        # a dataset group made outside the stack, which each test prepares in the emulator
        EventTracker(
            stack, "Tracker", dataset_group_arn=existing("existing"), event_tracker_name=tracker_name("clicks")
        )
    elif shape == "two-existing":
        EventTracker(stack, "Slow", dataset_group_arn=existing("existing-a"), event_tracker_name=tracker_name("slow"))
        EventTracker(
            stack, "Blocked", dataset_group_arn=existing("existing-b"), event_tracker_name=tracker_name("blocked")
        )
    elif shape == "malformed":
        # a token hides the bad name from synth-time validation: the handler must catch it
        EventTracker(
            stack,
            "Tracker",
            dataset_group_arn=group("GroupA", "e2e-a"),
            event_tracker_name=cdk.Fn.join("", ["bad", " name"]),
        )
    else:
        raise ValueError(f"unknown variant {variant!r}")


def build_tracker(stack: cdk.Stack, dataset_group_arn: str, name: str) -> None:
    EventTracker(
        stack, "Tracker", dataset_group_arn=dataset_group_arn, event_tracker_name=name, tags={"team": "growth"}
    )


app = cdk.App()
chosen = app.node.try_get_context("variants")
for variant in chosen.split(",") if chosen else VARIANTS:
    build(app, variant)
app.synth()
