"""A restart concludes the stack operation the last stop cut short, for every kind of operation,
on stacks of native resources (SSM parameters): quick, and no Lambda involved.

The state a stop leaves is made exactly: an endpoint runs the operation up to a gate of its
engine, and while it is held there its state directory is copied, which is what a SIGKILL at
that moment leaves on disk. Then that endpoint finishes and stops, and another starts on the
copy. (tests/e2e/test_restarts.py kills real `python -m localcloud up` processes, custom
resources included.)
"""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from localcloud.endpoint import Endpoint

from .stacks import HANG_GUARD_SECONDS, Stacks, error_of, events, settled, unique

SSM_PARAMETER = "AWS::SSM::Parameter"
STOPPED = "The local cloud stopped during this operation."


def parameter(name: str, value: str = "v", **attributes: Any) -> dict[str, Any]:
    return {"Type": SSM_PARAMETER, "Properties": {"Name": name, "Type": "String", "Value": value}, **attributes}


def stopped_at(
    tmp_path: Path, gate: str, start: Callable[[Endpoint], object], prepare: Callable[[Endpoint], None] | None = None
) -> Path:
    """The state directory as a stop leaves it while `start`'s operation is held at `gate`
    (after `prepare` has run to its end)."""
    live, copy = tmp_path / "live", tmp_path / "stopped"
    with Endpoint(state_dir=live) as endpoint:
        if prepare is not None:
            prepare(endpoint)
        gates = endpoint.cloudformation.engine.gates
        gates.close(gate)
        start(endpoint)
        wait_until(lambda: gates.waiting(gate) > 0)
        shutil.copytree(live, copy)
        gates.open(gate)
        endpoint.cloudformation.wait_idle()
    return copy


def wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + HANG_GUARD_SECONDS  # a guard against a hang, not a measure
    while not condition():
        assert time.monotonic() < deadline, "never happened"
        time.sleep(0.02)


def parameters(endpoint: Endpoint, *names: str) -> list[str]:
    """Which of these SSM parameters exist."""
    found = []
    for name in names:
        try:
            endpoint.client("ssm").get_parameter(Name=name)
            found.append(name)
        except ClientError:
            pass
    return found


def reasons(cfn: Any, stack: str, status: str) -> list[str]:
    return [e.get("ResourceStatusReason", "") for e in events(cfn, stack) if e["ResourceStatus"] == status]


