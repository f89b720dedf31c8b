"""The trackingId and the ResponseURL never reach the handler's log output.

docs/design.md, "crhelper, logging and secrets".
"""

import logging

import pytest

from .conftest import (
    ARN,
    NEW_ARN,
    OWNER_TAGS,
    RESPONSE_URL,
    TRACKING_ID,
    invoke,
    make_event,
    properties,
    summary,
)

SECRETS = (TRACKING_ID, RESPONSE_URL, RESPONSE_URL.split("?")[1], "5ecret5ignature")


@pytest.fixture
def all_output(caplog, capfd):
    """Everything the invocation logged or printed, at the levels the handler runs with."""

    def collect():
        captured = capfd.readouterr()
        return "\n".join([caplog.text, captured.out, captured.err])

    caplog.set_level(logging.DEBUG)  # crhelper then sets the level it runs with, INFO
    return collect


def assert_no_secret_in(text):
    for secret in SECRETS:
        assert secret not in text


def test_a_successful_create_logs_no_secret(personalize, answers, lambda_context, all_output):
    personalize.create()
    personalize.describe("CREATE IN_PROGRESS")
    personalize.describe("ACTIVE")

    invoke(make_event("Create"), lambda_context)

    output = all_output()
    assert f"Event tracker {ARN} is ACTIVE" in output  # the log is not simply empty
    assert answers[0]["Data"]["TrackingId"] == TRACKING_ID  # the secret went to CloudFormation only
    assert_no_secret_in(output)


def test_failures_log_no_secret(personalize, answers, lambda_context, all_output):
    # an adopted tracker whose description carries the trackingId, then a failing tag call
    personalize.tag([{"tagKey": "team", "tagValue": "x"}], error="AccessDeniedException")
    event = make_event(
        "Update", properties(Tags=[{"Key": "team", "Value": "x"}]), old_properties=properties(), physical_id=ARN
    )

    invoke(event, lambda_context)

    assert answers[0]["Status"] == "FAILED"
    output = all_output()
    assert "AccessDeniedException" in output
    assert_no_secret_in(output)


def test_a_replacement_logs_no_secret(personalize, answers, lambda_context, all_output):
    personalize.create(name="v2", arn=NEW_ARN, error="ResourceAlreadyExistsException")
    personalize.list(summary())
    personalize.tags(OWNER_TAGS)
    personalize.delete()
    personalize.describe_missing()
    personalize.create(name="v2", arn=NEW_ARN)
    personalize.describe("ACTIVE", arn=NEW_ARN)

    invoke(make_event("Update", properties(name="v2"), old_properties=properties(), physical_id=ARN), lambda_context)

    assert answers[0]["Status"] == "SUCCESS"
    assert_no_secret_in(all_output())
