"""Apps the quality gates look at: the example app, a stack with three trackers, a stack bound to
an account and region, and an app with stacks in two regions."""

from collections.abc import Callable
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_personalize as personalize

from app import STACK_NAME, build_app
from personalize_event_tracker import EventTracker

AppBuilder = Callable[[Path], "tuple[cdk.App, list[str]]"]
ACCOUNT = "123456789012"


def example_app(outdir: Path) -> "tuple[cdk.App, list[str]]":
    return build_app(context={"aws:cdk:bundling-stacks": []}, outdir=str(outdir)), [STACK_NAME]


def _trackers(stack: cdk.Stack, count: int) -> None:
    for index in range(count):
        group = personalize.CfnDatasetGroup(stack, f"Group{index}", name=f"group-{index}")
        EventTracker(stack, f"Tracker{index}", dataset_group_arn=group.attr_dataset_group_arn)


def three_trackers(outdir: Path) -> "tuple[cdk.App, list[str]]":
    app = cdk.App(context={"aws:cdk:bundling-stacks": []}, outdir=str(outdir))
    _trackers(cdk.Stack(app, "ThreeTrackers"), 3)
    return app, ["ThreeTrackers"]


def bound_stack(outdir: Path) -> "tuple[cdk.App, list[str]]":
    """The usual production setup: a stack bound to an account and a region."""
    app = cdk.App(context={"aws:cdk:bundling-stacks": []}, outdir=str(outdir))
    _trackers(cdk.Stack(app, "Bound", env=cdk.Environment(account=ACCOUNT, region="us-east-1")), 2)
    return app, ["Bound"]


def two_regions(outdir: Path) -> "tuple[cdk.App, list[str]]":
    app = cdk.App(context={"aws:cdk:bundling-stacks": []}, outdir=str(outdir))
    for name, region in (("Virginia", "us-east-1"), ("Ireland", "eu-west-1")):
        _trackers(cdk.Stack(app, name, env=cdk.Environment(account=ACCOUNT, region=region)), 1)
    return app, ["Virginia", "Ireland"]


@pytest.fixture(
    params=[example_app, three_trackers, bound_stack, two_regions],
    ids=["example-app", "three-trackers", "bound-stack", "two-regions"],
)
def app_under_review(request: pytest.FixtureRequest) -> AppBuilder:
    builder: AppBuilder = request.param
    return builder
