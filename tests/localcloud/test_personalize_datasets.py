"""Personalize's schemas and datasets, through boto3 at an in-process endpoint, on a paused clock."""

import json

import pytest

from .personalize_world import DELAYS, INTERACTIONS_SCHEMA, error_of, past

ITEMS_SCHEMA = {
    "type": "record",
    "name": "Items",
    "fields": [
        {"name": "ITEM_ID", "type": "string"},
        {"name": "GENRES", "type": ["null", "string"], "categorical": True},
    ],
}


def with_fields(*fields):
    return {"type": "record", "name": "S", "fields": [{"name": name, "type": kind} for name, kind in fields]}


# --- schemas ---------------------------------------------------------------------------------------


def test_a_schema_is_created_described_listed_and_deleted(world):
    arn = world.schema("interactions")
    assert arn == "arn:aws:personalize:us-east-1:123456789012:schema/interactions"
    described = world.personalize.describe_schema(schemaArn=arn)["schema"]
    assert (described["name"], json.loads(described["schema"])) == ("interactions", INTERACTIONS_SCHEMA)
    assert [s["schemaArn"] for s in world.personalize.list_schemas()["schemas"]] == [arn]
    assert error_of(world.personalize.create_schema, name="interactions", schema=described["schema"])[1] == (
        "ResourceAlreadyExistsException"
    )
    world.personalize.delete_schema(schemaArn=arn)
    assert error_of(world.personalize.describe_schema, schemaArn=arn)[1] == "ResourceNotFoundException"


@pytest.mark.parametrize(
    ("schema", "wording"),
    [
        ("{not json", "The schema is not a valid Avro schema: Error parsing JSON"),
        ('{"type": "record", "name": "S", "fields": [{"name": "A", "type": "strin"}]}', 'Type property "strin"'),
        ('{"type": "record", "fields": []}', "The schema is not a valid Avro schema: Name None"),
        ('"string"', 'The schema must be an Avro record ("type": "record"), not \'string\''),
        (json.dumps(with_fields(("TAGS", {"type": "array", "items": "string"}))), "Field TAGS has type"),
        (json.dumps(with_fields(("X", ["null", "string", "long"]))), "or a union of null and one of them"),
    ],
    ids=["not-json", "unknown-type", "no-name", "not-a-record", "array-field", "wide-union"],
)
def test_a_schema_that_is_not_valid_avro_for_personalize_is_refused(world, schema, wording):
    status, code, message = error_of(world.personalize.create_schema, name="bad", schema=schema)
    assert (status, code) == (400, "InvalidInputException")
    assert wording in message
    assert world.personalize.list_schemas()["schemas"] == []


def test_a_schema_in_use_cannot_be_deleted(world):
    group, schema = world.group(), world.schema()
    dataset = world.dataset(group, schema)
    _, code, message = error_of(world.personalize.delete_schema, schemaArn=schema)
    assert code == "ResourceInUseException" and dataset in message
    world.personalize.delete_dataset(datasetArn=dataset)
    world.clock.advance(past(DELAYS.dataset_delete_pending, DELAYS.dataset_delete_in_progress))
    world.personalize.delete_schema(schemaArn=schema)


# --- datasets --------------------------------------------------------------------------------------


def test_a_datasets_status_follows_the_clock(world):
    group, schema = world.group(), world.schema()
    arn = world.personalize.create_dataset(
        name="interactions", schemaArn=schema, datasetGroupArn=group, datasetType="interactions"
    )["datasetArn"]
    assert arn == "arn:aws:personalize:us-east-1:123456789012:dataset/shop/INTERACTIONS"

    def described():
        return world.personalize.describe_dataset(datasetArn=arn)["dataset"]

    assert described()["status"] == "CREATE PENDING"
    world.clock.advance(past(DELAYS.dataset_pending))
    assert described()["status"] == "CREATE IN_PROGRESS"
    world.clock.advance(past(DELAYS.dataset_in_progress))
    dataset = described()
    assert (dataset["status"], dataset["datasetType"], dataset["schemaArn"], dataset["datasetGroupArn"]) == (
        "ACTIVE",
        "Interactions",  # the type as documented, whatever case the request used
        schema,
        group,
    )
    (summary,) = world.personalize.list_datasets(datasetGroupArn=group)["datasets"]
    assert set(summary) == {"name", "datasetArn", "datasetType", "status", "creationDateTime", "lastUpdatedDateTime"}
    world.personalize.delete_dataset(datasetArn=arn)
    assert described()["status"] == "DELETE PENDING"
    world.clock.advance(past(DELAYS.dataset_delete_pending))
    assert described()["status"] == "DELETE IN_PROGRESS"
    world.clock.advance(past(DELAYS.dataset_delete_in_progress))
    assert error_of(world.personalize.describe_dataset, datasetArn=arn)[1] == "ResourceNotFoundException"
    assert world.personalize.list_datasets()["datasets"] == []


def test_one_dataset_of_each_type_per_group(world):
    group = world.group()
    world.dataset(group, world.schema())
    items = world.dataset(group, world.schema("items", ITEMS_SCHEMA), kind="Items", name="items")
    assert items.endswith("dataset/shop/ITEMS")
    _, code, message = error_of(
        world.personalize.create_dataset,
        name="again",
        schemaArn=world.personalize.list_schemas()["schemas"][0]["schemaArn"],
        datasetGroupArn=group,
        datasetType="Interactions",
    )
    assert code == "ResourceAlreadyExistsException" and "already has a dataset of type Interactions" in message


