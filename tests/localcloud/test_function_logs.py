"""A function's logs in CloudWatch Logs, as Lambda writes them: through the endpoint's Logs (moto),
in the order the lines were written, within PutLogEvents' limits, never failing the invocation."""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from localcloud.endpoint import Endpoint
from localcloud.lambda_runtime import Outcome, log_group_of, write_to_cloudwatch
from localcloud.lambda_runtime.function_logs import MAX_BYTES_PER_CALL, MAX_EVENTS_PER_CALL, MAX_MESSAGE_BYTES

STREAM = "2025/01/01/[$LATEST]0123456789abcdef0123456789abcdef"
HOUR_MS = 60 * 60 * 1000


class RecordingLogs:
    """The endpoint's Logs client, remembering each PutLogEvents call's events."""

    def __init__(self, client):
        self._client = client
        self.calls: list[list[dict[str, Any]]] = []

    def __getattr__(self, name):
        return getattr(self._client, name)

    def put_log_events(self, **kwargs):
        self.calls.append(kwargs["logEvents"])
        return self._client.put_log_events(**kwargs)


@pytest.fixture
def logs():
    with Endpoint(port=0, pre_bootstrapped=False) as endpoint:
        yield RecordingLogs(endpoint.client("logs"))


@pytest.fixture
def group():
    return f"/aws/lambda/provider-{uuid.uuid4().hex[:8]}"


def now_ms():
    # moto, as CloudWatch, sets aside events older than 14 days: the stamps are today's
    return int(time.time() * 1000)


def outcome(lines, *, stream=STREAM, request_id="6f1c1ef2-0000-4000-8000-000000000001"):
    return Outcome(
        request_id=request_id,
        status="error",
        response=None,
        error={"errorType": "ValueError", "errorMessage": "the handler raised"},
        log_events=list(lines),
        seconds=0.25,
        cold=True,
        pid=1,
        log_stream=stream,
    )


def stored(logs, group, stream=STREAM):
    """(timestamp, message) of every event in the stream, as a reader gets them, page by page."""
    events: list[tuple[int, str]] = []
    token = None
    while True:
        page = logs.get_log_events(
            logGroupName=group, logStreamName=stream, startFromHead=True, **({"nextToken": token} if token else {})
        )
        if not page["events"]:
            return events
        events += [(e["timestamp"], e["message"]) for e in page["events"]]
        token = page["nextForwardToken"]


def test_lines_whose_stamps_go_back_arrive_in_the_order_written(logs, group):
    # GIVEN a failed cold invocation's lines as its environment read them: Init's output stamped
    # after the START counted back from the duration, and stderr's traceback read before the
    # stdout line written ahead of it
    t = now_ms()
    lines = [
        (t + 5, "init of 4242"),
        (t + 3, "START RequestId: r-1 Version: $LATEST"),
        (t + 9, "invocation 1 in 4242"),
        (t + 7, "[ERROR] ValueError: the handler raised"),
        (t + 9, "END RequestId: r-1"),
        (t + 9, "REPORT RequestId: r-1\tDuration: 250.00 ms"),
    ]
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName=STREAM)
    # (put as they are, PutLogEvents refuses them, and the invocation's logs were lost)
    raw = [{"timestamp": stamp, "message": line} for stamp, line in lines]
    with pytest.raises(ClientError, match="chronological order"):
        logs.put_log_events(logGroupName=group, logStreamName=STREAM, logEvents=raw)

    # WHEN they are written as Lambda writes them
    write_to_cloudwatch(logs, group, outcome(lines))

    # THEN a reader gets every line in the order written, no stamp moved back
    assert stored(logs, group) == [
        (t + 5, "init of 4242"),
        (t + 5, "START RequestId: r-1 Version: $LATEST"),
        (t + 9, "invocation 1 in 4242"),
        (t + 9, "[ERROR] ValueError: the handler raised"),
        (t + 9, "END RequestId: r-1"),
        (t + 9, "REPORT RequestId: r-1\tDuration: 250.00 ms"),
    ]


def test_each_environment_has_a_stream_that_its_invocations_add_to(logs, group):
    t = now_ms()
    other = STREAM.replace("0123", "fedc")

    write_to_cloudwatch(logs, group, outcome([(t, "first"), (t + 1, "")]))
    write_to_cloudwatch(logs, group, outcome([(t + 2, "second")]))
    write_to_cloudwatch(logs, group, outcome([(t + 3, "elsewhere")], stream=other))

    streams = logs.describe_log_streams(logGroupName=group)["logStreams"]
    assert sorted(s["logStreamName"] for s in streams) == sorted([STREAM, other])
    # an empty line is left out: PutLogEvents refuses an empty message
    assert [message for _, message in stored(logs, group)] == ["first", "second"]
    assert [message for _, message in stored(logs, group, other)] == ["elsewhere"]


def test_more_events_than_one_call_takes_go_in_several_in_order(logs, group):
    t = now_ms()
    lines = [(t, f"line {i}") for i in range(MAX_EVENTS_PER_CALL + 1)]

    write_to_cloudwatch(logs, group, outcome(lines))

    assert [len(call) for call in logs.calls] == [MAX_EVENTS_PER_CALL, 1]
    assert [message for _, message in stored(logs, group)] == [line for _, line in lines]


def test_long_lines_are_cut_between_characters_and_calls_kept_within_a_megabyte(logs, group):
    t = now_ms()
    # é is two bytes in UTF-8: after the "a", a cut at an even byte count falls inside one
    lines = [(t, "x" * 300_000) for _ in range(4)] + [(t, "a" + "é" * 200_000)]

    write_to_cloudwatch(logs, group, outcome(lines))

    assert len(logs.calls) > 1
    for call in logs.calls:
        assert sum(len(e["message"].encode()) + 26 for e in call) <= MAX_BYTES_PER_CALL
        assert all(len(e["message"].encode()) <= MAX_MESSAGE_BYTES for e in call)
    messages = [message for _, message in stored(logs, group)]
    assert len(messages) == 2 * len(lines)
    assert "".join(messages) == "".join(line for _, line in lines)


def test_one_call_spans_less_than_a_day(logs, group):
    t = now_ms()
    lines = [(t - 25 * HOUR_MS, "a day ago"), (t - 25 * HOUR_MS + 1, "still then"), (t, "now")]

    write_to_cloudwatch(logs, group, outcome(lines))

    assert [[e["message"] for e in call] for call in logs.calls] == [["a day ago", "still then"], ["now"]]
    assert stored(logs, group) == lines


def test_a_failure_to_write_is_logged_and_the_invocation_goes_on(caplog):
    client = boto3.client("logs", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stubber, caplog.at_level(logging.WARNING, logger="localcloud.lambda_runtime"):
        stubber.add_client_error("create_log_group", "ServiceUnavailableException", "try later")

        write_to_cloudwatch(client, "/aws/lambda/provider", outcome([(now_ms(), "a line")], request_id="r-9"))

    assert "could not write the logs of request r-9 to /aws/lambda/provider" in caplog.text
    assert "ServiceUnavailableException" in caplog.text


@pytest.mark.parametrize(
    ("logging_config", "group"),
    [
        (None, "/aws/lambda/provider"),
        ({}, "/aws/lambda/provider"),
        ({"LogFormat": "JSON"}, "/aws/lambda/provider"),
        ({"LogGroup": "/shop/trackers"}, "/shop/trackers"),
    ],
)
def test_the_log_group_is_the_logging_configs_or_lambdas_default(logging_config, group):
    assert log_group_of("provider", logging_config) == group
