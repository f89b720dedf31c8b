"""Dataset export jobs through boto3 at an in-process endpoint: CSV files in the endpoint's S3."""

import csv
import io
import json

import pytest

from localcloud.personalize import Personalize, exports
from localcloud.personalize.clock import ControlledClock
from localcloud.personalize.http import Emulator

from .personalize_world import DELAYS, INTERACTIONS_SCHEMA, NOW, error_of, past

ROLE = "arn:aws:iam::123456789012:role/PersonalizeExport"
HEADER = ["USER_ID", "ITEM_ID", "TIMESTAMP", "EVENT_TYPE", "EVENT_VALUE", "DEVICE"]


def export(world, dataset, name="export", path="s3://exports/clicks/", **kwargs):
    return world.personalize.create_dataset_export_job(
        jobName=name, datasetArn=dataset, roleArn=ROLE, jobOutput={"s3DataDestination": {"path": path}}, **kwargs
    )["datasetExportJobArn"]


def job_of(world, arn):
    return world.personalize.describe_dataset_export_job(datasetExportJobArn=arn)["datasetExportJob"]


def finish(world):
    world.clock.advance(past(DELAYS.export_pending, DELAYS.export_in_progress))


def read_csv(world, bucket, prefix):
    keys = sorted(o["Key"] for o in world.s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", []))
    files = [world.s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode() for key in keys]
    return keys, [list(csv.reader(io.StringIO(text))) for text in files]


@pytest.fixture
def bucket(world):
    world.s3.create_bucket(Bucket="exports")
    yield "exports"
    for page in world.s3.get_paginator("list_objects_v2").paginate(Bucket="exports"):
        for item in page.get("Contents", []):
            world.s3.delete_object(Bucket="exports", Key=item["Key"])
    world.s3.delete_bucket(Bucket="exports")


def test_a_put_export_writes_what_put_events_recorded(world, bucket):
    _, dataset, tracking_id = world.ready()
    world.put(tracking_id, {"itemId": "i1", "eventValue": 4.5, "properties": '{"device": "phone"}'}, {"itemId": "i2"})
    world.put(tracking_id, {"itemId": "i1", "eventValue": 4.5, "properties": '{"device": "phone"}'})  # the same again
    world.put(tracking_id, {"itemId": "i3", "impression": ["i3", "i4"]}, user=None)
    arn = export(world, dataset)
    assert arn == "arn:aws:personalize:us-east-1:123456789012:dataset-export-job/export"
    job = job_of(world, arn)
    assert (job["status"], job["ingestionMode"], job["roleArn"], job["datasetArn"]) == (
        "CREATE PENDING",
        "PUT",
        ROLE,
        dataset,
    )
    assert "failureReason" not in job
    world.clock.advance(past(DELAYS.export_pending))
    assert job_of(world, arn)["status"] == "CREATE IN_PROGRESS"
    world.clock.advance(past(DELAYS.export_in_progress))
    assert job_of(world, arn)["status"] == "ACTIVE"
    keys, (rows,) = read_csv(world, bucket, "clicks/")
    assert keys == ["clicks/export/part-00000.csv"]
    stamp = str(int(NOW.timestamp()))
    assert rows == [
        HEADER,
        ["u1", "i1", stamp, "click", "4.5", "phone"],  # records that match in every field: once
        ["u1", "i2", stamp, "click", "", ""],
        ["", "i3", stamp, "click", "", ""],
    ]
    (summary,) = world.personalize.list_dataset_export_jobs(datasetArn=dataset)["datasetExportJobs"]
    assert (summary["jobName"], summary["status"]) == ("export", "ACTIVE")


def test_the_header_is_the_schemas_fields_in_upper_case_in_its_order(world, bucket):
    # field names are matched in any case: Timestamp is the TIMESTAMP an Interactions dataset needs
    schema = {
        **INTERACTIONS_SCHEMA,
        "fields": [{"name": "Timestamp", "type": "long"}, *INTERACTIONS_SCHEMA["fields"][:2]],
    }
    group = world.group()
    dataset = world.dataset(group, world.schema("lower", schema))
    export(world, dataset, ingestionMode="BULK")
    finish(world)
    _, (rows,) = read_csv(world, bucket, "clicks/")
    assert rows == [["TIMESTAMP", "USER_ID", "ITEM_ID"]]  # BULK: no dataset import job exists, so no records


def test_events_sent_before_the_dataset_existed_are_exported_once_it_does(world, bucket):
    group = world.group()
    _, tracking_id = world.tracker(group)
    world.put(tracking_id, {"itemId": "early"})
    dataset = world.dataset(group, world.schema())
    world.put(tracking_id, {"itemId": "later"})
    arn = export(world, dataset, ingestionMode="ALL")
    world.put(tracking_id, {"itemId": "after-the-export-started"})
    finish(world)
    assert job_of(world, arn)["status"] == "ACTIVE"
    _, (rows,) = read_csv(world, bucket, "clicks/")
    assert [row[1] for row in rows[1:]] == ["early", "later"]


def test_a_deleted_interactions_dataset_takes_its_records_with_it(world, bucket):
    group, dataset, tracking_id = world.ready()
    world.put(tracking_id, {"itemId": "old"})
    world.personalize.delete_dataset(datasetArn=dataset)
    world.clock.advance(past(DELAYS.dataset_delete_pending, DELAYS.dataset_delete_in_progress))
    again = world.dataset(group, world.personalize.list_schemas()["schemas"][0]["schemaArn"])
    world.put(tracking_id, {"itemId": "new"})
    export(world, again)
    finish(world)
    _, (rows,) = read_csv(world, bucket, "clicks/")
    assert [row[1] for row in rows[1:]] == ["new"]


def test_a_missing_bucket_fails_the_job_with_a_reason(world):
    _, dataset, _ = world.ready()
    arn = export(world, dataset, path="s3://no-such-bucket/out")
    assert "failureReason" not in job_of(world, arn)
    finish(world)
    job = job_of(world, arn)
    assert job["status"] == "CREATE FAILED"
    assert job["failureReason"] == (
        "Could not write s3://no-such-bucket/out/export/part-00000.csv: "
        "The specified bucket does not exist (NoSuchBucket)"
    )
    (summary,) = world.personalize.list_dataset_export_jobs()["datasetExportJobs"]
    assert summary["failureReason"] == job["failureReason"]


def test_large_exports_are_split_into_files_each_with_the_header(world, bucket, monkeypatch):
    monkeypatch.setattr(exports, "ROWS_PER_FILE", 2)
    _, dataset, tracking_id = world.ready()
    world.put(tracking_id, *({"itemId": f"i{n}"} for n in range(5)))
    export(world, dataset, path="https://s3.us-east-1.amazonaws.com/exports/split")
    finish(world)
    keys, files = read_csv(world, bucket, "split/")
    assert keys == [f"split/export/part-0000{n}.csv" for n in range(3)]
    assert [len(rows) for rows in files] == [3, 3, 2] and all(rows[0] == HEADER for rows in files)


def test_what_create_dataset_export_job_refuses(world, bucket):
    group = world.group()
    schema = world.schema()
    creating = world.personalize.create_dataset(
        name="d", schemaArn=schema, datasetGroupArn=group, datasetType="Interactions"
    )["datasetArn"]
    _, code, message = error_of(export, world, creating)
    assert (code, message) == ("ResourceInUseException", f"Dataset {creating} is CREATE PENDING, not ACTIVE.")
    world.clock.advance(past(DELAYS.dataset_pending, DELAYS.dataset_in_progress))
    export(world, creating)
    assert error_of(export, world, creating)[1] == "ResourceAlreadyExistsException"
    missing = creating.replace("/shop/", "/nowhere/")
    assert error_of(export, world, missing, name="other")[1] == "ResourceNotFoundException"
    # a dataset being exported cannot be deleted
    assert error_of(world.personalize.delete_dataset, datasetArn=creating)[1] == "ResourceInUseException"


def test_without_a_writer_an_export_fails_saying_why():
    clock = ControlledClock(paused=True)
    with Emulator(Personalize(clock=clock)) as alone:  # a Personalize alone: no endpoint, no S3
        client = alone.client(attempts=1)
        group = client.create_dataset_group(name="g")["datasetGroupArn"]
        clock.advance(past(DELAYS.dataset_group_pending, DELAYS.dataset_group_in_progress))
        schema = client.create_schema(name="s", schema=json.dumps(INTERACTIONS_SCHEMA))["schemaArn"]
        dataset = client.create_dataset(name="d", schemaArn=schema, datasetGroupArn=group, datasetType="Interactions")[
            "datasetArn"
        ]
        clock.advance(past(DELAYS.dataset_pending, DELAYS.dataset_in_progress))
        arn = client.create_dataset_export_job(
            jobName="j", datasetArn=dataset, roleArn=ROLE, jobOutput={"s3DataDestination": {"path": "s3://b/"}}
        )["datasetExportJobArn"]
        clock.advance(past(DELAYS.export_pending, DELAYS.export_in_progress))
        job = client.describe_dataset_export_job(datasetExportJobArn=arn)["datasetExportJob"]
    assert (job["status"], job["failureReason"]) == ("CREATE FAILED", exports.NO_WRITER)
