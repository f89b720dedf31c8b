"""The Personalize emulator, through boto3 over real HTTP: the service's rules and shapes.

The service's clock is paused: each test moves it on by exactly the time it means, so a status
window, the read lag or a rate-limit refill is never closed by a busy machine.
"""

import datetime
import json
import urllib.request

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from localcloud.personalize import Delays, Personalize
from localcloud.personalize.clock import ControlledClock
from localcloud.personalize.http import Emulator

DELAYS = Delays()


def past(*delays):
    """Just past the end of these statuses (a step on exactly the boundary would meet float rounding)."""
    return sum(delays) + 1e-6


@pytest.fixture
def clock():
    return ControlledClock(paused=True)


@pytest.fixture
def emulator(tmp_path, clock):
    with Emulator(Personalize(state_file=tmp_path / "state.json", clock=clock)) as running:
        yield running


@pytest.fixture
def client(emulator):
    return emulator.client(attempts=1)  # errors as the service answers them, not retried


@pytest.fixture
def events(emulator):
    return emulator.client("personalize-events")


def error_of(call, *args, **kwargs):
    with pytest.raises(ClientError) as raised:
        call(*args, **kwargs)
    return raised.value.response["Error"]["Code"], raised.value.response["Error"]["Message"]


def active_group(client, clock, name="shop"):
    arn = client.create_dataset_group(name=name)["datasetGroupArn"]
    clock.advance(past(DELAYS.dataset_group_pending, DELAYS.dataset_group_in_progress))
    assert client.describe_dataset_group(datasetGroupArn=arn)["datasetGroup"]["status"] == "ACTIVE"
    return arn


def tracker_status(client, arn):
    return client.describe_event_tracker(eventTrackerArn=arn)["eventTracker"]["status"]


def admin(emulator, action, payload=None):
    request = urllib.request.Request(
        f"{emulator.endpoint_url}/_localcloud/{action}",
        data=None if payload is None else json.dumps(payload).encode(),
        method="GET" if payload is None else "POST",
    )
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())


def test_statuses_follow_the_clock(client, clock):
    group = client.create_dataset_group(name="shop")["datasetGroupArn"]
    assert group == "arn:aws:personalize:us-east-1:123456789012:dataset-group/shop"

    def group_status():
        return client.describe_dataset_group(datasetGroupArn=group)["datasetGroup"]["status"]

    assert group_status() == "CREATE PENDING"
    clock.advance(past(DELAYS.dataset_group_pending))
    assert group_status() == "CREATE IN_PROGRESS"
    clock.advance(past(DELAYS.dataset_group_in_progress))
    assert group_status() == "ACTIVE"
    created = client.create_event_tracker(name="clicks", datasetGroupArn=group)
    arn, tracking_id = created["eventTrackerArn"], created["trackingId"]
    assert arn.startswith("arn:aws:personalize:us-east-1:123456789012:event-tracker/")
    assert tracker_status(client, arn) == "CREATE PENDING"
    clock.advance(past(DELAYS.tracker_pending))
    assert tracker_status(client, arn) == "CREATE IN_PROGRESS"
    clock.advance(past(DELAYS.tracker_in_progress))
    assert tracker_status(client, arn) == "ACTIVE"
    tracker = client.describe_event_tracker(eventTrackerArn=arn)["eventTracker"]
    assert (tracker["trackingId"], tracker["datasetGroupArn"], tracker["name"]) == (tracking_id, group, "clicks")
    assert isinstance(tracker["creationDateTime"], datetime.datetime)
    client.delete_event_tracker(eventTrackerArn=arn)
    assert tracker_status(client, arn) == "DELETE PENDING"
    clock.advance(past(DELAYS.tracker_delete_pending))
    assert tracker_status(client, arn) == "DELETE IN_PROGRESS"
    assert [t["eventTrackerArn"] for t in client.list_event_trackers()["eventTrackers"]] == [arn]
    clock.advance(past(DELAYS.tracker_delete_in_progress))
    assert client.list_event_trackers()["eventTrackers"] == []
    assert error_of(client.describe_event_tracker, eventTrackerArn=arn)[0] == "ResourceNotFoundException"


def test_one_tracker_per_dataset_group(client, clock):
    group = active_group(client, clock)
    client.create_event_tracker(name="first", datasetGroupArn=group)
    code, message = error_of(client.create_event_tracker, name="second", datasetGroupArn=group)
    assert code == "ResourceAlreadyExistsException" and group in message


