"""Fifty trackers in one stack, created and deleted at once, under the service's rate limits."""

import pytest

from localcloud.personalize.rate_limits import TIGHT_LIMITS

from .conftest import artifact

pytestmark = pytest.mark.slow


def test_fifty_trackers_ride_out_rate_limits(harness, assemblies):
    # GIVEN CreateEventTracker limited to 2 calls per second (burst 2) and the reads to 2-5 per second
    harness.service.set_faults(rate_limits=TIGHT_LIMITS)

    # WHEN a stack of 50 trackers is deployed
    outputs = harness.engine.deploy(artifact(assemblies, "fifty"))

    # THEN every tracker is ACTIVE and its trackingId is an output
    trackers = harness.trackers()
    assert len(trackers) == 50 and {t["status"] for t in trackers} == {"ACTIVE"}
    assert sorted(outputs.values()) == sorted(t["trackingId"] for t in trackers)
    # AND the limits did bite, yet nothing throttled reached CloudFormation: every answer SUCCESS,
    # every invocation done in one Lambda attempt
    assert any(call.rate_limited for call in harness.service.calls)
    answers = [a.body for i in harness.engine.invocations for a in harness.responses.answers_to(i.response_url)]
    assert len(answers) == 50 and {a["Status"] for a in answers} == {"SUCCESS"}
    harness.engine.wait_for_invocations()
    assert {len(i.attempts) for i in harness.engine.invocations} == {1}

    # WHEN the stack is destroyed THEN everything is gone, each Delete answered SUCCESS
    harness.engine.destroy("E2E")
    state = harness.service.snapshot()
    assert (state["eventTrackers"], state["datasetGroups"]) == ([], [])
    answers = [a.body for i in harness.engine.invocations for a in harness.responses.answers_to(i.response_url)]
    assert len(answers) == 100 and {a["Status"] for a in answers} == {"SUCCESS"}
