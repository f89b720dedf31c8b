"""Fixtures for the handler tests: events, a fake clock, a Lambda context, stubs, answers."""

from __future__ import annotations

import builtins
import copy
import functools
from collections.abc import Callable
from typing import Any

import pytest
from botocore.stub import Stubber

from personalize_event_tracker._handler import answers as answer_sender
from personalize_event_tracker._handler import index, retrying, service

STACK_ID = "arn:aws:cloudformation:us-east-1:123456789012:stack/Shop/8f2b0e50-9a1c-11ef-9d5e-0a1b2c3d4e5f"
OTHER_STACK_ID = "arn:aws:cloudformation:us-east-1:123456789012:stack/Other/11111111-9a1c-11ef-9d5e-0a1b2c3d4e5f"
LOGICAL_ID = "TrackerAF5FC55F"
DATASET_GROUP_ARN = "arn:aws:personalize:us-east-1:123456789012:dataset-group/clicks"
OTHER_DATASET_GROUP_ARN = "arn:aws:personalize:us-east-1:123456789012:dataset-group/views"
ARN = "arn:aws:personalize:us-east-1:123456789012:event-tracker/d2e0162e"
NEW_ARN = "arn:aws:personalize:us-east-1:123456789012:event-tracker/7b1c9f03"
TRACKING_ID = "0f3c8a4e-5b7d-4c1e-9a2b-7d6e5f4a3b2c"
NEW_TRACKING_ID = "9a8b7c6d-1e2f-4a3b-8c9d-0e1f2a3b4c5d"
RESPONSE_URL = (
    "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/"
    "arn%3Aaws%3Acloudformation%3Aus-east-1%3A123456789012%3Astack/Shop/x?X-Amz-Signature=5ecret5ignature"
)
INVENTED_ID = "Shop-TrackerAF5FC55F-1A2B3C4D5E6F"

OWNER_TAGS = [
    {"tagKey": "personalize-event-tracker:stack-id", "tagValue": STACK_ID},
    {"tagKey": "personalize-event-tracker:logical-id", "tagValue": LOGICAL_ID},
]
FOREIGN_TAGS = [
    {"tagKey": "personalize-event-tracker:stack-id", "tagValue": OTHER_STACK_ID},
    {"tagKey": "personalize-event-tracker:logical-id", "tagValue": LOGICAL_ID},
]


def properties(name: str = "clickstream", dataset_group_arn: str = DATASET_GROUP_ARN, **extra: Any) -> dict[str, Any]:
    props: dict[str, Any] = {
        "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:provider",
        "ServiceTimeout": "960",
        "DatasetGroupArn": dataset_group_arn,
        "Name": name,
    }
    props.update(extra)
    return props


def make_event(
    request_type: str,
    resource_properties: dict[str, Any] | None = None,
    *,
    old_properties: dict[str, Any] | None = None,
    physical_id: str | None = None,
) -> dict[str, Any]:
    """A CloudFormation custom resource request, as Lambda receives it."""
    event: dict[str, Any] = {
        "RequestType": request_type,
        "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:provider",
        "ResponseURL": RESPONSE_URL,
        "StackId": STACK_ID,
        "RequestId": "5d478f8e-0c2f-4a8b-9b5e-2e1f0c9d8a7b",
        "LogicalResourceId": LOGICAL_ID,
        "ResourceType": "Custom::PersonalizeEventTracker",
        "ResourceProperties": copy.deepcopy(resource_properties if resource_properties is not None else properties()),
    }
    if old_properties is not None:
        event["OldResourceProperties"] = copy.deepcopy(old_properties)
    if physical_id is not None:
        event["PhysicalResourceId"] = physical_id
    return event


def tracker(
    status: str,
    arn: str = ARN,
    name: str = "clickstream",
    tracking_id: str = TRACKING_ID,
    dataset_group_arn: str = DATASET_GROUP_ARN,
) -> dict[str, Any]:
    return {
        "eventTracker": {
            "name": name,
            "eventTrackerArn": arn,
            "accountId": "123456789012",
            "trackingId": tracking_id,
            "datasetGroupArn": dataset_group_arn,
            "status": status,
        }
    }


class FakeClock:
    """Stands in for the handler's `time` module: sleeping advances the clock at once.

    The handler reads the time in two modules: `retrying` (its clock: the budget, the waits, the
    backoff) and `answers` (the pauses between tries to deliver an answer). `fake_time` patches both.
    """

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class TopOfRange:
    """Stands in for the handler's `random` module (in `retrying`): every jittered pause takes its longest value."""

    @staticmethod
    def uniform(low: float, high: float) -> float:
        return high


class LambdaContext:
    """The part of Lambda's context object the handler and crhelper read."""

    function_name = "provider"
    aws_request_id = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"

    def __init__(self, clock: FakeClock, budget_seconds: float) -> None:
        self._clock = clock
        self.deadline = clock.now + budget_seconds

    def get_remaining_time_in_millis(self) -> int:
        return int((self.deadline - self._clock.now) * 1000)


