"""Failures after the start: nothing produced is lost, then the error event, then a clean end."""

from __future__ import annotations

import json
import logging

import pytest

from tests.runtime.http_client import Client
from tests.runtime.services import PROBE, SECRET

GENERIC_PROBLEM = {
    "type": "about:blank",
    "title": "Internal Server Error",
    "status": 500,
    "detail": "The stream failed.",
}


@pytest.mark.parametrize("job", ["crash-late", "crash-late-paced"])
def test_events_before_a_failure_go_out_then_the_error_event(
    client: Client, job: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="ssegen.runtime"):
        reply = client.get(f"/jobs/{job}/events")
    assert reply.status == 200
    stream = reply.stream
    assert [(e.type, e.last_event_id) for e in stream.events] == [
        ("progress", "1"),
        ("progress", "2"),
        ("progress", "3"),
        ("failed", "4"),
    ]
    assert json.loads(stream.events[-1].data) == GENERIC_PROBLEM
    assert SECRET not in reply.body.decode()
    assert stream.complete  # a clean end: the chunked body was terminated
    assert any(r.exc_info and SECRET in str(r.exc_info[1]) for r in caplog.records)


def test_the_error_hook_builds_the_error_event(client: Client) -> None:
    reply = client.get("/jobs/hooked/events")
    events = reply.stream.events
    assert [(e.type, e.last_event_id) for e in events] == [("progress", "1"), ("failed", "2")]
    assert json.loads(events[-1].data) == {
        "type": "about:blank",
        "title": "Lookup failed",
        "status": 424,
        "detail": "from the hook",
    }


def test_an_undeclared_event_is_a_stream_error(client: Client) -> None:
    reply = client.get("/jobs/foreign/events")
    assert [(e.type, e.last_event_id) for e in reply.stream.events] == [
        ("progress", "1"),
        ("failed", "2"),
    ]


def test_default_text_error_event(client: Client) -> None:
    reply = client.get("/ticks", params={"mode": "crash", "delay": 0.5})
    # The keepalive started the response, so the failure is an event, not a 500.
    assert reply.status == 200
    assert reply.stream.comments
    assert [(e.type, e.data) for e in reply.stream.events] == [("failed", "The stream failed.")]


def test_without_an_error_event_the_stream_just_ends(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="ssegen.runtime"):
        reply = client.get("/notes/crash")
    assert reply.status == 200
    assert [(e.type, e.data, e.last_event_id) for e in reply.stream.events] == [
        ("note", "crash n-1", "n-1")
    ]
    assert reply.stream.complete
    assert SECRET not in reply.body.decode()
    assert any("notes" in r.getMessage() and r.exc_info for r in caplog.records)


def test_an_id_that_could_forge_a_field_ends_the_stream(client: Client) -> None:
    reply = client.get("/notes/bad-id")
    assert [(e.type, e.last_event_id) for e in reply.stream.events] == [("note", "n-1")]
    assert b"forged" not in reply.body
    assert reply.stream.complete


def test_a_terminal_event_ends_the_stream_and_closes_the_handler(client: Client) -> None:
    before = PROBE.count("terminal.closed")
    reply = client.get("/jobs/terminal/events")
    assert [e.type for e in reply.stream.events] == ["progress", "completed"]
    assert reply.stream.complete
    # The handler's generator was closed at its yield: it never resumed.
    assert PROBE.count("terminal.closed") == before + 1
    assert PROBE.count("terminal.resumed") == 0


@pytest.mark.parametrize(
    ("job", "key"), [("progress", "progress.closed"), ("crash-late", "crash-late.closed")]
)
def test_the_handler_finally_runs_before_the_response_ends(
    client: Client, job: str, key: str
) -> None:
    before = PROBE.count(key)
    client.get(f"/jobs/{job}/events")
    assert PROBE.count(key) == before + 1


def test_a_failing_cleanup_after_the_terminal_event_does_not_fail_the_stream(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="ssegen.runtime"):
        reply = client.get("/jobs/messy-cleanup/events")
    assert [(e.type, e.last_event_id) for e in reply.stream.events] == [
        ("progress", "1"),
        ("completed", "2"),
    ]
    assert reply.stream.complete
    assert any("closing its handler failed" in r.getMessage() for r in caplog.records)
