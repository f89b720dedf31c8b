"""The admin API's gates, clock and recovery, over real HTTP, as a test of a served process uses them."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from localcloud.cloudformation import Settings
from localcloud.endpoint import Endpoint

from .stacks import HANG_GUARD_SECONDS, settled, unique


@pytest.fixture(scope="module")
def endpoint() -> Iterator[Endpoint]:
    # A read of a running stack answers at once: a gated step's stack is read while it stands,
    # and the read would otherwise be held for `running_stack_read_wait` (5 s) first.
    with Endpoint(settings=Settings(running_stack_read_wait=0)) as running:
        yield running


def admin(endpoint: Endpoint, action: str, payload: dict[str, Any] | None = None) -> Any:
    body = json.dumps(payload).encode() if payload is not None else None
    url = f"{endpoint.url}/_localcloud/{action}"
    request = urllib.request.Request(url, data=body, method="POST" if body else "GET")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + HANG_GUARD_SECONDS  # a guard against a hang, not a measure
    while not condition():
        assert time.monotonic() < deadline, "never happened"
        time.sleep(0.02)


def test_a_personalize_call_waits_at_its_gate_until_it_is_opened(endpoint):
    gate = "personalize:ListDatasetGroups"
    assert admin(endpoint, "gates", {"close": [gate]}) == {"closed": [gate], "waiting": {}}
    answered: list[Any] = []
    call = threading.Thread(target=lambda: answered.append(endpoint.client("personalize").list_dataset_groups()))
    call.start()
    wait_until(lambda: admin(endpoint, "gates")["waiting"] == {gate: 1})
    assert answered == []

    assert admin(endpoint, "gates", {"open": [gate]})["closed"] == []
    call.join(HANG_GUARD_SECONDS)
    assert answered[0]["datasetGroups"] == []


def test_a_stack_step_waits_at_its_gate_until_it_is_opened(endpoint):
    cfn = endpoint.client("cloudformation", attempts=1)
    stack = unique("Gated")
    template = {"Resources": {"P": {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", "Value": "v"}}}}
    admin(endpoint, "gates", {"close": ["cloudformation:create:P"]})
    cfn.create_stack(StackName=stack, TemplateBody=json.dumps(template))
    wait_until(lambda: admin(endpoint, "gates")["waiting"] == {"cloudformation:create:P": 1})
    assert cfn.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"] == "CREATE_IN_PROGRESS"
    assert cfn.describe_stack_resources(StackName=stack)["StackResources"] == []  # P has not started

    admin(endpoint, "gates", {"open_all": True})
    assert settled(cfn, stack)["StackStatus"] == "CREATE_COMPLETE"


@pytest.mark.parametrize("name", ["CreateEventTracker", "lambda:Invoke", "cloudformation:"])
def test_a_gate_is_named_by_whose_it_is(endpoint, name):
    with pytest.raises(urllib.error.HTTPError) as refused:
        admin(endpoint, "gates", {"close": [name]})
    assert refused.value.code == 400
    assert "personalize:<Operation> or cloudformation:<step>" in json.loads(refused.value.read())["message"]


def test_the_clock_pauses_advances_and_resumes(endpoint):
    paused = admin(endpoint, "clock", {"pause": True})
    try:
        assert paused["paused"] is True
        assert admin(endpoint, "clock")["now"] == paused["now"]  # a paused clock stands still
        assert admin(endpoint, "clock", {"advance": 90})["now"] == paused["now"] + 90
    finally:
        assert admin(endpoint, "clock", {"resume": True})["paused"] is False


def test_recovery_names_no_stack_when_nothing_was_interrupted(endpoint):
    assert admin(endpoint, "recovery") == {"concluding": []}


def test_the_rest_is_personalizes_admin_api(endpoint):
    assert "datasetGroups" in admin(endpoint, "state")
