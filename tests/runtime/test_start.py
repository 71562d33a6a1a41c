"""The start of a response: the status is decided by the first event, not before."""

from __future__ import annotations

import json
import logging

import pytest

from tests.runtime.http_client import Client
from tests.runtime.services import PROBE, SECRET


def test_stream_headers(client: Client) -> None:
    reply = client.get("/jobs/progress/events")
    assert reply.status == 200
    assert reply.headers["content-type"] == "text/event-stream; charset=utf-8"
    assert reply.headers["cache-control"] == "no-cache"
    assert reply.headers["x-accel-buffering"] == "no"
    assert "content-length" not in reply.headers


def test_retry_is_sent_once_at_the_start(client: Client) -> None:
    reply = client.get("/jobs/progress/events", params={"count": 5})
    assert reply.stream.retry == [3000]
    assert reply.body.startswith(b"retry: 3000\n")


def test_a_handler_with_nothing_to_send_gets_204(client: Client) -> None:
    before = PROBE.count("empty.closed")
    reply = client.get("/jobs/empty/events")
    assert reply.status == 204
    assert reply.body == b""
    assert PROBE.count("empty.closed") == before + 1


def test_a_declared_empty_status_answers_a_response_without_events(client: Client) -> None:
    # `empty_status: 202`: MCP's answer to a notification, a response with no event.
    reply = client.post("/notify", json={"method": "notifications/initialized"})
    assert reply.status == 202
    assert reply.body == b""
    answered = client.post("/notify", json={"method": "tools/list"})
    assert answered.status == 200
    assert answered.stream.events[0].data == "done tools/list"


def test_resuming_past_the_end_gets_204(client: Client) -> None:
    reply = client.get("/jobs/progress/events", params={"count": 3}, headers={"Last-Event-ID": "4"})
    assert reply.status == 204


def test_http_exception_from_the_endpoint_keeps_its_status(client: Client) -> None:
    reply = client.get("/jobs/missing/events")
    assert reply.status == 404
    assert reply.headers["content-type"] == "application/problem+json"
    assert reply.headers["x-reason"] == "gone"
    assert json.loads(reply.body) == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": "No such job.",
    }


def test_http_exception_before_the_first_event_keeps_its_status(client: Client) -> None:
    reply = client.get("/jobs/forbidden/events")
    assert reply.status == 403
    assert reply.headers["content-type"] == "application/problem+json"
    assert reply.headers["www-authenticate"] == "Bearer"
    assert json.loads(reply.body) == {
        "type": "about:blank",
        "title": "Forbidden",
        "status": 403,
        "detail": "Not your job.",
    }


def test_problem_error_before_the_first_event_is_that_problem(client: Client) -> None:
    reply = client.get("/jobs/conflict/events")
    assert reply.status == 409
    assert json.loads(reply.body) == {
        "type": "https://example.test/paused",
        "title": "Conflict",
        "status": 409,
        "detail": "The job is paused.",
        "job": "conflict",
    }


def test_any_other_exception_before_the_first_event_is_a_bare_500(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="ssegen.runtime"):
        reply = client.get("/jobs/crash-early/events")
    assert reply.status == 500
    assert reply.headers["content-type"] == "application/problem+json"
    assert json.loads(reply.body) == {
        "type": "about:blank",
        "title": "Internal Server Error",
        "status": 500,
        "detail": "The stream failed.",
    }
    assert SECRET not in reply.body.decode()
    # The operator still learns what happened.
    failures = [r for r in caplog.records if r.name == "ssegen.runtime" and r.exc_info]
    assert any(SECRET in str(r.exc_info[1]) for r in failures if r.exc_info)
