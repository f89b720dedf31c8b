"""The custom resource's contract as the construct renders it (DESIGN section 3).

The handler ships alone in the Lambda asset and cannot import this module, so it states the
same names itself; tests/unit/test_contract.py keeps the two sides equal.
"""

RESOURCE_TYPE = "Custom::PersonalizeEventTracker"

PROPERTY_DATASET_GROUP_ARN = "DatasetGroupArn"
PROPERTY_NAME = "Name"
PROPERTY_TAGS = "Tags"

ATTRIBUTE_ARN = "EventTrackerArn"
ATTRIBUTE_TRACKING_ID = "TrackingId"

# Ownership tags live in this namespace; user tags may not use it, nor AWS's own `aws:`.
TAG_NAMESPACE = "personalize-event-tracker:"
RESERVED_TAG_PREFIXES = ("aws:", TAG_NAMESPACE)
MAX_USER_TAGS = 198  # 200 per tracker, less the two ownership tags