def test_no_tracker_on_a_group_that_is_not_active(client):
    group = client.create_dataset_group(name="shop")["datasetGroupArn"]
    assert error_of(client.create_event_tracker, name="t", datasetGroupArn=group)[0] == "ResourceInUseException"


def test_no_tracker_on_a_missing_group(client):
    missing = "arn:aws:personalize:us-east-1:123456789012:dataset-group/missing"
    assert error_of(client.create_event_tracker, name="t", datasetGroupArn=missing)[0] == "ResourceNotFoundException"


def test_a_group_with_a_tracker_cannot_be_deleted(client, clock):
    group = active_group(client, clock)
    client.create_event_tracker(name="t", datasetGroupArn=group)
    assert error_of(client.delete_dataset_group, datasetGroupArn=group)[0] == "ResourceInUseException"


def test_a_tracker_being_created_cannot_be_deleted(client, clock):
    group = active_group(client, clock)
    arn = client.create_event_tracker(name="t", datasetGroupArn=group)["eventTrackerArn"]
    assert error_of(client.delete_event_tracker, eventTrackerArn=arn)[0] == "ResourceInUseException"


def test_requests_are_validated_against_the_model(client, emulator):
    # botocore's client-side validation is off, so the emulator sees what the service would
    raw = boto3.client(
        "personalize",
        region_name="us-east-1",
        endpoint_url=emulator.endpoint_url,
        aws_access_key_id="t",
        aws_secret_access_key="t",
        config=Config(parameter_validation=False),
    )
    code, message = error_of(raw.create_event_tracker, name="bad name", datasetGroupArn="nope")
    assert code == "InvalidInputException"
    assert message.startswith("2 validation errors detected: Value 'bad name' at 'name' failed to satisfy")
    assert "regular expression pattern: arn:([a-z\\d-]+):personalize:.*:.*:.+" in message
    code, message = error_of(raw.describe_event_tracker)
    assert (code, message) == ("InvalidInputException", 'Missing required parameter in input: "eventTrackerArn"')
    code, message = error_of(raw.create_event_tracker, name="x" * 64, datasetGroupArn="arn:aws:personalize:x:1:y")
    assert "Member must have length less than or equal to 63" in message


def test_list_event_trackers_filters_and_paginates(client, clock):
    groups = [active_group(client, clock, f"g{i}") for i in range(3)]
    for index, group in enumerate(groups):
        client.create_event_tracker(name=f"t{index}", datasetGroupArn=group)
    first = client.list_event_trackers(maxResults=2)
    assert len(first["eventTrackers"]) == 2 and "nextToken" in first
    second = client.list_event_trackers(maxResults=2, nextToken=first["nextToken"])
    assert len(second["eventTrackers"]) == 1 and "nextToken" not in second
    (only,) = client.list_event_trackers(datasetGroupArn=groups[1])["eventTrackers"]
    assert only["name"] == "t1" and set(only) == {
        "name",
        "eventTrackerArn",
        "status",
        "creationDateTime",
        "lastUpdatedDateTime",
    }
    pages = client.get_paginator("list_event_trackers").paginate(PaginationConfig={"PageSize": 1})
    assert [t["name"] for page in pages for t in page["eventTrackers"]] == ["t0", "t1", "t2"]
    assert error_of(client.list_event_trackers, nextToken="garbage")[0] == "InvalidNextTokenException"


def test_tags(client, clock):
    group = active_group(client, clock)
    arn = client.create_event_tracker(name="t", datasetGroupArn=group, tags=[{"tagKey": "a", "tagValue": "1"}])[
        "eventTrackerArn"
    ]
    client.tag_resource(resourceArn=arn, tags=[{"tagKey": "b", "tagValue": "2"}, {"tagKey": "a", "tagValue": "3"}])
    client.untag_resource(resourceArn=arn, tagKeys=["b"])
    assert client.list_tags_for_resource(resourceArn=arn)["tags"] == [{"tagKey": "a", "tagValue": "3"}]
    missing = arn[:-8] + "00000000"
    assert error_of(client.list_tags_for_resource, resourceArn=missing)[0] == "ResourceNotFoundException"
    # 50 tags per resource: the request list may hold 200, the resource not
    tags = client.list_tags_for_resource
    more = [{"tagKey": f"k{i}", "tagValue": "v"} for i in range(49)]
    code, message = error_of(client.tag_resource, resourceArn=arn, tags=[*more, {"tagKey": "k49", "tagValue": "v"}])
    assert code == "TooManyTagsException" and "at most 50 tags" in message
    client.tag_resource(resourceArn=arn, tags=more)  # 49 new and "a": 50
    assert len(tags(resourceArn=arn)["tags"]) == 50
    fifty_one = [{"tagKey": f"n{i}", "tagValue": "v"} for i in range(51)]
    other = active_group(client, clock, "other")
    code, _ = error_of(client.create_event_tracker, name="t", datasetGroupArn=other, tags=fifty_one)
    assert code == "TooManyTagsException"


