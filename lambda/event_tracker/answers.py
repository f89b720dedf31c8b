"""What CloudFormation is told: the FAILED Reason, and the sender that delivers every answer.

docs/design.md, "crhelper, logging and secrets": crhelper's own sender treats any HTTP status as
delivered, so answers go through `put_answer`, bound by overriding crhelper's `_send`.
"""

from __future__ import annotations

import http.client
import json
import logging
import ssl
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from crhelper import CfnResource

logger = logging.getLogger(__name__)

MAX_REASON_LENGTH = 256  # crhelper keeps only the tail of a longer Reason
# Pauses between tries to deliver an answer: about 15 s in all, then the answer is given up.
ANSWER_RETRY_PAUSES = (0.5, 1.0, 2.0, 4.0, 8.0)


class HandlerError(Exception):
    """A failure whose message is the Reason CloudFormation shows: short, specific, actionable."""

    def __init__(self, reason: str) -> None:
        # Cut here, keeping the start: it names the problem.
        if len(reason) > MAX_REASON_LENGTH:
            reason = reason[: MAX_REASON_LENGTH - 3] + "..."
        super().__init__(reason)


def put_answer(url: str, body: Mapping[str, Any], ssl_verify: Any = None) -> None:
    """PUT the answer to the ResponseURL, retrying connection errors and 5xx answers.

    crhelper's own sender treats any HTTP answer as delivered, so a 5xx from S3 would leave
    CloudFormation waiting until the ServiceTimeout. The URL is never logged: it is a credential.
    """
    payload = json.dumps(body).encode()
    parts = urlsplit(url)
    target = urlunsplit(("", "", parts.path, parts.query, ""))
    headers = {"content-type": "", "content-length": str(len(payload))}
    problem = ""
    for pause in (*ANSWER_RETRY_PAUSES, None):
        try:
            connection = http.client.HTTPSConnection(parts.netloc, context=ssl.create_default_context(), timeout=10)
            try:
                connection.request("PUT", target, body=payload, headers=headers)
                status = connection.getresponse().status
            finally:
                connection.close()
            if status < 500:
                log = logger.info if status < 300 else logger.error
                log("Answer %s delivered to CloudFormation: HTTP %s", body.get("Status"), status)
                return
            problem = f"HTTP {status}"
        except (OSError, http.client.HTTPException) as error:
            problem = type(error).__name__
        if pause is None:
            break
        logger.warning("Answer not delivered (%s); retrying in %s s", problem, pause)
        time.sleep(pause)
    logger.error("Answer not delivered after %d tries (%s)", len(ANSWER_RETRY_PAUSES) + 1, problem)


class CheckedCfnResource(CfnResource):
    """crhelper's CfnResource, delivering its answers through put_answer."""

    def _send(self, status: str | None = None, reason: str = "", send_response: Any = None) -> None:
        # _send is private to crhelper (pinned, in maintenance mode), so its stubs omit it.
        super()._send(status, reason, send_response=send_response or put_answer)  # type: ignore[misc]


# The defaults log every event and response at DEBUG (ResponseURL and trackingId included) and
# sleep 120 s before answering each Delete; our Delete already waits for the tracker to be gone.
# The lifecycle sets its PhysicalResourceId and Data; index wires its request types.
helper = CheckedCfnResource(log_level="INFO", sleep_on_delete=0)
