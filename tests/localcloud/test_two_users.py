"""Two users of one local cloud at once: two stacks deployed side by side through the
CloudFormation API, as two CDK CLIs deploy them, both complete, and both are kept."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from localcloud.cloudformation import Settings
from localcloud.endpoint import Endpoint

from .stacks import HANG_GUARD_SECONDS, Stacks, unique

# A custom resource's function that answers once its gate file exists; it says when it has begun.
GATED = """
import json, os, time, urllib.request


def handler(event, context):
    open(os.environ["BEGUN"], "w").close()
    while not os.path.exists(os.environ["GATE"]):
        time.sleep(0.05)
    answer = {
        "Status": "SUCCESS", "PhysicalResourceId": "thing-" + event["LogicalResourceId"],
        "StackId": event["StackId"], "RequestId": event["RequestId"],
        "LogicalResourceId": event["LogicalResourceId"], "Data": {"Value": os.environ["GATE"]},
    }
    request = urllib.request.Request(event["ResponseURL"], data=json.dumps(answer).encode(), method="PUT")
    urllib.request.urlopen(request, timeout=30).read()
"""


def gated_stack(name: str, gate: Path, begun: Path) -> dict[str, Any]:
    """A function, a custom resource it answers for, and a parameter that waits on the resource."""
    return {
        "Resources": {
            "Provider": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "FunctionName": name,
                    "Runtime": "python3.13",
                    "Handler": "index.handler",
                    "Role": "arn:aws:iam::123456789012:role/provider",
                    "Timeout": 300,
                    "Code": {"ZipFile": GATED},
                    "Environment": {"Variables": {"GATE": str(gate), "BEGUN": str(begun)}},
                },
            },
            "Thing": {"Type": "Custom::Thing", "Properties": {"ServiceToken": {"Fn::GetAtt": ["Provider", "Arn"]}}},
            "Param": {
                "Type": "AWS::SSM::Parameter",
                "Properties": {"Type": "String", "Value": {"Fn::GetAtt": ["Thing", "Value"]}},
            },
        }
    }


def wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + HANG_GUARD_SECONDS
    while not condition():
        assert time.monotonic() < deadline, "never happened"
        time.sleep(0.05)


def test_two_stacks_deployed_at_once_both_complete_and_are_both_kept(tmp_path):
    first, second = unique("First"), unique("Second")
    first_gate, first_begun = tmp_path / "first-gate", tmp_path / "first-begun"
    second_gate, second_begun = tmp_path / "second-gate", tmp_path / "second-begun"
    second_gate.touch()  # the second stack's resource answers at once
    state = tmp_path / "state"
    # a read of the waiting stack answers at once, not after `running_stack_read_wait` (5 s)
    with Endpoint(state_dir=state, settings=Settings(running_stack_read_wait=0)) as endpoint:
        alice, bob = Stacks(endpoint), Stacks(endpoint)  # two users, each with clients of their own
        # the first user's deploy starts, and waits on its custom resource...
        change_set = alice.change_set(first, gated_stack(first, first_gate, first_begun))
        alice.cfn.execute_change_set(ChangeSetName=change_set["ChangeSetId"], StackName=change_set["StackId"])
        wait_until(first_begun.exists)

        # ...while the second user's deploys from start to end
        bob.deploy(second, gated_stack(second, second_gate, second_begun))
        (waiting,) = alice.cfn.describe_stacks(StackName=first)["Stacks"]
        assert waiting["StackStatus"] == "CREATE_IN_PROGRESS"

        first_gate.touch()
        assert alice.settled(change_set["StackId"])["StackStatus"] == "CREATE_COMPLETE", alice.failures(first)
        assert bob.settled(second)["StackStatus"] == "CREATE_COMPLETE"
        assert endpoint.client("ssm").get_parameter(Name=bob.physical_ids(second)["Param"])["Parameter"]["Value"] == (
            str(second_gate)
        )

    kept = json.loads((state / "cloudformation" / "stacks.json").read_text())
    assert {name: kept[name]["status"] for name in (first, second)} == {
        first: "CREATE_COMPLETE",
        second: "CREATE_COMPLETE",
    }
