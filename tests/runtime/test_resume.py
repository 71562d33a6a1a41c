"""Resuming: ids, Last-Event-ID over the query fallback, and a 400 for what does not parse."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.runtime.http_client import Client
from tests.runtime.services import NOTE_IDS
from tests.support.sse import Event, parse


def percents(events: list[Event]) -> list[int]:
    return [json.loads(e.data)["percent"] for e in events if e.type == "progress"]


def test_sequence_ids_start_at_one(client: Client) -> None:
    events = client.get("/jobs/progress/events", params={"count": 4}).stream.events
    assert [e.last_event_id for e in events] == ["1", "2", "3", "4", "5"]
    assert percents(events) == [1, 2, 3, 4]


def test_the_header_resumes_after_its_id(client: Client) -> None:
    events = client.get(
        "/jobs/progress/events", params={"count": 4}, headers={"Last-Event-ID": "2"}
    ).stream.events
    # The handler got last_event_id=2 and resumed its own work from there;
    # the runtime numbered the events from 3.
    assert [(e.type, e.last_event_id) for e in events] == [
        ("progress", "3"),
        ("progress", "4"),
        ("completed", "5"),
    ]
    assert percents(events) == [3, 4]


def test_the_query_fallback_resumes_without_a_header(client: Client) -> None:
    events = client.get(
        "/jobs/progress/events", params={"count": 4, "last_event_id": "3"}
    ).stream.events
    assert [e.last_event_id for e in events] == ["4", "5"]


def test_the_header_wins_over_the_query(client: Client) -> None:
    events = client.get(
        "/jobs/progress/events",
        params={"count": 4, "last_event_id": "3"},
        headers={"Last-Event-ID": "1"},
    ).stream.events
    assert [e.last_event_id for e in events] == ["2", "3", "4", "5"]


def test_an_empty_header_is_no_id(client: Client) -> None:
    events = client.get(
        "/jobs/progress/events",
        params={"count": 2, "last_event_id": "1"},
        headers={"Last-Event-ID": ""},
    ).stream.events
    assert [e.last_event_id for e in events] == ["2", "3"]


BAD_SEQUENCE_IDS = [
    "abc",
    "-1",
    "+1",
    "1.5",
    "1_0",
    "0x1",
    "\u00b2",
    "1" * 20,
    "1e3",
    # past int64, or an int64 whose next id is not one
    "9999999999999999999",
    str(2**63),
    str(2**63 - 1),
    "\u0661",
    "\uff11",
]  # Arabic-Indic and fullwidth digits: not ASCII


@pytest.mark.parametrize(
    ("where", "bad"),
    [("header", bad) for bad in BAD_SEQUENCE_IDS]
    + [("query", bad) for bad in [*BAD_SEQUENCE_IDS, " 1", "1\n"]],
)
def test_a_sequence_id_that_does_not_parse_is_a_400(client: Client, where: str, bad: str) -> None:
    if where == "header":
        reply = client.get("/jobs/progress/events", headers=[(b"Last-Event-ID", bad.encode())])
    else:
        reply = client.get("/jobs/progress/events", params={"last_event_id": bad})
    assert reply.status == 400
    assert reply.headers["content-type"] == "application/problem+json"
    problem = json.loads(reply.body)
    assert problem["status"] == 400
    assert problem["title"] == "Bad Request"
    assert "Last-Event-ID" in problem["detail"]


def test_the_largest_sequence_id_resumes_at_the_last_int64(client: Client) -> None:
    events = client.get(
        "/jobs/hooked/events", headers={"Last-Event-ID": str(2**63 - 2)}
    ).stream.events
    assert events[0].last_event_id == str(2**63 - 1)


@pytest.mark.parametrize("where", ["header", "query"])
def test_handler_ids_resume_after_the_given_id(client: Client, where: str) -> None:
    first, second, third = NOTE_IDS
    if where == "header":
        # EventSource sends the id as UTF-8 bytes (WHATWG HTML).
        reply = client.get("/notes/list", headers=[(b"Last-Event-ID", second.encode())])
    else:
        reply = client.get("/notes/list", params={"after": second})
    events = reply.stream.events
    assert [(e.type, e.data, e.last_event_id) for e in events] == [
        ("note", f"list {third}", third),
        ("end", "", "end"),
    ]
    assert first not in reply.body.decode()


def test_a_handler_id_that_is_not_utf8_is_a_400(client: Client) -> None:
    reply = client.get("/notes/list", headers=[(b"Last-Event-ID", b"n-\xff")])
    assert reply.status == 400
    assert json.loads(reply.body)["detail"] == "Last-Event-ID must be UTF-8."


@pytest.mark.parametrize("where", ["header", "query"])
def test_a_handler_id_longer_than_the_limit_is_a_400(client: Client, where: str) -> None:
    long_id = "n" * 1025
    if where == "header":
        reply = client.get("/notes/list", headers={"Last-Event-ID": long_id})
    else:
        reply = client.get("/notes/list", params={"after": long_id})
    assert reply.status == 400
    assert reply.headers["content-type"] == "application/problem+json"
    assert json.loads(reply.body)["detail"] == "Last-Event-ID must be at most 1024 characters."
    # the limit itself is fine: an id the handler does not know resumes from the start
    assert client.get("/notes/list", params={"after": "n" * 1024}).status == 200


@pytest.mark.parametrize("bad", ["a\nb", "a\rb", "a\x00b"])
def test_a_handler_id_that_could_break_a_line_is_a_400(client: Client, bad: str) -> None:
    reply = client.get("/notes/list", params={"after": bad})
    assert reply.status == 400
    assert json.loads(reply.body)["status"] == 400


def test_a_client_that_drops_mid_stream_resumes_without_loss_or_doubles(base_url: str) -> None:
    seen: list[str] = []
    last = None
    with httpx.Client(base_url=base_url, timeout=20) as http:
        for _ in range(10):
            headers: dict[str, str] = {"Last-Event-ID": last} if last else {}
            with http.stream(
                "GET", "/jobs/paced/events", params={"count": 30}, headers=headers
            ) as response:
                if response.status_code == 204:
                    break
                body = b""
                for chunk in response.iter_raw():
                    body += chunk
                    # Drop the connection after every third complete event.
                    if body.count(b"\n\n") >= 3:
                        break
            events = parse(body[: body.rindex(b"\n\n") + 2]).events
            seen.extend(e.last_event_id for e in events)
            last = events[-1].last_event_id
            if events[-1].type == "completed":
                break
    assert seen == [str(i) for i in range(1, 32)]