def test_a_dataset_needs_an_active_group(world):
    group = world.personalize.create_dataset_group(name="new")["datasetGroupArn"]
    _, code, message = error_of(
        world.personalize.create_dataset, name="d", schemaArn=world.schema(), datasetGroupArn=group, datasetType="Users"
    )
    assert (code, message) == ("ResourceInUseException", f"Dataset group {group} is CREATE PENDING, not ACTIVE.")
    missing = group.replace("/new", "/missing")
    assert (
        error_of(
            world.personalize.create_dataset,
            name="d",
            schemaArn=world.schema("s2"),
            datasetGroupArn=missing,
            datasetType="Users",
        )[1]
        == "ResourceNotFoundException"
    )


@pytest.mark.parametrize(
    ("kind", "fields", "wording"),
    [
        ("Interactions", [("USER_ID", "string"), ("TIMESTAMP", "long")], "lacks the required field(s) ITEM_ID"),
        ("Interactions", [("USER_ID", "string"), ("ITEM_ID", "string")], "lacks the required field(s) TIMESTAMP"),
        (
            "Interactions",
            [("USER_ID", "string"), ("ITEM_ID", "string"), ("TIMESTAMP", "string")],
            'field TIMESTAMP must be of type "long" (not null), not "string"',
        ),
        (
            "Interactions",
            [("USER_ID", ["null", "string"]), ("ITEM_ID", "string"), ("TIMESTAMP", "long")],
            'field USER_ID must be of type "string" (not null), not ["null", "string"]',
        ),
        ("Items", [("USER_ID", "string")], "lacks the required field(s) ITEM_ID (required: ITEM_ID)"),
        ("Users", [("ITEM_ID", "string")], "lacks the required field(s) USER_ID (required: USER_ID)"),
    ],
    ids=["no-item-id", "no-timestamp", "timestamp-not-long", "nullable-user-id", "items", "users"],
)
def test_the_schema_must_fit_the_dataset_type(world, kind, fields, wording):
    group, schema = world.group(), world.schema("s", with_fields(*fields))
    status, code, message = error_of(
        world.personalize.create_dataset, name="d", schemaArn=schema, datasetGroupArn=group, datasetType=kind
    )
    assert (status, code) == (400, "InvalidInputException")
    assert f"Schema {schema} cannot be used for a dataset of type {kind}" in message and wording in message


def test_an_unknown_dataset_type_is_refused_naming_the_valid_ones(world):
    group, schema = world.group(), world.schema()
    _, code, message = error_of(
        world.personalize.create_dataset, name="d", schemaArn=schema, datasetGroupArn=group, datasetType="Clicks"
    )
    assert code == "InvalidInputException"
    valid = "Interactions, Items, Users, Actions, Action_Interactions"
    assert message == f"Dataset type Clicks is not valid. Valid dataset types: {valid}."


def test_a_group_with_datasets_cannot_be_deleted_until_they_are_gone(world):
    group = world.group()
    dataset = world.dataset(group, world.schema())
    _, code, message = error_of(world.personalize.delete_dataset_group, datasetGroupArn=group)
    assert code == "ResourceInUseException" and dataset in message
    world.personalize.delete_dataset(datasetArn=dataset)
    # still being deleted: still there
    assert error_of(world.personalize.delete_dataset_group, datasetGroupArn=group)[1] == "ResourceInUseException"
    world.clock.advance(past(DELAYS.dataset_delete_pending, DELAYS.dataset_delete_in_progress))
    world.personalize.delete_dataset_group(datasetGroupArn=group)


def test_a_dataset_being_created_cannot_be_deleted(world):
    group, schema = world.group(), world.schema()
    arn = world.personalize.create_dataset(name="d", schemaArn=schema, datasetGroupArn=group, datasetType="Users")[
        "datasetArn"
    ]
    assert error_of(world.personalize.delete_dataset, datasetArn=arn)[1] == "ResourceInUseException"


def test_a_datasets_tags(world):
    group, schema = world.group(), world.schema()
    arn = world.personalize.create_dataset(
        name="d",
        schemaArn=schema,
        datasetGroupArn=group,
        datasetType="Interactions",
        tags=[{"tagKey": "a", "tagValue": "1"}],
    )["datasetArn"]
    world.personalize.tag_resource(resourceArn=arn, tags=[{"tagKey": "b", "tagValue": "2"}])
    world.personalize.untag_resource(resourceArn=arn, tagKeys=["a"])
    assert world.personalize.list_tags_for_resource(resourceArn=arn)["tags"] == [{"tagKey": "b", "tagValue": "2"}]


def test_a_schema_of_another_domain_is_refused(world):
    group = world.personalize.create_dataset_group(name="video", domain="VIDEO_ON_DEMAND")["datasetGroupArn"]
    world.clock.advance(past(DELAYS.dataset_group_pending, DELAYS.dataset_group_in_progress))
    _, code, message = error_of(
        world.personalize.create_dataset,
        name="d",
        schemaArn=world.schema(),
        datasetGroupArn=group,
        datasetType="Interactions",
    )
    assert code == "InvalidInputException" and "does not match the domain of dataset group" in message
