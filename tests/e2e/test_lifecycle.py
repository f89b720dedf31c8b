"""Full lifecycles through the driver and the real bundled asset, on the local cloud."""

from localcloud.cloudformation.assembly import find_stack

from .conftest import artifact


def test_example_app_deploy_use_destroy(harness, example_assembly):
    # WHEN the example app, synthesized by the real CLI, is deployed
    outputs = harness.engine.deploy(find_stack(example_assembly))
    # THEN its tracker is ACTIVE and the output holds its trackingId
    (tracker,) = harness.trackers()
    assert tracker["status"] == "ACTIVE"
    assert tracker["name"] == "clickstream"
    assert outputs["TrackingId"] == tracker["trackingId"]
    assert tracker["tags"]["project"] == "clickstream-demo"
    stack_id = harness.engine.stacks["PersonalizeEventTrackerDemo"]["stack_id"]
    assert tracker["tags"]["personalize-event-tracker:stack-id"] == stack_id
    # AND the rest of the ingest path is there, named by the outputs: the Interactions dataset in
    # the tracker's group, the ingest function, the export bucket and the role exports use
    assert sorted(outputs) == [
        "ExportBucketName",
        "ExportRoleArn",
        "IngestFunctionName",
        "InteractionsDatasetArn",
        "TrackingId",
    ]
    (dataset,) = harness.service.snapshot()["datasets"]
    assert dataset["datasetArn"] == outputs["InteractionsDatasetArn"]
    assert (dataset["datasetType"], dataset["datasetGroupArn"]) == ("Interactions", tracker["datasetGroupArn"])
    resources = harness.engine.stacks["PersonalizeEventTrackerDemo"]["resources"]
    (ingest,) = [r for i, r in resources.items() if i.startswith("IngestFunction") and r["type"].endswith("Function")]
    assert ingest["physical_id"] == outputs["IngestFunctionName"]
    s3 = harness.endpoint.client("s3")
    s3.head_bucket(Bucket=outputs["ExportBucketName"])
    role_name = outputs["ExportRoleArn"].rsplit("/", 1)[1]
    assert harness.endpoint.client("iam").get_role(RoleName=role_name)["Role"]["Arn"] == outputs["ExportRoleArn"]
    # AND events sent with that trackingId are accepted
    events = harness.endpoint.client("personalize-events")
    import datetime

    events.put_events(
        trackingId=outputs["TrackingId"],
        sessionId="s",
        userId="u",
        eventList=[{"eventType": "click", "sentAt": datetime.datetime.now(datetime.timezone.utc), "itemId": "i"}],
    )
    assert [e["eventTrackerArn"] for e in harness.service.events] == [tracker["eventTrackerArn"]]
    # WHEN an export has left a file in the bucket, and the stack is destroyed
    custom = {i: r["type"] for i, r in resources.items() if r["type"].startswith("Custom::")}
    s3.put_object(Bucket=outputs["ExportBucketName"], Key="exports/part-00000.csv", Body=b"USER_ID\n")
    harness.engine.destroy("PersonalizeEventTrackerDemo")
    # THEN nothing is left: the bucket was emptied by its auto-delete custom resource (Node.js), then deleted
    state = harness.service.snapshot()
    assert (state["eventTrackers"], state["datasetGroups"], state["datasets"], state["schemas"]) == ([], [], [], [])
    assert outputs["ExportBucketName"] not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    (tracker_id,) = [i for i, kind in custom.items() if kind == "Custom::PersonalizeEventTracker"]
    (auto_delete,) = [i for i, kind in custom.items() if kind == "Custom::S3AutoDeleteObjects"]
    assert harness.requests(tracker_id) == ["Create", "Delete"]
    assert harness.requests(auto_delete) == ["Create", "Delete"]


def test_rename_in_the_same_dataset_group(harness, assemblies):
    first = harness.engine.deploy(artifact(assemblies, "base"))
    (old,) = harness.stack_trackers().values()

    second = harness.engine.deploy(artifact(assemblies, "renamed"))

    (new,) = harness.stack_trackers().values()
    (tracker,) = harness.trackers()  # the old one is gone: the group holds one tracker
    assert new != old and tracker["eventTrackerArn"] == new
    assert tracker["name"] == "clicks-v2" and tracker["status"] == "ACTIVE"
    assert list(second.values()) == [tracker["trackingId"]] != list(first.values())
    # the old id got CloudFormation's cleanup Delete, already satisfied
    assert harness.requests() == ["Create", "Update", "Delete"]
    harness.engine.destroy("E2E")
    assert harness.trackers() == []


def test_tags_change_updates_in_place(harness, assemblies):
    harness.engine.deploy(artifact(assemblies, "base"))
    (arn,) = harness.stack_trackers().values()

    harness.engine.deploy(artifact(assemblies, "retagged"))

    assert list(harness.stack_trackers().values()) == [arn]
    tags = harness.tracker(arn)["tags"]
    assert {k: v for k, v in tags.items() if ":" not in k} == {"team": "search", "env": "prod"}
    assert "personalize-event-tracker:logical-id" in tags
    assert harness.requests() == ["Create", "Update"]


def test_dataset_group_change_moves_the_tracker(harness, assemblies):
    harness.engine.deploy(artifact(assemblies, "base"))
    (old,) = harness.stack_trackers().values()

    harness.engine.deploy(artifact(assemblies, "regrouped"))

    (new,) = harness.stack_trackers().values()
    (tracker,) = harness.trackers()
    assert tracker["eventTrackerArn"] == new != old
    assert tracker["datasetGroupArn"].endswith("dataset-group/e2e-b")
    assert harness.requests() == ["Create", "Update", "Delete"]
    harness.engine.destroy("E2E")
    assert harness.service.snapshot()["datasetGroups"] == []


def test_ten_trackers_deployed_and_destroyed(harness, assemblies):
    outputs = harness.engine.deploy(artifact(assemblies, "ten"))

    trackers = harness.trackers()
    assert len(trackers) == 10 and {t["status"] for t in trackers} == {"ACTIVE"}
    assert sorted(outputs.values()) == sorted(t["trackingId"] for t in trackers)
    functions = [r for r in harness.engine.stacks["E2E"]["resources"].values() if r["type"] == "AWS::Lambda::Function"]
    assert len(functions) == 1
    harness.engine.destroy("E2E")
    state = harness.service.snapshot()
    assert (state["eventTrackers"], state["datasetGroups"]) == ([], [])
