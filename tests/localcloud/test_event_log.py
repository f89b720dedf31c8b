"""The events PutEvents records: an append-only file of their own, read back up to a torn last line."""

import json

from localcloud.endpoint import Endpoint
from localcloud.personalize import Personalize
from localcloud.personalize.clock import ControlledClock

from .personalize_world import World


def test_events_are_appended_to_their_own_file_and_survive_a_restart(tmp_path):
    state = tmp_path / "state"
    clock = ControlledClock(paused=True)
    with Endpoint(
        state_dir=state, personalize=Personalize(state_file=state / "personalize.json", clock=clock)
    ) as first:
        world = World(first, clock)
        _, _, tracking_id = world.ready()
        world.put(tracking_id, {"itemId": "i1"}, {"itemId": "i2"})
        world.put(tracking_id, {"itemId": "i3"})
    log = state / "personalize-events.jsonl"
    lines = log.read_text().splitlines()
    assert [json.loads(line)["event"]["itemId"] for line in lines] == ["i1", "i2", "i3"]
    assert "events" not in json.loads((state / "personalize.json").read_text())  # not in the whole-state file
    assert tracking_id not in log.read_text()
    # a crash in the middle of a write leaves a torn last line: read up to it, and cut it off
    with log.open("ab") as file:
        file.write(b'{"datasetGroupArn": "arn:aws:personalize:us-east-1:1')
    restarted = Personalize(state_file=state / "personalize.json", clock=clock)
    assert [e["event"]["itemId"] for e in restarted.events] == ["i1", "i2", "i3"]
    assert log.read_text().splitlines() == lines
    # and the next event starts on a line of its own
    with Endpoint(state_dir=state, personalize=restarted) as second:
        World(second, clock).put(tracking_id, {"itemId": "i4"})
    assert [json.loads(line)["event"]["itemId"] for line in log.read_text().splitlines()] == ["i1", "i2", "i3", "i4"]


def test_events_a_state_file_held_before_move_to_the_log(tmp_path):
    state_file = tmp_path / "personalize.json"
    tracker = "arn:aws:personalize:us-east-1:123456789012:event-tracker/0a1b2c3d"
    group = "arn:aws:personalize:us-east-1:123456789012:dataset-group/shop"
    old = {"eventTrackerArn": tracker, "sessionId": "s", "userId": "u", "event": {"eventType": "click", "sentAt": 1.0}}
    state_file.write_text(
        json.dumps({"dataset_groups": {}, "trackers": {tracker: {"datasetGroupArn": group}}, "events": [old]})
    )
    service = Personalize(state_file=state_file)
    assert [(e["eventTrackerArn"], e["datasetGroupArn"], e["userId"]) for e in service.events] == [
        (tracker, group, "u")
    ]
    assert "events" not in json.loads(state_file.read_text())
    assert len(Personalize(state_file=state_file).events) == 1
