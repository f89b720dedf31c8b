"""AWS::Personalize::EventTracker, the native type, created in the local Personalize.

Name and DatasetGroupArn are create-only (a change replaces the tracker, and a new tracker has a
new trackingId); Tags change in place. Ref is the tracker's ARN; Fn::GetAtt gives EventTrackerArn
and TrackingId. A replacement in the same dataset group fails as CloudFormation's does: the new
tracker is created before the old one is deleted, and a group holds one tracker.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from ..errors import ResourceFailed
from ..state import ResourceRecord
from .base import ResourceRequest, Result, generated_name
from .personalize import PersonalizeType, tag_list, tags_of


class EventTracker(PersonalizeType):
    type_name = "AWS::Personalize::EventTracker"
    replaced_by = frozenset({"Name", "DatasetGroupArn"})
    noun = "event tracker"
    identifier = ("EventTrackerArn",)

    def describe_status(self, arn: str) -> str | None:
        described = self.services.client("personalize").describe_event_tracker(eventTrackerArn=arn)
        return str(described["eventTracker"]["status"])

    def create(self, request: ResourceRequest) -> Result:
        properties = request.properties
        call: dict[str, Any] = {
            "name": properties.get("Name") or generated_name(request, 63),
            "datasetGroupArn": properties["DatasetGroupArn"],
        }
        if properties.get("Tags"):
            call["tags"] = tag_list(properties)
        try:
            created = self.services.client("personalize").create_event_tracker(**call)
        except ClientError as error:
            raise ResourceFailed(str(error)) from None
        arn = str(created["eventTrackerArn"])
        self.wait_active(arn)
        return arn, {"EventTrackerArn": arn, "TrackingId": str(created["trackingId"])}

    def update(self, request: ResourceRequest, current: ResourceRecord) -> Result:
        old, new = current.get("properties", {}), request.properties
        if any(old.get(name) != new.get(name) for name in self.replaced_by):
            return self.create(request)
        arn = current["physical_id"]
        self.retag(arn, tags_of(old), tags_of(new))
        return arn, dict(current["attributes"])

    def delete(self, entry: ResourceRecord) -> None:
        arn = entry["physical_id"]
        personalize = self.services.client("personalize")
        self.delete_and_wait(arn, lambda: personalize.delete_event_tracker(eventTrackerArn=arn))

    def read(self, identifier: dict[str, str]) -> Result:
        """An existing tracker, for `cdk import` (the README's move to the native type): its ARN
        and trackingId, as its create would have answered them."""
        arn = identifier["EventTrackerArn"]
        self.read_active(arn, identifier)
        described = self.services.client("personalize").describe_event_tracker(eventTrackerArn=arn)["eventTracker"]
        return arn, {"EventTrackerArn": arn, "TrackingId": str(described["trackingId"])}
