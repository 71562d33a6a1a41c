"""Keepalive comments: per stream, only when the stream is silent, and they can start a response."""

from __future__ import annotations

import httpx

from tests.runtime.http_client import Client
from tests.runtime.services import NOTE_IDS


def test_a_silent_stream_gets_keepalive_comments(client: Client) -> None:
    # /ticks keeps alive every 0.2 s; its handler is silent for 1 s, then ends.
    reply = client.get("/ticks", params={"mode": "none", "delay": 1.0})
    assert reply.status == 200  # the first keepalive sent the headers: no 204 any more
    assert len(reply.stream.comments) >= 2
    assert reply.stream.events == []
    assert reply.body.startswith(b"retry: 500\n:\n")


def test_headers_go_out_with_the_first_keepalive(base_url: str) -> None:
    with (
        httpx.Client(base_url=base_url, timeout=20) as http,
        http.stream("GET", "/ticks", params={"mode": "tick", "delay": 1.0}) as response,
    ):
        assert response.status_code == 200
        chunks = response.iter_raw()
        first = next(chunks)
        # The status line came before the handler's first event, with a comment.
        assert first.startswith(b"retry: 500\n:\n")
        assert b"event:" not in first
        whole = first + b"".join(chunks)
    assert whole.count(b"event: tick\n") == 2


def test_a_stream_with_keepalive_off_sends_no_comments(client: Client) -> None:
    # /notes has keepalive 0; "slow" waits 0.3 s after each note.
    reply = client.get("/notes/slow")
    assert [e.last_event_id for e in reply.stream.events] == [*NOTE_IDS, "end"]
    assert reply.stream.comments == []
