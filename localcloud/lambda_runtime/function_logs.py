"""A function's logs in CloudWatch Logs, where Lambda writes them.

Lambda sends each execution environment's output to a stream of its own (`Outcome.log_stream`)
in the function's log group: its `LoggingConfig.LogGroup`, or `/aws/lambda/<name>`.
`write_to_cloudwatch` puts one invocation's lines there through a `logs` client (behind the
endpoint, the local cloud's), so that `filter_log_events`, `aws logs tail` and the CDK CLI beside
a failed custom resource show them. The logs are a courtesy: a failure to write them is logged
here and never fails the invocation.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from .outcome import Outcome

LOG = logging.getLogger(__name__)

# PutLogEvents' limits: events per call, and bytes per call counted as each message in UTF-8
# plus 26 bytes per event; the events of one call within 24 hours of each other.
MAX_EVENTS_PER_CALL = 10_000
MAX_BYTES_PER_CALL = 1_048_576
EVENT_OVERHEAD_BYTES = 26
MAX_SPAN_MS = 24 * 60 * 60 * 1000
# One event's message, overhead included, within CloudWatch's long-standing 256 KB: a longer line
# is cut into several events, nothing of it lost.
MAX_MESSAGE_BYTES = 256 * 1024 - EVENT_OVERHEAD_BYTES


def log_group_of(function_name: str, logging_config: Mapping[str, Any] | None) -> str:
    """The function's log group: its `LoggingConfig.LogGroup`, or `/aws/lambda/<name>`."""
    return str((logging_config or {}).get("LogGroup") or f"/aws/lambda/{function_name}")


def write_to_cloudwatch(logs_client: Any, log_group: str, outcome: Outcome) -> None:
    """One invocation's lines in its environment's stream (outcome.log_stream) of log_group, as Lambda writes them."""
    stream = outcome.log_stream
    try:
        with contextlib.suppress(logs_client.exceptions.ResourceAlreadyExistsException):
            logs_client.create_log_group(logGroupName=log_group)
        # one stream per environment, made with its first invocation
        with contextlib.suppress(logs_client.exceptions.ResourceAlreadyExistsException):
            logs_client.create_log_stream(logGroupName=log_group, logStreamName=stream)
        for batch in _calls(_events(outcome.log_events)):
            logs_client.put_log_events(logGroupName=log_group, logStreamName=stream, logEvents=batch)
    except Exception as error:  # an invocation never fails for its logs
        LOG.warning("could not write the logs of request %s to %s: %s", outcome.request_id, log_group, error)


def _events(lines: Iterable[tuple[int, str]]) -> Iterator[dict[str, Any]]:
    """The lines as log events, in the order they were written, their stamps never going back.

    Clamped rather than sorted: the lines come in the order they were written (stdout and stderr
    share one pipe, and Lambda's own lines are placed where Lambda writes them), but their stamps
    were taken apart (output as it was read, START counted back from the duration), so a line can
    carry a stamp a little earlier than the one before it. PutLogEvents refuses such a batch, and
    readers order a stream by timestamp: a sort would move the line above one written before it
    (START above Init's output), while a clamp keeps the order and moves a stamp by no more than
    the disagreement.
    """
    latest = 0
    for stamp, line in lines:
        latest = max(latest, stamp)
        if line:  # PutLogEvents refuses an empty message
            for piece in _pieces(line):
                yield {"timestamp": latest, "message": piece}


def _pieces(message: str) -> Iterator[str]:
    """The message in pieces of at most MAX_MESSAGE_BYTES in UTF-8, cut between characters."""
    encoded = message.encode()
    while len(encoded) > MAX_MESSAGE_BYTES:
        # a cut inside a character leaves its first bytes over, which "ignore" drops from this
        # piece; the next piece starts with the whole character
        piece = encoded[:MAX_MESSAGE_BYTES].decode("utf-8", "ignore")
        yield piece
        message = message[len(piece) :]
        encoded = message.encode()
    yield message


def _calls(events: Iterable[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    """The events in batches that PutLogEvents accepts: its count, size and time-span limits."""
    batch: list[dict[str, Any]] = []
    size = 0
    for event in events:
        event_size = len(event["message"].encode()) + EVENT_OVERHEAD_BYTES
        if batch and (
            len(batch) == MAX_EVENTS_PER_CALL
            or size + event_size > MAX_BYTES_PER_CALL
            or event["timestamp"] - batch[0]["timestamp"] >= MAX_SPAN_MS
        ):
            yield batch
            batch, size = [], 0
        batch.append(event)
        size += event_size
    if batch:
        yield batch
