"""A local cloud in a process of its own, started as `python -m localcloud up` starts it, that a
test holds at a gate and then kills, as a user's machine or a Ctrl-C would stop it.

The test drives it through its admin API (`/_localcloud/gates`, `faults`, `recovery`) and the
AWS APIs at its URL, as a user's tools would; nothing of it runs in the test's process.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
import urllib.request
from pathlib import Path
from typing import Any

from localcloud import background
from localcloud.cloudformation.assembly import StackArtifact, publish
from localcloud.cloudformation.services import Services
from localcloud.local_env import local_client
from localcloud.statedir import running

from .conftest import Harness

SETTLED = ("_COMPLETE", "_FAILED")


class ServedCloud:
    """`python -m localcloud up` on a state directory, and what a test does to it."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self.url = ""
        self.pid = 0

    def up(self) -> None:
        """Start it (a new port each time), and wait until it answers."""
        cloud = background.start(self.state_dir, port=0, delays="fast")
        self.url, self.pid = cloud.url, cloud.pid

    def client(self, service: str) -> Any:
        return local_client(service, self.url, attempts=1)

    def admin(self, action: str, payload: dict[str, Any] | None = None) -> Any:
        """A call of its admin API: GET without a payload, POST with one."""
        body = json.dumps(payload).encode() if payload is not None else None
        request = urllib.request.Request(
            f"{self.url}/_localcloud/{action}", data=body, method="POST" if body else "GET"
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    def close(self, *gates: str) -> None:
        self.admin("gates", {"close": list(gates)})

    def held_at(self, gate: str, calls: int = 1) -> None:
        """Wait until `calls` calls or steps wait at the gate."""
        Harness.wait(lambda: self.admin("gates")["waiting"].get(gate, 0) >= calls)

    def publish(self, artifact: StackArtifact) -> None:
        """The stack's assets in the bucket its template names, as `cdk deploy` publishes them."""
        publish(artifact, Services(self.url))

    # --- stopping it ---------------------------------------------------------------------------

    def kill(self, signum: int) -> None:
        """Stop it with `signum` and wait until it has stopped; then end what it leaves running.

        After SIGTERM it stops as `serve` does (its operations get a second, then nothing more is
        recorded) and says "Local cloud stopped."; the process may still wait on an operation
        held at a gate, so it is ended as SIGKILL ends it. After SIGKILL its Lambda environments
        live on (they are its children, in its process group): they are ended too, by that group,
        as a later change will fence them.
        """
        log = self.state_dir / background.LOG_FILE
        written = log.stat().st_size if log.exists() else 0
        os.kill(self.pid, signum)
        if signum == signal.SIGTERM:
            Harness.wait(
                lambda: "Local cloud stopped." in log.read_text(errors="replace")[written:] or not self.alive()
            )
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGKILL)  # `up` started it in a session, and so a group, of its own
        Harness.wait(lambda: not self.alive())
        background.forget(self.state_dir)

    def alive(self) -> bool:
        return running(self.pid)

    # --- what the user's tools do ----------------------------------------------------------------

    def stack(self, stack: str) -> dict[str, Any]:
        (found,) = self.client("cloudformation").describe_stacks(StackName=stack)["Stacks"]
        return dict(found)

    def standing(self, stack_id: str) -> str:
        """The stack's status as it stands, answered at once by ListStacks: DescribeStacks holds a
        read of a stack whose operation runs until it ends, up to `running_stack_read_wait` (5 s)."""
        pages = self.client("cloudformation").get_paginator("list_stacks").paginate()
        (status,) = [s["StackStatus"] for page in pages for s in page["StackSummaries"] if s["StackId"] == stack_id]
        return str(status)

    def settled(self, stack: str) -> dict[str, Any]:
        """The stack (by name or id) once no operation runs on it, polled as the CDK CLI polls."""
        found: dict[str, Any] = {}

        def over() -> bool:
            found.update(self.stack(stack))
            status = str(found["StackStatus"])
            return status.endswith(SETTLED) and not status.endswith("CLEANUP_IN_PROGRESS")

        Harness.wait(over)
        return found

    def execute(self, stack: str, template: dict[str, Any]) -> str:
        """A change set of the template executed, as `cdk deploy` makes one (CREATE for a new
        stack, UPDATE otherwise); the stack id. A stack that failed to be created is deleted
        first, as the CDK CLI deletes it."""
        cfn = self.client("cloudformation")
        try:
            status = self.stack(stack)["StackStatus"]
        except cfn.exceptions.ClientError:
            status = ""
        if status in ("ROLLBACK_COMPLETE", "ROLLBACK_FAILED"):
            self.destroy(stack)
            status = ""
        created = cfn.create_change_set(
            StackName=stack,
            ChangeSetName=f"cdk-deploy-change-set-{time.monotonic_ns()}",
            ChangeSetType="UPDATE" if status else "CREATE",
            TemplateBody=json.dumps(template),
            Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
        )
        Harness.wait(
            lambda: (
                cfn.describe_change_set(ChangeSetName=created["Id"])["Status"]
                not in ("CREATE_PENDING", "CREATE_IN_PROGRESS")
            )
        )
        cfn.execute_change_set(ChangeSetName=created["Id"])
        return str(created["StackId"])

    def deploy(self, stack: str, template: dict[str, Any]) -> dict[str, Any]:
        """`cdk deploy`: the change set executed, then the stack once it has settled."""
        return self.settled(self.execute(stack, template))

    def destroy(self, stack: str) -> dict[str, Any]:
        """`cdk destroy`: DeleteStack by the stack's id, then the stack once it has settled."""
        stack_id = self.stack(stack)["StackId"]
        self.client("cloudformation").delete_stack(StackName=stack_id)
        return self.settled(stack_id)

    def events(self, stack: str) -> list[dict[str, Any]]:
        """The stack's events, oldest first."""
        pages = self.client("cloudformation").get_paginator("describe_stack_events").paginate(StackName=stack)
        return list(reversed([event for page in pages for event in page["StackEvents"]]))

    # --- what is left ----------------------------------------------------------------------------

    def outside_stacks(self) -> dict[str, list[str]]:
        """Trackers and dataset groups that no stack holds: what a user would have to delete by hand."""
        cfn = self.client("cloudformation")
        held: set[str] = set()
        for page in cfn.get_paginator("list_stacks").paginate():
            for summary in page["StackSummaries"]:
                if summary["StackStatus"] != "DELETE_COMPLETE":
                    resources = cfn.describe_stack_resources(StackName=summary["StackId"])["StackResources"]
                    held |= {resource.get("PhysicalResourceId", "") for resource in resources}
        personalize = self.client("personalize")
        trackers = [t["eventTrackerArn"] for t in personalize.list_event_trackers()["eventTrackers"]]
        groups = [g["datasetGroupArn"] for g in personalize.list_dataset_groups()["datasetGroups"]]
        return {
            "event trackers": [arn for arn in trackers if arn not in held],
            "dataset groups": [arn for arn in groups if arn not in held],
        }