def test_an_update_stopped_between_resources_rolls_back_its_replacement(tmp_path):
    a1, a2, b = (f"/recovery/{unique(n)}" for n in ("a1-", "a2-", "b-"))
    v1 = {"Resources": {"A": parameter(a1)}}
    v2 = {"Resources": {"A": parameter(a2), "B": parameter(b, DependsOn="A")}}  # A replaced, then B

    def start(endpoint: Endpoint) -> None:
        Stacks(endpoint).deploy("Replacing", v1)
        endpoint.client("cloudformation").update_stack(StackName="Replacing", TemplateBody=json.dumps(v2))

    state = stopped_at(tmp_path, "create:B", start)

    with Endpoint(state_dir=state) as restarted:
        cfn = restarted.client("cloudformation", attempts=1)
        assert settled(cfn, "Replacing")["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
        assert reasons(cfn, "Replacing", "UPDATE_ROLLBACK_IN_PROGRESS") == [STOPPED]
        assert Stacks(restarted).physical_ids("Replacing") == {"A": a1}
        assert parameters(restarted, a1, a2, b) == [a1]  # the replacement made before the stop is gone

        Stacks(restarted).deploy("Replacing", v2)
        assert parameters(restarted, a1, a2, b) == [a2, b]


def test_an_update_stopped_in_its_cleanup_deletes_what_it_removed(tmp_path):
    a, b = f"/recovery/{unique('a-')}", f"/recovery/{unique('b-')}"

    def start(endpoint: Endpoint) -> None:
        Stacks(endpoint).deploy("Cleaning", {"Resources": {"A": parameter(a), "B": parameter(b)}})
        template = json.dumps({"Resources": {"B": parameter(b)}})
        endpoint.client("cloudformation").update_stack(StackName="Cleaning", TemplateBody=template)

    state = stopped_at(tmp_path, "delete:A", start)

    with Endpoint(state_dir=state) as restarted:
        cfn = restarted.client("cloudformation", attempts=1)
        assert settled(cfn, "Cleaning")["StackStatus"] == "UPDATE_COMPLETE"
        assert parameters(restarted, a, b) == [b]
        assert Stacks(restarted).physical_ids("Cleaning") == {"B": b}


@pytest.mark.parametrize(
    ("options", "concluded"),
    [({"DisableRollback": True}, "CREATE_FAILED"), ({"OnFailure": "DELETE"}, "DELETE_COMPLETE")],
)
def test_a_create_stopped_between_resources_ends_as_its_on_failure_says(tmp_path, options, concluded):
    a, b = f"/recovery/{unique('a-')}", f"/recovery/{unique('b-')}"
    template = json.dumps({"Resources": {"A": parameter(a), "B": parameter(b, DependsOn="A")}})
    stack_ids: list[str] = []

    def start(endpoint: Endpoint) -> None:
        created = endpoint.client("cloudformation").create_stack(StackName="Failing", TemplateBody=template, **options)
        stack_ids.append(created["StackId"])

    state = stopped_at(tmp_path, "create:B", start)

    with Endpoint(state_dir=state) as restarted:
        cfn = restarted.client("cloudformation", attempts=1)
        assert settled(cfn, stack_ids[0])["StackStatus"] == concluded
        if concluded == "CREATE_FAILED":  # DisableRollback: what it made stays, in the stack
            assert reasons(cfn, "Failing", "CREATE_FAILED") == [STOPPED]
            assert parameters(restarted, a, b) == [a]
            Stacks(restarted).destroy("Failing")
        else:  # OnFailure DELETE: the stack went with what it made
            assert "does not exist" in error_of(lambda: cfn.describe_stacks(StackName="Failing"))["Message"]
        assert parameters(restarted, a, b) == []


def test_an_import_stopped_before_it_ran_is_rolled_back_and_can_run_again(tmp_path):
    own, outside = f"/recovery/{unique('own-')}", f"/recovery/{unique('outside-')}"
    template = {"Resources": {"Own": parameter(own)}}
    adopting = {"Resources": {**template["Resources"], "Outside": parameter(outside, DeletionPolicy="Retain")}}

    def import_outside(endpoint: Endpoint) -> str:
        cfn = endpoint.client("cloudformation", attempts=1)
        created = cfn.create_change_set(
            StackName="Adopting",
            ChangeSetName=unique("import-"),
            ChangeSetType="IMPORT",
            TemplateBody=json.dumps(adopting),
            ResourcesToImport=[
                {
                    "ResourceType": SSM_PARAMETER,
                    "LogicalResourceId": "Outside",
                    "ResourceIdentifier": {"Name": outside},
                }
            ],
        )
        cfn.execute_change_set(ChangeSetName=created["Id"])
        return str(created["StackId"])

    def prepare(endpoint: Endpoint) -> None:
        Stacks(endpoint).deploy("Adopting", template)
        endpoint.client("ssm").put_parameter(Name=outside, Value="made by hand", Type="String")

    state = stopped_at(tmp_path, "operation:Adopting", import_outside, prepare)

    with Endpoint(state_dir=state) as restarted:
        cfn = restarted.client("cloudformation", attempts=1)
        assert settled(cfn, "Adopting")["StackStatus"] == "IMPORT_ROLLBACK_COMPLETE"
        assert reasons(cfn, "Adopting", "IMPORT_ROLLBACK_IN_PROGRESS") == [STOPPED]
        assert Stacks(restarted).physical_ids("Adopting") == {"Own": own}
        assert parameters(restarted, own, outside) == [own, outside]

        assert settled(cfn, import_outside(restarted))["StackStatus"] == "IMPORT_COMPLETE"
        assert Stacks(restarted).physical_ids("Adopting") == {"Own": own, "Outside": outside}


# A provider that makes an SSM parameter named by its properties, and on Delete removes it whatever
# the physical id (as the construct finds its tracker by tags); its Create makes it, then hangs.
# Having been answered, it says so with a second parameter (`made_marker`): a write is journaled
# before its answer, but another client may read it a moment before, and a copy of the state
# taken then would not hold it.
HANGING_PROVIDER = """
import boto3, json, time, urllib.request

ssm = boto3.client("ssm")


def handler(event, context):
    name = event["ResourceProperties"]["Name"]
    if event["RequestType"] == "Create":
        ssm.put_parameter(Name=name, Value="made", Type="String", Overwrite=True)
        ssm.put_parameter(Name=name + "-answered", Value="made", Type="String", Overwrite=True)
        time.sleep(900)  # the stop comes while it waits
    else:
        try:
            ssm.delete_parameter(Name=name)
        except ssm.exceptions.ParameterNotFound:
            pass
    answer = {
        "Status": "SUCCESS", "PhysicalResourceId": event.get("PhysicalResourceId", name),
        "StackId": event["StackId"], "RequestId": event["RequestId"], "LogicalResourceId": event["LogicalResourceId"],
    }
    request = urllib.request.Request(event["ResponseURL"], data=json.dumps(answer).encode(), method="PUT")
    urllib.request.urlopen(request, timeout=30).read()
"""


def made_marker(name: str) -> str:
    """The parameter the hanging provider makes once the Create's own write was answered."""
    return f"{name}-answered"


def hanging_custom_resource(name: str) -> dict[str, Any]:
    """A template whose custom resource makes the parameter `name`, then hangs in its Create."""
    return {
        "Resources": {
            "Provider": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "Runtime": "python3.13",
                    "Handler": "index.handler",
                    "Role": "arn:aws:iam::123456789012:role/provider",
                    "Timeout": 900,  # Lambda's longest: a hang outlasts any guard of the tests
                    "Code": {"ZipFile": HANGING_PROVIDER},
                },
            },
            "Thing": {
                "Type": "Custom::Thing",
                "Properties": {"ServiceToken": {"Fn::GetAtt": ["Provider", "Arn"]}, "Name": name},
            },
        }
    }