def test_put_events_only_for_an_active_tracker(client, events, emulator, clock):
    group = active_group(client, clock)
    created = client.create_event_tracker(name="t", datasetGroupArn=group)
    now = datetime.datetime.now(datetime.timezone.utc)
    event = {"eventType": "click", "sentAt": now, "itemId": "i1"}
    code, _ = error_of(events.put_events, trackingId=created["trackingId"], sessionId="s", eventList=[event])
    assert code == "ResourceNotFoundException"  # not ACTIVE yet: unknown to the data plane
    clock.advance(past(DELAYS.tracker_pending, DELAYS.tracker_in_progress))
    assert tracker_status(client, created["eventTrackerArn"]) == "ACTIVE"
    events.put_events(trackingId=created["trackingId"], sessionId="s", userId="u", eventList=[event, event])
    recorded = emulator.service.events
    assert len(recorded) == 2 and recorded[0]["event"]["itemId"] == "i1"
    assert recorded[0]["eventTrackerArn"] == created["eventTrackerArn"]
    assert abs(recorded[0]["event"]["sentAt"] - now.timestamp()) < 0.01
    code, _ = error_of(events.put_events, trackingId="unknown", sessionId="s", eventList=[event])
    assert code == "ResourceNotFoundException"


def test_faults_through_the_admin_interface(client, emulator):
    admin(
        emulator,
        "faults",
        {
            "throttle": {"ListDatasetGroups": ["LimitExceededException", "ThrottlingException"]},
            "server_errors": {"DescribeDatasetGroup": 1},
        },
    )
    assert error_of(client.list_dataset_groups)[0] == "LimitExceededException"
    assert error_of(client.list_dataset_groups)[0] == "ThrottlingException"
    assert client.list_dataset_groups()["datasetGroups"] == []
    with pytest.raises(ClientError) as raised:
        client.describe_dataset_group(datasetGroupArn="arn:aws:personalize:us-east-1:123456789012:dataset-group/x")
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    calls = [(c["operation"], c["outcome"]) for c in admin(emulator, "state")["calls"]]
    assert calls == [
        ("ListDatasetGroups", "LimitExceededException"),
        ("ListDatasetGroups", "ThrottlingException"),
        ("ListDatasetGroups", "OK"),
        ("DescribeDatasetGroup", "InternalServerError"),
    ]


def test_forced_create_failure_and_slow_transitions(client, emulator, clock):
    group = active_group(client, clock)
    emulator.service.set_faults(fail_tracker_creations=1, slow={"tracker_in_progress": 0.5})
    arn = client.create_event_tracker(name="t", datasetGroupArn=group)["eventTrackerArn"]
    clock.advance(past(DELAYS.tracker_pending, DELAYS.tracker_in_progress))
    assert tracker_status(client, arn) == "CREATE IN_PROGRESS"  # the slow fault's half second is still to come
    clock.advance(0.5)
    assert tracker_status(client, arn) == "CREATE FAILED"


def test_out_of_band_delete_and_reset(client, emulator, clock):
    group = active_group(client, clock)
    arn = client.create_event_tracker(name="t", datasetGroupArn=group)["eventTrackerArn"]
    admin(emulator, "delete-event-tracker", {"eventTrackerArn": arn})
    assert error_of(client.describe_event_tracker, eventTrackerArn=arn)[0] == "ResourceNotFoundException"
    admin(emulator, "reset", {})
    assert admin(emulator, "state")["datasetGroups"] == []


def test_unsigned_requests_are_refused(emulator):
    request = urllib.request.Request(
        emulator.endpoint_url,
        data=b"{}",
        method="POST",
        headers={"X-Amz-Target": "AmazonPersonalize.ListDatasetGroups"},
    )
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request)
    assert raised.value.code == 403
    assert json.loads(raised.value.read())["__type"] == "MissingAuthenticationTokenException"


