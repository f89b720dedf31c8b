"""Throttling and transient errors are ridden out until the time budget ends, over real HTTP.

The handler's client makes one attempt per call; `retrying.call` retries with capped, jittered
exponential backoff for as long as the invocation's budget allows (the fake clock makes the
pauses instant and the jitter its longest value).
"""

import boto3
import pytest

from personalize_event_tracker._handler import service as handler_service
from tests.scripted_service import ScriptedPersonalize, error

from .conftest import ARN, TRACKING_ID, LambdaContext, invoke, make_event, summary, tracker


@pytest.fixture
def scripted(monkeypatch):
    """Point the handler's client, configured as in production, at a scripted endpoint."""

    def start(script):
        service = ScriptedPersonalize(script).__enter__()
        client = boto3.client(
            "personalize",
            region_name="us-east-1",
            endpoint_url=service.endpoint_url,
            config=handler_service.personalize.meta.config,
        )
        monkeypatch.setattr(handler_service, "personalize", client)
        started.append(service)
        return service

    started: list[ScriptedPersonalize] = []
    yield start
    for service in started:
        service.__exit__(None, None, None)


def test_botocore_makes_one_attempt_and_the_handler_retries():
    # botocore's modes give up after a fixed count; the handler's own loop is bounded by time
    assert handler_service.personalize.meta.config.retries == {"mode": "standard", "total_max_attempts": 1}


def test_a_throttled_poll_slows_the_polling_down(scripted, answers, lambda_context, clock):
    # GIVEN a tracker that takes a while, and one throttled poll among the first
    service = scripted(
        {
            "CreateEventTracker": [(200, {"eventTrackerArn": ARN, "trackingId": TRACKING_ID})],
            "DescribeEventTracker": [
                (200, tracker("CREATE PENDING")),
                error("ThrottlingException"),
                (200, tracker("CREATE IN_PROGRESS")),
                (200, tracker("CREATE IN_PROGRESS")),
                (200, tracker("ACTIVE")),
            ],
        }
    )

    invoke(make_event("Create"), lambda_context)

    # THEN polling went on at the backoff's pace (6, 4, 8 s at their longest), not back to 2 s
    assert [a["Status"] for a in answers] == ["SUCCESS"]
    assert service.unused() == {}
    assert clock.sleeps == [0.5, 1.0, 6.0, 4.0, 8.0]


def test_throttling_and_server_errors_are_retried_with_growing_pauses(scripted, answers, lambda_context, clock):
    service = scripted(
        {
            "CreateEventTracker": [
                error("ThrottlingException"),
                error("ThrottlingException"),
                error("InternalServerError", status=500),
                error("ServiceUnavailable", status=503),
                (200, {"eventTrackerArn": ARN, "trackingId": TRACKING_ID}),
            ],
            "DescribeEventTracker": [error("ThrottlingException"), (200, tracker("ACTIVE"))],
        }
    )

    invoke(make_event("Create"), lambda_context)

    assert [a["Status"] for a in answers] == ["SUCCESS"], answers
    assert service.operations() == ["CreateEventTracker"] * 5 + ["DescribeEventTracker"] * 2
    assert service.unused() == {}
    # a first pause spread over 0-6 s, then growing with jitter (at its longest here); then the first
    # status check, and the throttled Describe's own first pause
    assert clock.sleeps == [6.0, 4.0, 8.0, 10.0, 0.5, 6.0]
    create_bodies = [body for operation, body in service.calls if operation == "CreateEventTracker"]
    assert create_bodies[0] == create_bodies[-1] and create_bodies[0]["name"] == "clickstream"


def test_a_long_throttle_is_ridden_out_past_the_old_five_attempts(scripted, answers, lambda_context, clock):
    # 12 refusals in a row: about 100 s of backoff, the pause capped at 10 s
    service = scripted(
        {
            "CreateEventTracker": [error("ThrottlingException")] * 12
            + [(200, {"eventTrackerArn": ARN, "trackingId": TRACKING_ID})],
            "DescribeEventTracker": [(200, tracker("ACTIVE"))],
        }
    )

    invoke(make_event("Create"), lambda_context)

    assert [a["Status"] for a in answers] == ["SUCCESS"]
    assert service.unused() == {}
    assert clock.sleeps[:12] == [6.0, 4.0, 8.0] + [10.0] * 9


