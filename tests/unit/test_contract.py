"""The construct and the handler state the same contract, and both follow the botocore model.

The handler ships alone in the asset, so it cannot import the construct's constants; these
tests are what keeps the two copies equal.
"""

import botocore.session
import pytest
from botocore.model import ListShape, StructureShape

from personalize_event_tracker import _contract, _validation
from personalize_event_tracker._handler import contract, ownership

MODEL = botocore.session.get_session().get_service_model("personalize")
CREATE_SHAPE = MODEL.operation_model("CreateEventTracker").input_shape
assert CREATE_SHAPE is not None
CREATE_INPUT = CREATE_SHAPE.members


@pytest.mark.parametrize(
    "name",
    [
        "PROPERTY_DATASET_GROUP_ARN",
        "PROPERTY_NAME",
        "PROPERTY_TAGS",
        "ATTRIBUTE_ARN",
        "ATTRIBUTE_TRACKING_ID",
        "TAG_NAMESPACE",
        "RESERVED_TAG_PREFIXES",
        "MAX_USER_TAGS",
        "MAX_TAGS_PER_RESOURCE",
        "PROPERTY_REMOVAL_POLICY",
        "REMOVAL_POLICY_DELETE",
        "REMOVAL_POLICY_RETAIN",
    ],
)
def test_construct_and_handler_share_the_contract(name):
    assert getattr(_contract, name) == getattr(contract, name)


@pytest.mark.parametrize("name", ["NAME_MAX_LENGTH", "ARN_MAX_LENGTH", "TAG_KEY_MAX_LENGTH", "TAG_VALUE_MAX_LENGTH"])
def test_construct_and_handler_share_the_limits(name):
    assert getattr(_validation, name) == getattr(contract, name)


def test_patterns_are_the_models():
    name, arn = CREATE_INPUT["name"].metadata, CREATE_INPUT["datasetGroupArn"].metadata
    assert "^" + _validation.NAME_PATTERN.pattern == name["pattern"] == "^" + contract.NAME_PATTERN.pattern
    assert (name["min"], name["max"]) == (1, _validation.NAME_MAX_LENGTH)
    assert _validation.ARN_PATTERN.pattern == arn["pattern"] == contract.ARN_PATTERN.pattern
    assert arn["max"] == _validation.ARN_MAX_LENGTH


def test_tag_limits_are_the_models():
    tags = CREATE_INPUT["tags"]
    assert isinstance(tags, ListShape) and isinstance(tags.member, StructureShape)
    key, value = tags.member.members["tagKey"].metadata, tags.member.members["tagValue"].metadata
    # the model bounds a request at 200 tags; a resource holds at most 50, two of them ownership tags
    assert tags.metadata["max"] == 200 > _contract.MAX_TAGS_PER_RESOURCE == _contract.MAX_USER_TAGS + 2 == 50
    assert (key["min"], key["max"], value["max"]) == (
        1,
        _validation.TAG_KEY_MAX_LENGTH,
        _validation.TAG_VALUE_MAX_LENGTH,
    )
    assert key["pattern"] == value["pattern"] == r"^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$"


@pytest.mark.parametrize(
    ("text", "allowed"),
    [
        ("team", True),
        ("équipe 1", True),
        ("a_b.c:d/e=f+g-h@i", True),
        ("", True),
        ("日本", True),
        ("a|b", False),
        ("tab\there", False),
        ("x\ny", False),
        ("semi;colon", False),
    ],
)
def test_tag_text_rule_is_the_same_on_both_sides(text, allowed):
    assert _validation.is_tag_text(text) is allowed
    assert contract.is_tag_text(text) is allowed


def test_ownership_tags_live_in_the_reserved_namespace():
    assert ownership.OWNER_STACK_TAG.startswith(_contract.TAG_NAMESPACE)
    assert ownership.OWNER_LOGICAL_ID_TAG.startswith(_contract.TAG_NAMESPACE)
    assert not _contract.TAG_NAMESPACE.startswith("aws:")
