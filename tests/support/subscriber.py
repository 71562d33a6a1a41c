"""An async subscriber over httpx: one connection at a time, its events read as they arrive.

Parsing is `tests.support.sse.Parser`'s; a connection given a parser of an
earlier one carries its last event ID, as an EventSource reconnecting does.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import httpx

from tests.support.sse import Event, Parser


@dataclass(slots=True)
class Connection:
    """One subscriber connection: its status, then events as they come."""

    response: httpx.Response
    parser: Parser
    events: list[Event] = field(default_factory=list)
    ended: bool = False  # the server ended the body (cleanly or not)
    clean_end: bool = False
    _chunks: AsyncIterator[bytes] | None = None
    _taken: int = 0

    @property
    def status(self) -> int:
        return self.response.status_code

    async def read(self, count: int, *, timeout: float = 20.0) -> list[Event]:
        """The next `count` events (fewer if the stream ends first)."""
        async with asyncio.timeout(timeout):
            while len(self.events) - self._taken < count and not self.ended:
                await self._read_chunk()
        return self._take(count)

    async def read_until(self, event_type: str, *, timeout: float = 20.0) -> list[Event]:
        """The next events up to and including one of `event_type` (or the end)."""
        async with asyncio.timeout(timeout):
            while True:
                for n, event in enumerate(self.events[self._taken :]):
                    if event.type == event_type:
                        return self._take(n + 1)
                if self.ended:
                    return self._take(len(self.events))
                await self._read_chunk()

    async def read_to_end(self, *, timeout: float = 20.0) -> list[Event]:
        """Every further event, once the server has ended the stream."""
        async with asyncio.timeout(timeout):
            while not self.ended:
                await self._read_chunk()
        return self._take(len(self.events))

    async def read_comments(self, count: int, *, timeout: float = 20.0) -> None:
        """Read until `count` more comment lines arrived."""
        target = len(self.parser.comments) + count
        async with asyncio.timeout(timeout):
            while len(self.parser.comments) < target and not self.ended:
                await self._read_chunk()

    def _take(self, count: int) -> list[Event]:
        taken = self.events[self._taken : self._taken + count]
        self._taken += len(taken)
        return taken

    async def _read_chunk(self) -> None:
        if self._chunks is None:
            self._chunks = self.response.aiter_raw()
        try:
            chunk = await anext(self._chunks)
        except StopAsyncIteration:
            self.ended = self.clean_end = True
            self.events.extend(self.parser.end()[0])
            return
        except httpx.TransportError:
            self.ended = True
            self.parser.reset()  # [spec] what was not dispatched is dropped
            return
        self.events.extend(self.parser.feed(chunk))


@asynccontextmanager
async def connect(
    client: httpx.AsyncClient,
    url: str,
    *,
    last_event_id: str | None = None,
    parser: Parser | None = None,
) -> AsyncIterator[Connection]:
    """Open a subscriber connection; headers have arrived when this yields."""
    parser = parser or Parser()
    if last_event_id is not None:
        parser.last_event_id = last_event_id
    parser.reset()
    headers = {"Accept": "text/event-stream"}
    if parser.last_event_id:
        headers["Last-Event-ID"] = parser.last_event_id
    async with client.stream("GET", url, headers=headers) as response:
        yield Connection(response, parser)