def test_a_local_cloud_stopped_while_a_custom_resource_hangs_leaves_no_thread_waiting_for_its_answer(tmp_path):
    # GIVEN a stack whose custom resource's Create hangs
    before = set(threading.enumerate())
    name = f"/recovery/{unique('waiting-')}"
    with Endpoint(state_dir=tmp_path) as endpoint:
        endpoint.client("cloudformation").create_stack(
            StackName="Waiting", TemplateBody=json.dumps(hanging_custom_resource(name))
        )
        wait_until(lambda: parameters(endpoint, made_marker(name)) == [made_marker(name)])

    # WHEN the local cloud stops
    # THEN the operation's threads end, rather than wait out the ServiceTimeout (an hour): a process
    # that uses the local cloud (a test worker) joins them as it exits
    waiting = [thread for thread in threading.enumerate() if thread not in before and "ThreadPool" in thread.name]
    for thread in waiting:
        thread.join(HANG_GUARD_SECONDS)
    assert [thread.name for thread in waiting if thread.is_alive()] == []


def test_a_stack_an_older_local_cloud_left_rollback_failed_is_destroyed_with_nothing_orphaned(tmp_path):
    # GIVEN what an older local cloud left after a kill during a custom resource's Create: the stack
    # ROLLBACK_FAILED, the resource's last event CREATE_IN_PROGRESS, no physical id, what it made there
    name = f"/recovery/{unique('orphan-')}"
    template = hanging_custom_resource(name)
    live, stopped = tmp_path / "live", tmp_path / "stopped"
    with Endpoint(state_dir=live) as endpoint:
        endpoint.client("cloudformation").create_stack(StackName="Older", TemplateBody=json.dumps(template))
        wait_until(lambda: parameters(endpoint, made_marker(name)) == [made_marker(name)])
        # what a kill leaves on disk (files being written aside are left out, as a restart removes them)
        shutil.copytree(live, stopped, ignore=shutil.ignore_patterns(".partial-*"))
    stacks_file = stopped / "cloudformation" / "stacks.json"
    stacks = json.loads(stacks_file.read_text())
    stacks["Older"]["status"] = "ROLLBACK_FAILED"
    stacks["Older"].pop("operation", None)  # an older local cloud kept no operation to conclude
    stacks_file.write_text(json.dumps(stacks))

    with Endpoint(state_dir=stopped) as restarted:
        assert parameters(restarted, name) == [name]  # what the Create made
        before = settled(restarted.client("cloudformation"), "Older")
        assert before["StackStatus"] == "ROLLBACK_FAILED"

        # WHEN the user destroys it
        Stacks(restarted).destroy("Older")

        # THEN the custom resource got its Delete (with the id CloudFormation invents), so nothing is left
        assert parameters(restarted, name) == []
        cfn = restarted.client("cloudformation", attempts=1)
        assert reasons(cfn, before["StackId"], "CREATE_FAILED") == [
            "Resource creation cancelled: the local cloud stopped during this operation"
        ]
