"""`EventStreamResponse` on its own: any async source of encoded events (as topic streams use it)."""

from __future__ import annotations

import asyncio

from tests.runtime.http_client import Client
from tests.runtime.raw_clients import drop_all, open_clients
from tests.runtime.services import PROBE
from tests.support.waiting import wait_until


def test_a_source_of_encoded_events_is_streamed_and_closed(client: Client) -> None:
    before = PROBE.count("countdown.closed")
    reply = client.get("/countdown", params={"n": 3})
    assert reply.status == 200
    assert reply.headers["x-source"] == "countdown"
    assert reply.headers["content-type"] == "text/event-stream; charset=utf-8"
    assert reply.stream.retry == [10]
    assert [(e.type, e.last_event_id) for e in reply.stream.events] == [
        ("tick", "2"),
        ("tick", "1"),
        ("tick", "0"),
    ]
    assert PROBE.count("countdown.closed") == before + 1


def test_a_source_with_nothing_to_send_is_a_204(client: Client) -> None:
    before = PROBE.count("countdown.closed")
    assert client.get("/countdown", params={"n": 0}).status == 204
    assert PROBE.count("countdown.closed") == before + 1


def test_a_dropped_client_closes_the_source(base_url: str) -> None:
    before = PROBE.count("countdown.closed")

    async def scenario() -> None:
        writers = await open_clients(
            base_url, "/countdown?n=2&then_wait=true", 3, until=b"id: 0\n\n"
        )
        drop_all(writers)

    asyncio.run(scenario())
    assert wait_until(lambda: PROBE.count("countdown.closed") == before + 3)
