"""A slow subscriber has a bounded buffer: it is disconnected, and replays on reconnect."""

from __future__ import annotations

import asyncio
import socket
from urllib.parse import urlsplit

import h11
import pytest
from topic_feed.streams import LARGE_FEED_TOPIC

from tests.support.sse import Event, Parser
from tests.support.subscriber import connect

from .conftest import BrokerFactory
from .harness import ids, note_numbers, publish, served

pytestmark = pytest.mark.anyio

BUFFER = 16  # live events a subscriber may lag behind before it is dropped
EVENTS = 4000
SIZE = 6000  # payload characters per event: 24 MB in all, far more than socket buffers hold
# The large feed keeps them all, so that the reconnect replays what was missed.
assert LARGE_FEED_TOPIC.keep > EVENTS


class StalledReader:
    """A subscriber on a raw socket with a tiny receive buffer that reads only when told."""

    def __init__(self, base_url: str, path: str) -> None:
        address = urlsplit(base_url)
        self.sock = socket.socket()
        # Set before connecting, so the kernel does not grow it (no autotuning).
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.sock.connect((address.hostname or "127.0.0.1", address.port or 80))
        self.http = h11.Connection(h11.CLIENT)
        request = h11.Request(
            method="GET",
            target=path,
            headers=[("Host", address.netloc), ("Accept", "text/event-stream")],
        )
        self.sock.sendall(self.http.send(request) + self.http.send(h11.EndOfMessage()))
        self.parser = Parser()
        self.status = 0
        self.ended = False

    def read_headers(self) -> None:
        while not self.status:
            self._step()

    def read_to_end(self) -> list[Event]:
        events: list[Event] = []
        while not self.ended:
            events.extend(self._step())
        return events

    def _step(self) -> list[Event]:
        event = self.http.next_event()
        if event is h11.NEED_DATA:
            self.http.receive_data(self.sock.recv(65536))
            return []
        if isinstance(event, h11.Response):
            self.status = event.status_code
        elif isinstance(event, h11.Data):
            return self.parser.feed(bytes(event.data))
        elif isinstance(event, (h11.EndOfMessage, h11.ConnectionClosed)):
            self.ended = True
        return []

    def close(self) -> None:
        self.sock.close()


async def test_a_subscriber_that_falls_behind_is_dropped_and_replays_on_reconnect(
    make_broker: BrokerFactory,
) -> None:
    async with served(make_broker(buffer=BUFFER)) as client:
        slow = StalledReader(str(client.base_url), "/large/jobs/slow/feed")
        try:
            await asyncio.to_thread(slow.read_headers)
            assert slow.status == 200
            # Far more than the socket buffers hold: the server's writes block,
            # the subscriber's buffer fills, and it is dropped.
            await publish(client, "slow", count=EVENTS, size=SIZE, feed="large_feed")
            await publish(client, "slow", end=True, feed="large_feed")
            received = await asyncio.wait_for(asyncio.to_thread(slow.read_to_end), 60)
        finally:
            slow.close()
        first = [e for e in received if e.type in ("note", "done")]
        assert first, "it got events before falling behind"
        assert len(first) < EVENTS, "it was disconnected before the end"
        assert note_numbers(first) == list(range(len(first)))

        last_id = slow.parser.last_event_id
        async with connect(client, "/large/jobs/slow/feed", last_event_id=last_id) as again:
            rest = await again.read_to_end(timeout=60)
        assert rest[-1].type == "done"
        assert [e.type for e in rest if e.type != "note"] == ["done"], "no missed events"
        assert note_numbers(rest) == list(range(len(first), EVENTS))
        assert ids(rest)[0] == int(last_id) + 1