def test_state_survives_a_restart(client, emulator, tmp_path, clock):
    group = active_group(client, clock)
    arn = client.create_event_tracker(name="t", datasetGroupArn=group)["eventTrackerArn"]
    # the same (paused) clock: the tracker was made at its time, ahead of the wall clock
    with Emulator(Personalize(state_file=tmp_path / "state.json", clock=clock)) as restarted:
        again = restarted.client()
        assert again.describe_event_tracker(eventTrackerArn=arn)["eventTracker"]["datasetGroupArn"] == group


def test_latency_fault_delays_only_its_operation(client, emulator, clock):
    emulator.service.set_faults(latency={"ListDatasetGroups": 0.4})
    started = clock()
    client.list_dataset_groups()
    client.list_event_trackers()
    # the paused clock moved on by the latency of the one slow call, and by nothing else
    assert [(c.operation, round(c.at - started, 6)) for c in emulator.service.calls] == [
        ("ListDatasetGroups", 0.4),
        ("ListEventTrackers", 0.4),
    ]


def test_rate_limits_are_token_buckets_per_operation(client, emulator, clock):
    emulator.service.set_faults(
        rate_limits={"CreateDatasetGroup": {"rate": 2, "burst": 2}, "ListDatasetGroups": {"rate": 5, "burst": 1}}
    )
    # a full bucket lets the burst through, then refuses: Create* with LimitExceeded, others with Throttling
    client.create_dataset_group(name="a")
    client.create_dataset_group(name="b")
    assert error_of(client.create_dataset_group, name="c")[0] == "LimitExceededException"
    client.list_dataset_groups()
    assert error_of(client.list_dataset_groups)[0] == "ThrottlingException"
    client.describe_dataset_group(datasetGroupArn=_group_arn("a"))  # an operation without a limit
    # the bucket refills at its rate: after 0.5 s, one more create, and only one
    clock.advance(0.5)
    client.create_dataset_group(name="c")
    assert error_of(client.create_dataset_group, name="d")[0] == "LimitExceededException"
    refused = [c for c in admin(emulator, "state")["calls"] if c["rate_limited"]]
    assert [(c["operation"], c["outcome"]) for c in refused] == [
        ("CreateDatasetGroup", "LimitExceededException"),
        ("ListDatasetGroups", "ThrottlingException"),
        ("CreateDatasetGroup", "LimitExceededException"),
    ]


def _group_arn(name):
    return f"arn:aws:personalize:us-east-1:123456789012:dataset-group/{name}"


@pytest.mark.parametrize("code", ["ResourceAlreadyExistsException", "LimitExceededException"])
def test_the_one_tracker_rule_answers_with_the_chosen_error(client, emulator, clock, code):
    emulator.service.set_faults(one_tracker_error=code)
    group = active_group(client, clock)
    client.create_event_tracker(name="t", datasetGroupArn=group)
    assert error_of(client.create_event_tracker, name="u", datasetGroupArn=group)[0] == code


def test_the_one_tracker_error_is_one_of_the_plausible_two(emulator):
    with pytest.raises(ValueError, match="one_tracker_error must be one of"):
        emulator.service.set_faults(one_tracker_error="InvalidInputException")


def test_read_lag_hides_a_new_tracker_from_reads_only(client, emulator, clock):
    emulator.service.set_faults(read_lag=0.6)
    group = active_group(client, clock)
    arn = client.create_event_tracker(name="t", datasetGroupArn=group)["eventTrackerArn"]
    # reads do not see it yet...
    assert error_of(client.describe_event_tracker, eventTrackerArn=arn)[0] == "ResourceNotFoundException"
    assert error_of(client.list_tags_for_resource, resourceArn=arn)[0] == "ResourceNotFoundException"
    assert client.list_event_trackers(datasetGroupArn=group)["eventTrackers"] == []
    # ...writes do: the group is taken
    code, _ = error_of(client.create_event_tracker, name="u", datasetGroupArn=group)
    assert code == "ResourceAlreadyExistsException"
    clock.advance(past(0.6))
    assert client.describe_event_tracker(eventTrackerArn=arn)["eventTracker"]["name"] == "t"
    assert [t["eventTrackerArn"] for t in client.list_event_trackers(datasetGroupArn=group)["eventTrackers"]] == [arn]
