"""An async SSE subscriber for the topic tests: one connection at a time, read as it arrives.

It parses as the WHATWG HTML "Server-sent events" section says (lines end at
CRLF, CR or LF; one space after the colon is dropped; an event is dispatched
by a blank line; `id` sets the last event id, kept across events without
one) and records comments, so a test can see how a stream ended.
"""

from __future__ import annotations

import asyncio
import codecs
import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True, slots=True)
class Event:
    type: str
    data: str
    last_event_id: str

    def json(self) -> Any:
        return json.loads(self.data)


@dataclass(slots=True)
class Parser:
    last_event_id: str = ""
    comments: list[str] = field(default_factory=list)
    _pending: str = ""
    _type: str = ""
    _data: list[str] = field(default_factory=list)

    def feed(self, text: str) -> list[Event]:
        text = self._pending + text
        # A CR at the very end may be the first half of a CRLF: keep it back.
        held = "\r" if text.endswith("\r") else ""
        lines = _LINE_BREAK.split(text[: len(text) - len(held)])
        self._pending = lines.pop() + held  # an unfinished line
        events: list[Event] = []
        for line in lines:
            if line == "":
                if self._data:
                    events.append(
                        Event(self._type or "message", "\n".join(self._data), self.last_event_id)
                    )
                self._type, self._data = "", []
            elif line.startswith(":"):
                self.comments.append(line[1:])
            else:
                name, _, value = line.partition(":")
                value = value.removeprefix(" ")
                if name == "event":
                    self._type = value
                elif name == "data":
                    self._data.append(value)
                elif name == "id" and "\0" not in value:
                    self.last_event_id = value
        return events


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
    _decoder: codecs.IncrementalDecoder = field(
        default_factory=lambda: codecs.getincrementaldecoder("utf-8")()
    )

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
            return
        except httpx.TransportError:
            self.ended = True
            return
        self.events.extend(self.parser.feed(self._decoder.decode(chunk)))


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
    headers = {"Accept": "text/event-stream"}
    if parser.last_event_id:
        headers["Last-Event-ID"] = parser.last_event_id
    async with client.stream("GET", url, headers=headers) as response:
        yield Connection(response, parser)


def note_numbers(events: list[Event]) -> list[int]:
    return [e.json()["sequenceNumber"] for e in events if e.type == "note"]


def ids(events: list[Event]) -> list[int]:
    return [int(e.last_event_id) for e in events if e.type != "ssegen.missed"]
