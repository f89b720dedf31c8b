"""AWS::SNS::Subscription: a subscription to a topic, in the endpoint's SNS (moto).

moto's CloudFormation has no model of it (its topics are `moto_models.py`'s). TopicArn, Protocol
and Endpoint replace the subscription when they change; its other properties are subscription
attributes, set in place. Ref is the subscription's ARN.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from ..errors import ResourceFailed
from ..state import ResourceRecord
from .base import NativeType, ResourceRequest, Result

# The subscription attributes a template may set, as SetSubscriptionAttributes names them.
ATTRIBUTES = (
    "DeliveryPolicy",
    "FilterPolicy",
    "FilterPolicyScope",
    "RawMessageDelivery",
    "RedrivePolicy",
    "ReplayPolicy",
    "SubscriptionRoleArn",
)


class Subscription(NativeType):
    type_name = "AWS::SNS::Subscription"
    replaced_by = frozenset({"TopicArn", "Protocol", "Endpoint"})

    def create(self, request: ResourceRequest) -> Result:
        properties = request.properties
        call: dict[str, Any] = {
            "TopicArn": properties["TopicArn"],
            "Protocol": properties["Protocol"],
            "ReturnSubscriptionArn": True,
        }
        if "Endpoint" in properties:
            call["Endpoint"] = str(properties["Endpoint"])
        attributes = _attributes(properties)
        if attributes:
            call["Attributes"] = attributes
        try:
            arn = str(self.services.client("sns").subscribe(**call)["SubscriptionArn"])
        except ClientError as error:
            raise ResourceFailed(error.response["Error"]["Message"]) from None
        return arn, {"Arn": arn}

    def update(self, request: ResourceRequest, current: ResourceRecord) -> Result:
        old = current["properties"]
        if any(request.properties.get(name) != old.get(name) for name in self.replaced_by):
            return self.create(request)  # a new subscription; the cleanup unsubscribes the old one
        arn = str(current["physical_id"])
        new_attributes, old_attributes = _attributes(request.properties), _attributes(old)
        sns = self.services.client("sns")
        try:
            for name in sorted(new_attributes.keys() | old_attributes.keys()):
                if new_attributes.get(name) != old_attributes.get(name):
                    value = new_attributes.get(name, "")  # an attribute removed is set empty
                    sns.set_subscription_attributes(SubscriptionArn=arn, AttributeName=name, AttributeValue=value)
        except ClientError as error:
            raise ResourceFailed(error.response["Error"]["Message"]) from None
        return arn, {"Arn": arn}

    def delete(self, entry: ResourceRecord) -> None:
        try:
            self.services.client("sns").unsubscribe(SubscriptionArn=entry["physical_id"])
        except ClientError as error:
            if error.response["Error"]["Code"] not in ("NotFound", "NotFoundException"):
                raise ResourceFailed(error.response["Error"]["Message"]) from None


def _attributes(properties: dict[str, Any]) -> dict[str, str]:
    """The template's subscription attributes as SNS takes them: strings, policies as JSON."""
    found = {}
    for name in ATTRIBUTES:
        if name in properties:
            value = properties[name]
            if isinstance(value, bool):
                found[name] = "true" if value else "false"
            elif isinstance(value, (dict, list)):
                found[name] = json.dumps(value)
            else:
                found[name] = str(value)
    return found
