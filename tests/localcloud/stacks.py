"""Stacks deployed, updated and destroyed through the endpoint's CloudFormation, as the CDK CLI
does it: a change set, executed, then DescribeStacks polled (generous timeout, no timing asserted)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from localcloud.endpoint import Endpoint

SETTLED = ("_COMPLETE", "_FAILED")
HANG_GUARD_SECONDS = 120.0  # only a guard against a hang: nothing here measures a duration


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def settled(cfn: Any, stack: str, timeout: float = HANG_GUARD_SECONDS) -> dict[str, Any]:
    """The stack (by name or id) once its operation is over, polled as the CLI polls it."""
    deadline = time.monotonic() + timeout
    while True:
        (found,) = cfn.describe_stacks(StackName=stack)["Stacks"]
        status = found["StackStatus"]
        if status.endswith(SETTLED) and not status.endswith("CLEANUP_IN_PROGRESS"):
            return dict(found)
        assert time.monotonic() < deadline, f"stack still {status}"
        time.sleep(0.05)


def events(cfn: Any, stack: str) -> list[dict[str, Any]]:
    """The stack's events, oldest first."""
    pages = cfn.get_paginator("describe_stack_events").paginate(StackName=stack)
    return list(reversed([event for page in pages for event in page["StackEvents"]]))


def error_of(call: Callable[[], Any]) -> dict[str, Any]:
    """The error a call answers (it must fail)."""
    with pytest.raises(ClientError) as raised:
        call()
    return dict(raised.value.response["Error"])


class Stacks:
    """One endpoint's CloudFormation, through boto3."""

    def __init__(self, endpoint: Endpoint) -> None:
        self.cfn = endpoint.client("cloudformation", attempts=1)

    def change_set(self, stack: str, template: dict[str, Any]) -> dict[str, Any]:
        """A change set of the template (CREATE for a new stack, UPDATE otherwise), described."""
        try:
            self.cfn.describe_stacks(StackName=stack)
            kind = "UPDATE"
        except ClientError:  # "Stack with id ... does not exist"
            kind = "CREATE"
        created = self.cfn.create_change_set(
            StackName=stack,
            ChangeSetName=f"change-{time.monotonic_ns()}",
            ChangeSetType=kind,
            TemplateBody=json.dumps(template),
            Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
        )
        return dict(self.cfn.describe_change_set(ChangeSetName=created["Id"], StackName=created["StackId"]))

    def deploy(self, stack: str, template: dict[str, Any]) -> dict[str, str]:
        """Create or update the stack; its outputs. The stack must end in *_COMPLETE, not rolled back."""
        change_set = self.change_set(stack, template)
        assert change_set["Status"] == "CREATE_COMPLETE", change_set.get("StatusReason")
        self.cfn.execute_change_set(ChangeSetName=change_set["ChangeSetId"], StackName=change_set["StackId"])
        described = self.settled(change_set["StackId"])
        assert described["StackStatus"] in ("CREATE_COMPLETE", "UPDATE_COMPLETE"), self.failures(stack)
        return {output["OutputKey"]: output["OutputValue"] for output in described.get("Outputs", [])}

    def destroy(self, stack: str) -> None:
        (described,) = self.cfn.describe_stacks(StackName=stack)["Stacks"]
        self.cfn.delete_stack(StackName=described["StackId"])
        assert self.settled(described["StackId"])["StackStatus"] == "DELETE_COMPLETE", self.failures(stack)

    def settled(self, stack_id: str, timeout: float = HANG_GUARD_SECONDS) -> dict[str, Any]:
        return settled(self.cfn, stack_id, timeout)

    def failures(self, stack: str) -> list[str]:
        """The reasons of the stack's failed events, for an assertion's message."""
        events = self.cfn.describe_stack_events(StackName=stack)["StackEvents"]
        failed = [event for event in events if "FAILED" in event["ResourceStatus"]]
        return [f"{event['LogicalResourceId']}: {event.get('ResourceStatusReason')}" for event in failed]

    def physical_ids(self, stack: str) -> dict[str, str]:
        resources = self.cfn.describe_stack_resources(StackName=stack)["StackResources"]
        return {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in resources}
