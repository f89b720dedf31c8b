"""Answers reach a real HTTPS ResponseURL, through 5xx refusals, and the URL is never logged."""

import logging

import pytest

from localcloud.cloudformation.response_server import ResponseServer
from personalize_event_tracker._handler import answers


@pytest.fixture
def response_server(monkeypatch):
    with ResponseServer() as server:
        monkeypatch.setenv("SSL_CERT_FILE", str(server.certificate_file))
        yield server


def body(request):
    return {
        "Status": "SUCCESS",
        "PhysicalResourceId": "id",
        "Reason": "",
        "Data": {},
        **{k: request[k] for k in ("StackId", "RequestId", "LogicalResourceId")},
    }


REQUEST = {"StackId": "arn:aws:cloudformation:us-east-1:1:stack/S/x", "RequestId": "r", "LogicalResourceId": "L"}


def test_an_answer_is_delivered_after_5xx_refusals(response_server, clock, caplog):
    caplog.set_level(logging.INFO)
    url = response_server.url_for(REQUEST)
    response_server.refuse_next(2, status=503)

    answers.put_answer(url, body(REQUEST))

    (answer,) = response_server.answers_to(url)
    assert answer.problems == []
    assert response_server.refused == 2
    assert clock.sleeps == [0.5, 1.0]
    assert "HTTP 503" in caplog.text
    assert url.split("?")[1] not in caplog.text and "/responses/" not in caplog.text


def test_a_4xx_is_not_retried(response_server, clock, caplog):
    url = response_server.url_for(REQUEST)
    response_server.refuse_next(1, status=403)

    answers.put_answer(url, body(REQUEST))

    assert response_server.answers_to(url) == []
    assert clock.sleeps == []
    assert "HTTP 403" in caplog.text


def test_delivery_gives_up_after_its_retries(response_server, clock, caplog):
    url = response_server.url_for(REQUEST)
    response_server.refuse_next(10, status=500)

    answers.put_answer(url, body(REQUEST))

    assert response_server.refused == len(answers.ANSWER_RETRY_PAUSES) + 1
    assert "not delivered after 6 tries (HTTP 500)" in caplog.text