def fake_time(monkeypatch: pytest.MonkeyPatch, clock: FakeClock) -> None:
    """Put `clock` and the longest jitter where the handler reads the time and draws its pauses."""
    monkeypatch.setattr(retrying, "time", clock)
    monkeypatch.setattr(retrying, "random", TopOfRange())
    monkeypatch.setattr(answer_sender, "time", clock)


def record_answers(monkeypatch: pytest.MonkeyPatch, record: Callable[[str, dict[str, Any], Any], None]) -> None:
    """Hand every answer crhelper sends to `record` instead of the ResponseURL."""
    helper = answer_sender.helper
    monkeypatch.setattr(helper, "_send", functools.partial(helper._send, send_response=record))


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    fake_time(monkeypatch, fake)
    return fake


@pytest.fixture
def lambda_context(clock: FakeClock) -> LambdaContext:
    return LambdaContext(clock, budget_seconds=900)


@pytest.fixture
def personalize():
    """Stubs for the handler's Personalize client: exact parameters, in order, all consumed."""
    with Stubber(service.personalize) as stubber:
        yield Personalize(stubber)
        stubber.assert_no_pending_responses()


@pytest.fixture
def answers(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The response bodies crhelper sends to the ResponseURL (the send itself is replaced)."""
    sent: list[dict[str, Any]] = []

    def record(url: str, body: dict[str, Any], ssl_verify: Any) -> None:
        assert url == RESPONSE_URL
        sent.append(copy.deepcopy(body))

    record_answers(monkeypatch, record)
    return sent


class Personalize:
    """Named expectations on the stubbed Personalize client."""

    def __init__(self, stubber: Stubber) -> None:
        self.stubber = stubber

    def create(
        self,
        name: str = "clickstream",
        dataset_group_arn: str = DATASET_GROUP_ARN,
        tags: builtins.list[dict[str, str]] | None = None,
        arn: str = ARN,
        error: str | None = None,
    ) -> None:
        params = {"name": name, "datasetGroupArn": dataset_group_arn, "tags": OWNER_TAGS + (tags or [])}
        if error:
            self.stubber.add_client_error("create_event_tracker", error, "refused", expected_params=params)
        else:
            response = {"eventTrackerArn": arn, "trackingId": TRACKING_ID if arn == ARN else NEW_TRACKING_ID}
            self.stubber.add_response("create_event_tracker", response, params)

    def describe(self, status: str, arn: str = ARN, **fields: Any) -> None:
        tracking_id = TRACKING_ID if arn == ARN else NEW_TRACKING_ID
        self.stubber.add_response(
            "describe_event_tracker",
            tracker(status, arn=arn, tracking_id=tracking_id, **fields),
            {"eventTrackerArn": arn},
        )

    def describe_missing(self, arn: str = ARN) -> None:
        self.stubber.add_client_error(
            "describe_event_tracker", "ResourceNotFoundException", "not found", expected_params={"eventTrackerArn": arn}
        )

    def list(self, *trackers: dict[str, str], dataset_group_arn: str = DATASET_GROUP_ARN) -> None:
        self.stubber.add_response(
            "list_event_trackers", {"eventTrackers": list(trackers)}, {"datasetGroupArn": dataset_group_arn}
        )

    def look(self, *trackers: dict[str, str], dataset_group_arn: str = DATASET_GROUP_ARN) -> None:
        """The one-page list that tells the one-tracker rule from throttling."""
        self.stubber.add_response(
            "list_event_trackers",
            {"eventTrackers": list(trackers)},
            {"datasetGroupArn": dataset_group_arn, "maxResults": 1},
        )

    def tags(self, tags: builtins.list[dict[str, str]], arn: str = ARN) -> None:
        self.stubber.add_response("list_tags_for_resource", {"tags": tags}, {"resourceArn": arn})

    def delete(self, arn: str = ARN, error: str | None = None) -> None:
        if error:
            self.stubber.add_client_error(
                "delete_event_tracker", error, "refused", expected_params={"eventTrackerArn": arn}
            )
        else:
            self.stubber.add_response("delete_event_tracker", {}, {"eventTrackerArn": arn})

    def tag(self, tags: builtins.list[dict[str, str]], arn: str = ARN, error: str | None = None) -> None:
        if error:
            self.stubber.add_client_error(
                "tag_resource", error, "refused", expected_params={"resourceArn": arn, "tags": tags}
            )
        else:
            self.stubber.add_response("tag_resource", {}, {"resourceArn": arn, "tags": tags})

    def untag(self, keys: builtins.list[str], arn: str = ARN) -> None:
        self.stubber.add_response("untag_resource", {}, {"resourceArn": arn, "tagKeys": keys})

    def error(self, operation: str, code: str, params: dict[str, Any]) -> None:
        self.stubber.add_client_error(operation, code, "refused", expected_params=params)


def summary(arn: str = ARN, name: str = "clickstream", status: str = "ACTIVE") -> dict[str, str]:
    return {"eventTrackerArn": arn, "name": name, "status": status}


def invoke(event: dict[str, Any], context: LambdaContext) -> None:
    index.handler(event, context)
