"""The custom resource's contract as the construct renders it (docs/design.md, "The resource contract").

The handler ships alone in the Lambda asset and cannot import this module, so it states the
same names itself; tests/unit/test_contract.py keeps the two sides equal.
"""

RESOURCE_TYPE = "Custom::PersonalizeEventTracker"

PROPERTY_DATASET_GROUP_ARN = "DatasetGroupArn"
PROPERTY_NAME = "Name"
PROPERTY_TAGS = "Tags"
# "Retain" or "Delete": the handler must know, since a same-group replacement deletes the old tracker.
PROPERTY_REMOVAL_POLICY = "RemovalPolicy"
REMOVAL_POLICY_DELETE = "Delete"
REMOVAL_POLICY_RETAIN = "Retain"

ATTRIBUTE_ARN = "EventTrackerArn"
ATTRIBUTE_TRACKING_ID = "TrackingId"

# Ownership tags live in this namespace; user tags may not use it, nor AWS's own `aws:`.
TAG_NAMESPACE = "personalize-event-tracker:"
RESERVED_TAG_PREFIXES = ("aws:", TAG_NAMESPACE)
# Personalize allows 50 tags per resource (developer guide); the botocore model's 200 bounds a
# request, not the resource.
MAX_TAGS_PER_RESOURCE = 50
MAX_USER_TAGS = MAX_TAGS_PER_RESOURCE - 2  # the two ownership tags travel with every tracker
