"""Keepalive comments between events are invisible to every client."""

from __future__ import annotations

import httpx

from tests.clients.client_runs import run_client
from tests.clients.payloads import Tick
from tests.clients.stream_requests import fresh_key, stream_url

TOTAL = 5


def test_the_quiet_stream_does_send_keepalive_comments(server: str) -> None:
    # Guards the test below: it only means something if comments are on the wire.
    url = stream_url(server, "quiet", fresh_key(), total=TOTAL)
    with httpx.stream("GET", url, timeout=20) as response:
        body = response.read().decode()
    comment_lines = [
        line for line in body.replace("\r\n", "\n").split("\n") if line.startswith(":")
    ]
    assert len(comment_lines) >= TOTAL, body


def test_keepalive_comments_are_not_events(server: str, client: str) -> None:
    url = stream_url(server, "quiet", fresh_key(), total=TOTAL)

    # `message` is what a client would report a stray blank-line dispatch as.
    run = run_client(client, url, events=["tick", "end", "message"], terminal=["end"])

    assert run.done["reason"] == "terminal", run.describe()
    assert run.opens == 1, run.describe()
    ticks = [("tick", Tick(n=n).model_dump_json()) for n in range(1, TOTAL + 1)]
    assert run.events == [*ticks, ("end", "")], run.describe()
    assert run.last_event_ids == [str(n) for n in range(1, TOTAL + 2)]
