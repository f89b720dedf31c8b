"""Templates the quality gates look at: the example app and a stack with three trackers."""

from collections.abc import Callable
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_personalize as personalize

from app import STACK_NAME, build_app
from personalize_event_tracker import EventTracker

AppBuilder = Callable[[Path], "tuple[cdk.App, list[str]]"]


def example_app(outdir: Path) -> "tuple[cdk.App, list[str]]":
    return build_app(context={"aws:cdk:bundling-stacks": []}, outdir=str(outdir)), [STACK_NAME]


def three_trackers(outdir: Path) -> "tuple[cdk.App, list[str]]":
    app = cdk.App(context={"aws:cdk:bundling-stacks": []}, outdir=str(outdir))
    stack = cdk.Stack(app, "ThreeTrackers")
    for index in range(3):
        group = personalize.CfnDatasetGroup(stack, f"Group{index}", name=f"group-{index}")
        EventTracker(stack, f"Tracker{index}", dataset_group_arn=group.attr_dataset_group_arn)
    return app, ["ThreeTrackers"]


@pytest.fixture(params=[example_app, three_trackers], ids=["example-app", "three-trackers"])
def app_under_review(request: pytest.FixtureRequest) -> AppBuilder:
    builder: AppBuilder = request.param
    return builder
