"""Framing on the wire, as a WHATWG parser reads it back."""

from __future__ import annotations

import json

import pytest
from runtime_streams import LogEvent, Progress, ProgressEvent
from runtime_streams.streams import JOB_EVENTS
from ssegen.runtime import EventSpec, StreamSpec, encode_event

from tests.runtime.http_client import Client
from tests.runtime.payloads import HOSTILE_TEXTS, as_received


def test_hostile_payloads_arrive_intact(client: Client) -> None:
    reply = client.get("/jobs/hostile/events")
    assert reply.status == 200
    events = reply.stream.events
    expected: list[tuple[str, object]] = []
    for text in HOSTILE_TEXTS:
        expected.append(("log", as_received(text)))
        expected.append(("progress", {"percent": 1, "stageName": text}))
    expected.append(("completed", ""))
    got: list[tuple[str, object]] = [
        (e.type, json.loads(e.data) if e.type == "progress" else e.data) for e in events
    ]
    assert got == expected
    # Numbered 1, 2, 3 ... in order, whatever the payloads tried to forge.
    assert [e.last_event_id for e in events] == [str(i) for i in range(1, len(expected) + 1)]
    assert reply.stream.complete


def test_one_event_on_the_wire(client: Client) -> None:
    reply = client.get("/jobs/progress/events", params={"count": 1})
    assert reply.body == (
        b"retry: 3000\n"
        b"event: progress\n"
        b'data: {"percent":1,"stageName":"stage 1"}\n'
        b"id: 1\n"
        b"\n"
        b"event: completed\n"
        b"data: \n"
        b"id: 2\n"
        b"\n"
    )


def test_text_lines_split_on_every_line_break() -> None:
    frame = encode_event(JOB_EVENTS, LogEvent(data="a\r\nb\rc\nd\u2028e\x00f\n"), 7)
    assert (
        frame
        == b"event: log\ndata: a\ndata: b\ndata: c\ndata: d\xe2\x80\xa8e\x00f\ndata: \nid: 7\n\n"
    )


def test_json_payloads_are_compact_and_by_alias() -> None:
    event = ProgressEvent(data=Progress(percent=5, stageName="x\ny"))
    assert encode_event(JOB_EVENTS, event) == (
        b'event: progress\ndata: {"percent":5,"stageName":"x\\ny"}\n\n'
    )


@pytest.mark.parametrize("bad", ["a\nb", "a\rb", "a\x00b"])
def test_ids_that_could_break_a_line_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="CR, LF or NUL"):
        encode_event(JOB_EVENTS, LogEvent(data="x"), bad)


@pytest.mark.parametrize("bad", ["a\nb", "a\rb", "a\x00b"])
def test_event_names_that_could_break_a_line_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="CR, LF or NUL"):
        EventSpec(LogEvent, bad, "text")


def test_events_of_another_stream_are_refused() -> None:
    other = StreamSpec(name="other", events=(EventSpec(LogEvent, "log", "text"),))
    with pytest.raises(TypeError, match="not an event of this stream"):
        encode_event(other, ProgressEvent(data=Progress(percent=1)))