def test_limit_exceeded_on_an_empty_group_is_throttling(scripted, answers, lambda_context, clock):
    # GIVEN CreateEventTracker refused with LimitExceeded six times while the group holds no tracker
    service = scripted(
        {
            "CreateEventTracker": [error("LimitExceededException")] * 6
            + [(200, {"eventTrackerArn": ARN, "trackingId": TRACKING_ID})],
            "ListEventTrackers": [error("ThrottlingException"), (200, {"eventTrackers": []})],
            "DescribeEventTracker": [(200, tracker("ACTIVE"))],
        }
    )

    invoke(make_event("Create"), lambda_context)

    # THEN the group was looked at after the 3rd and the 6th refusal only (a throttled look is not
    # retried: it waits for the next), and the create went through
    assert [a["Status"] for a in answers] == ["SUCCESS"]
    assert service.operations() == [
        *["CreateEventTracker"] * 3,
        "ListEventTrackers",
        *["CreateEventTracker"] * 3,
        "ListEventTrackers",
        "CreateEventTracker",
        "DescribeEventTracker",
    ]
    assert clock.sleeps == [6.0, 4.0, 8.0, 10.0, 10.0, 10.0, 0.5]


def test_a_foreign_tracker_behind_limit_exceeded_fails_fast(scripted, answers, lambda_context, clock):
    foreign = "arn:aws:personalize:us-east-1:123456789012:event-tracker/0f0f0f0f"
    service = scripted(
        {
            "CreateEventTracker": [error("LimitExceededException")] * 3,
            "ListEventTrackers": [(200, {"eventTrackers": [summary(arn=foreign, name="legacy")]})] * 2,
            "ListTagsForResource": [(200, {"tags": [{"tagKey": "owner", "tagValue": "someone"}]})],
        }
    )

    invoke(make_event("Create"), lambda_context)

    assert [a["Status"] for a in answers] == ["FAILED"]
    assert f"already has event tracker {foreign}, which this resource does not own" in answers[0]["Reason"]
    assert sum(clock.sleeps) < 60  # not retried until the deadline
    assert service.operations().count("CreateEventTracker") == 3


def test_throttling_until_the_budget_ends_is_answered_failed_with_the_arn(scripted, answers, clock):
    # GIVEN a 30 s function: 25 s of budget; Describe stays throttled after the tracker was created
    context = LambdaContext(clock, budget_seconds=30)
    scripted(
        {
            "CreateEventTracker": [(200, {"eventTrackerArn": ARN, "trackingId": TRACKING_ID})],
            "DescribeEventTracker": [error("ThrottlingException")] * 20,
        }
    )

    invoke(make_event("Create"), context)

    # THEN FAILED before the deadline, carrying the ARN so that the rollback Delete removes the tracker
    (answer,) = answers
    assert answer["Status"] == "FAILED" and answer["PhysicalResourceId"] == ARN
    assert "Timed out waiting for event tracker" in answer["Reason"]
    assert "(DescribeEventTracker throttled: ThrottlingException)" in answer["Reason"]
    assert "time budget ran out" in answer["Reason"]
    assert context.deadline - clock.now >= 5


@pytest.mark.parametrize(
    ("operation", "script"),
    [
        ("DeleteEventTracker", {"DeleteEventTracker": [error("ThrottlingException"), (200, {})]}),
        ("DescribeEventTracker", {"DeleteEventTracker": [(200, {})]}),
    ],
)
def test_a_delete_rides_out_throttling(scripted, answers, lambda_context, operation, script):
    script = {
        **script,
        "DescribeEventTracker": [error("ThrottlingException"), error("ResourceNotFoundException")],
    }
    if operation == "DescribeEventTracker":
        script["DescribeEventTracker"] = [error("ThrottlingException")] * 3 + [error("ResourceNotFoundException")]
    service = scripted(script)

    invoke(make_event("Delete", physical_id=ARN), lambda_context)

    assert [a["Status"] for a in answers] == ["SUCCESS"]
    assert service.unused() == {}
