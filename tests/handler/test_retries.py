"""Throttling and transient errors are retried by botocore's `standard` mode, over real HTTP."""

import boto3
import pytest

from personalize_event_tracker._handler import index
from tests.scripted_service import ScriptedPersonalize, error

from .conftest import ARN, TRACKING_ID, invoke, make_event, tracker


@pytest.fixture
def scripted(monkeypatch):
    """Point the handler's client, configured as in production, at a scripted endpoint."""

    def start(script):
        service = ScriptedPersonalize(script).__enter__()
        client = boto3.client(
            "personalize",
            region_name="us-east-1",
            endpoint_url=service.endpoint_url,
            config=index.personalize.meta.config,
        )
        monkeypatch.setattr(index, "personalize", client)
        started.append(service)
        return service

    started: list[ScriptedPersonalize] = []
    yield start
    for service in started:
        service.__exit__(None, None, None)


def test_the_client_uses_standard_retries():
    assert index.personalize.meta.config.retries["mode"] == "standard"


def test_throttling_and_server_errors_are_retried(scripted, answers, lambda_context):
    # LimitExceededException is retried only in `standard` mode, not in the runtime's `legacy` default.
    service = scripted(
        {
            "CreateEventTracker": [
                error("LimitExceededException"),
                error("ThrottlingException"),
                (200, {"eventTrackerArn": ARN, "trackingId": TRACKING_ID}),
            ],
            "DescribeEventTracker": [
                error("InternalServerError", status=500),
                (200, tracker("ACTIVE")),
            ],
        }
    )

    invoke(make_event("Create"), lambda_context)

    assert [a["Status"] for a in answers] == ["SUCCESS"], answers
    assert service.operations() == ["CreateEventTracker"] * 3 + ["DescribeEventTracker"] * 2
    assert service.unused() == {}
    # the same request each time, as the model serializes it
    create_bodies = [body for operation, body in service.calls if operation == "CreateEventTracker"]
    assert create_bodies[0] == create_bodies[2]
    assert create_bodies[0]["name"] == "clickstream"


def test_persistent_throttling_is_answered_failed(scripted, answers, lambda_context):
    service = scripted({"CreateEventTracker": [error("LimitExceededException")] * 5})

    invoke(make_event("Create"), lambda_context)

    assert [a["Status"] for a in answers] == ["FAILED"]
    assert "LimitExceededException" in answers[0]["Reason"]
    assert service.operations() == ["CreateEventTracker"] * 5  # total_max_attempts
