"""Dropped connections: every client resumes with Last-Event-ID, losing and repeating nothing."""

from __future__ import annotations

import httpx
import pytest

from tests.clients.client_runs import run_client
from tests.clients.payloads import Tick
from tests.clients.scenarios import RETRY_MS, CursorStyle, cursor_id
from tests.clients.stream_requests import fresh_key, resume_headers, stream_url
from tests.support.sse import Parser

TOTAL = 20


def expected_numbers() -> list[tuple[str, str]]:
    ticks = [("tick", Tick(n=n).model_dump_json()) for n in range(1, TOTAL + 1)]
    return [*ticks, ("end", "")]


def test_resumes_after_the_server_ends_each_response(server: str, client: str) -> None:
    key = fresh_key()
    # The handler returns after every 3 events; the client must come back for the rest.
    url = stream_url(server, "numbers", key, total=TOTAL, every=3)

    run = run_client(client, url, events=["tick", "end", "message"], terminal=["end"])

    assert run.done["reason"] == "terminal", run.describe()
    assert run.events == expected_numbers(), run.describe()
    assert run.last_event_ids == [str(n) for n in range(1, TOTAL + 2)]
    assert resume_headers(server, f"/numbers/{key}") == [None, "3", "6", "9", "12", "15", "18"]


def test_resumes_after_connections_cut_mid_event(server: str, client: str) -> None:
    key = fresh_key()
    # Every response is cut after 100 bytes of body, usually inside an event,
    # without the end of the chunked body: a network failure, not a clean end.
    url = stream_url(server, "numbers", key, total=TOTAL, cut=100)

    run = run_client(client, url, events=["tick", "end", "message"], terminal=["end"])

    assert run.done["reason"] == "terminal", run.describe()
    assert run.events == expected_numbers(), run.describe()
    assert run.last_event_ids == [str(n) for n in range(1, TOTAL + 2)]
    seen = resume_headers(server, f"/numbers/{key}")
    assert len(seen) >= 4, seen
    # Each request resumes after the last complete event the client had (none
    # yet: no header). Positions never go back; they may stay put, since a
    # browser may drop what arrived in the same read as the network error.
    positions = [0 if value is None else int(value) for value in seen]
    assert positions == sorted(positions), seen
    assert 0 < positions[-1] <= TOTAL, seen


@pytest.mark.parametrize("style", ["ascii", "utf8"])
def test_resumes_from_ids_the_handler_set(server: str, client: str, style: CursorStyle) -> None:
    key = fresh_key()
    # Opaque ids set by the handler; `utf8` ones must come back as UTF-8 bytes.
    url = stream_url(server, "cursors", key, total=TOTAL, every=7, style=style)

    run = run_client(client, url, events=["tick", "end", "message"], terminal=["end"])

    assert run.done["reason"] == "terminal", run.describe()
    assert run.events == expected_numbers(), run.describe()
    assert run.last_event_ids == [cursor_id(n, style) for n in range(1, TOTAL + 2)]
    expected_resumes = [None, cursor_id(7, style), cursor_id(14, style)]
    assert resume_headers(server, f"/cursors/{key}") == expected_resumes


@pytest.mark.parametrize("stream", ["numbers", "cursors", "quiet"])
def test_resumable_streams_ask_for_the_short_reconnection_delay(server: str, stream: str) -> None:
    # Every reconnect above waits this long; at the browsers' default of 3 s
    # the suite would crawl. The ssegen app takes it from its spec's `retry`.
    response = httpx.get(stream_url(server, stream, fresh_key(), total=1), timeout=20)
    parser = Parser()
    events = parser.feed(response.content)
    assert response.status_code == 200 and events, response.text
    assert parser.reconnection_ms == RETRY_MS
