"""The example app's ingest function (inline code in app.py), run as Lambda imports it, with its
Personalize Events client stubbed."""

import types
from collections.abc import Iterator

import pytest
from botocore.stub import Stubber

from app import INGEST_CODE

TRACKING_ID = "0123abcd-tracking-id"


@pytest.fixture
def ingest(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[types.ModuleType, Stubber]]:
    """The inline code as the module `index` Lambda's runtime would import, and its client's stubber."""
    monkeypatch.setenv("TRACKING_ID", TRACKING_ID)
    module = types.ModuleType("index")
    exec(compile(INGEST_CODE, "index.py", "exec"), module.__dict__)  # noqa: S102 - the app's own code
    with Stubber(module.personalize_events) as stubber:
        yield module, stubber
        stubber.assert_no_pending_responses()


def events(count: int) -> list[dict[str, object]]:
    return [{"eventType": "click", "itemId": f"item-{n}", "sentAt": 1_700_000_000 + n} for n in range(count)]


def test_a_batch_goes_out_in_put_events_calls_of_ten_with_the_trackers_id(ingest) -> None:
    module, stubber = ingest
    batch = events(12)
    # GIVEN PutEvents takes at most ten events: the batch is sent in order, ten then two
    for chunk in (batch[:10], batch[10:]):
        stubber.add_response(
            "put_events",
            {},
            {"trackingId": TRACKING_ID, "userId": "u1", "sessionId": "s1", "eventList": chunk},
        )

    answer = module.handler({"userId": "u1", "sessionId": "s1", "events": batch}, None)

    assert answer == {"sent": 12}


def test_only_the_known_fields_of_an_event_are_sent(ingest) -> None:
    module, stubber = ingest
    (event,) = events(1)
    stubber.add_response(
        "put_events", {}, {"trackingId": TRACKING_ID, "userId": "u1", "sessionId": "s1", "eventList": [event]}
    )

    answer = module.handler({"userId": "u1", "sessionId": "s1", "events": [{**event, "price": 3}]}, None)

    assert answer == {"sent": 1}


def test_no_events_means_no_call(ingest) -> None:
    module, _ = ingest

    assert module.handler({"userId": "u1", "sessionId": "s1", "events": []}, None) == {"sent": 0}


def test_an_event_without_an_item_fails_the_invocation_before_any_call(ingest) -> None:
    module, _ = ingest

    with pytest.raises(KeyError, match="itemId"):
        module.handler({"userId": "u1", "sessionId": "s1", "events": [{"eventType": "click", "sentAt": 1}]}, None)
