"""Builders shared by the construct tests."""

from collections.abc import Mapping
from typing import Any

import aws_cdk as cdk
from aws_cdk.assertions import Template

DATASET_GROUP_ARN = "arn:aws:personalize:us-east-1:123456789012:dataset-group/clicks"
OTHER_DATASET_GROUP_ARN = "arn:aws:personalize:us-east-1:123456789012:dataset-group/views"


def new_stack(name: str = "TestStack") -> cdk.Stack:
    """A fresh stack in a fresh app, bundling skipped: these tests are about the template."""
    app = cdk.App(context={"aws:cdk:bundling-stacks": []})
    return cdk.Stack(app, name)


def template_of(stack: cdk.Stack) -> Template:
    return Template.from_stack(stack)


def only(resources: Mapping[str, Any]) -> Any:
    assert len(resources) == 1, resources
    return next(iter(resources.values()))
