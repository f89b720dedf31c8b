"""The local cloud's controlled clock and the service's gates: what tests use to order events."""

import threading
import time

import pytest

from localcloud.personalize import Personalize
from localcloud.personalize.clock import ControlledClock


def test_a_paused_clock_stands_still_until_advanced():
    clock = ControlledClock(paused=True)
    start = clock()
    time.sleep(0.01)
    assert clock() == start
    clock.advance(2.5)
    assert clock() == start + 2.5
    clock.sleep(1.0)  # waiting on a paused clock moves it on, at once
    assert clock() == start + 3.5


def test_a_resumed_clock_runs_on_from_where_it_stood():
    clock = ControlledClock(paused=True)
    start = clock()
    time.sleep(0.05)  # skipped: the clock was paused
    clock.resume()
    assert not clock.paused
    assert clock() >= start
    assert time.time() - clock() >= 0.05  # the paused stretch was skipped, not caught up


def test_a_running_clock_follows_the_wall_clock_plus_what_was_advanced():
    clock = ControlledClock()
    clock.advance(100.0)
    assert clock() - time.time() == pytest.approx(100.0, abs=1.0)
    with pytest.raises(ValueError, match="cannot go back"):
        clock.advance(-1.0)


def test_a_closed_gate_holds_calls_until_it_opens():
    clock = ControlledClock(paused=True)
    service = Personalize(clock=clock)
    service.gates.close("ListDatasetGroups")
    answered = threading.Event()

    def call() -> None:
        service.call("ListDatasetGroups", {})
        answered.set()

    worker = threading.Thread(target=call, daemon=True)
    worker.start()
    while service.gates.waiting("ListDatasetGroups") == 0:
        time.sleep(0.01)
    assert not answered.is_set() and service.calls == []
    service.call("ListEventTrackers", {})  # other operations go through
    service.gates.open("ListDatasetGroups")
    worker.join(timeout=60)
    assert answered.is_set()
    assert [c.operation for c in service.calls] == ["ListEventTrackers", "ListDatasetGroups"]
