"""SNS's deliveries to Lambda, handed from moto's SNS to the functions the stacks deploy.

moto's SNS delivers a `lambda` subscription's message to moto's own Lambda, which runs functions
in Docker and knows none of ours, and it offers no hook for a delivery. So `install` replaces,
in this one place, moto's `Subscription.publish` with a wrapper that hands a `lambda`
subscription's message (after moto's filter policy and message structure, as moto applies
them) to the endpoint's `SnsToLambda`, and leaves every other protocol to moto. The function is
invoked asynchronously (Lambda's Event, with its two retries) with Lambda's SNS event shape.
"""

from __future__ import annotations

import base64
import datetime
import json
import logging
import threading
from collections.abc import Callable
from typing import Any

from moto.sns import models as sns_models

from ..cloudformation.functions import Functions

LOG = logging.getLogger(__name__)

_ORIGINAL_PUBLISH = sns_models.Subscription.publish
_deliver: Callable[[Any, dict[str, Any]], None] | None = None  # the endpoint's, while one runs


def install(deliver: Callable[[Any, dict[str, Any]], None] | None) -> None:
    """Hand moto's lambda deliveries to `deliver(subscription, message)`, or to no one (None)."""
    global _deliver
    _deliver = deliver
    sns_models.Subscription.publish = _publish  # type: ignore[method-assign]


def _publish(
    self: sns_models.Subscription,
    message: str,
    message_id: str,
    subject: str | None = None,
    message_attributes: dict[str, Any] | None = None,
    group_id: str | None = None,
    deduplication_id: str | None = None,
    message_structure: str | None = None,
) -> None:
    if self.protocol != "lambda":
        _ORIGINAL_PUBLISH(
            self, message, message_id, subject, message_attributes, group_id, deduplication_id, message_structure
        )
        return
    attributes = message_attributes or {}
    if self._filter_policy_matcher is not None and not self._filter_policy_matcher.matches(attributes, message):
        return
    if message_structure == "json":
        message = self._parse_message_structure(message, self.protocol)
    if _deliver is None:
        LOG.warning("sns: no endpoint delivers %s's message to Lambda; dropped", self.topic.arn)
        return
    _deliver(self, {"message": message, "message_id": message_id, "subject": subject, "attributes": attributes})


class SnsToLambda:
    """Delivers a topic's message to the subscribed function, as SNS invokes Lambda: Event."""

    def __init__(self, functions: Callable[[], Functions]) -> None:
        self._functions = functions

    def __call__(self, subscription: Any, published: dict[str, Any]) -> None:
        functions = self._functions()
        function = functions.find(str(subscription.endpoint))
        if function is None or function.refusal:
            LOG.warning("sns: %s has no function the local cloud runs; the message is dropped", subscription.arn)
            return
        payload = json.dumps(sns_event(subscription.arn, subscription.topic.arn, published)).encode()
        thread = threading.Thread(
            target=self._run, args=(functions, function, payload), name=f"sns-{function.name}", daemon=True
        )
        thread.start()

    @staticmethod
    def _run(functions: Functions, function: Any, payload: bytes) -> None:
        try:
            functions.invoke_with_retries(function, payload)
        except Exception:  # the local cloud's own failure, after Publish answered
            LOG.exception("sns: the delivery to %s failed in the local cloud", function.name)


def sns_event(subscription_arn: str, topic_arn: str, published: dict[str, Any]) -> dict[str, Any]:
    """Lambda's event for one SNS notification."""
    now = datetime.datetime.now(datetime.timezone.utc)
    attributes = {
        name: {
            "Type": value["Type"],
            "Value": base64.b64encode(value["Value"]).decode()
            if isinstance(value["Value"], bytes)
            else str(value["Value"]),
        }
        for name, value in published["attributes"].items()
    }
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "EventSubscriptionArn": subscription_arn,
                "Sns": {
                    "Type": "Notification",
                    "MessageId": published["message_id"],
                    "TopicArn": topic_arn,
                    "Subject": published["subject"],
                    "Message": published["message"],
                    "Timestamp": now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z",
                    "SignatureVersion": "1",
                    "Signature": "EXAMPLE",
                    "SigningCertUrl": "EXAMPLE",
                    "UnsubscribeUrl": "EXAMPLE",
                    "MessageAttributes": attributes,
                },
            }
        ]
    }
