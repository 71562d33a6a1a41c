"""A small EventSource for Python, written from the WHATWG algorithm.

https://html.spec.whatwg.org/multipage/server-sent-events.html — the parts a
server can observe: line splitting on CRLF, LF or CR (a CR at the end of a
chunk may be the first half of a CRLF), one leading space stripped after the
colon, `id` only taking effect when its event is dispatched, an id with NUL
ignored, `retry` setting the reconnection time, reconnects carrying
`Last-Event-ID`, and 204 (or any other non-200 answer) failing the connection
for good. It reports what it sees as the same records the node clients print.
"""

from __future__ import annotations

import codecs
import time
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

CONNECTING, OPEN, CLOSED = 0, 1, 2
Record = dict[str, Any]


@dataclass(slots=True)
class EventStreamParser:
    """The event stream interpretation algorithm, fed with text as it arrives."""

    last_event_id: str = ""
    reconnection_ms: int | None = None
    _pending: str = ""
    _data: list[str] = field(default_factory=list)
    _event_type: str = ""
    _id_buffer: str = ""

    def reset(self) -> None:
        """A new connection: partial lines and undispatched fields are dropped."""
        self._pending, self._data, self._event_type = "", [], ""
        self._id_buffer = self.last_event_id

    def feed(self, text: str) -> Iterator[Record]:
        self._pending += text
        while True:
            cut = min(
                (i for i in (self._pending.find("\r"), self._pending.find("\n")) if i >= 0),
                default=-1,
            )
            if cut < 0:
                return
            if self._pending[cut] == "\r":
                if cut + 1 == len(self._pending):
                    return  # maybe the CR of a CRLF split across chunks
                end = cut + 2 if self._pending[cut + 1] == "\n" else cut + 1
            else:
                end = cut + 1
            line, self._pending = self._pending[:cut], self._pending[end:]
            yield from self._line(line)

    def _line(self, line: str) -> Iterator[Record]:
        if line == "":
            yield from self._dispatch()
            return
        if line.startswith(":"):
            return
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "event":
            self._event_type = value
        elif name == "data":
            self._data.append(value)
        elif name == "id" and "\x00" not in value:
            self._id_buffer = value
        elif name == "retry" and value.isascii() and value.isdigit():
            self.reconnection_ms = int(value)

    def _dispatch(self) -> Iterator[Record]:
        self.last_event_id = self._id_buffer
        data, event_type = self._data, self._event_type
        self._data, self._event_type = [], ""
        if not data:
            return
        yield {
            "kind": "event",
            "type": event_type or "message",
            "data": "\n".join(data),
            "lastEventId": self.last_event_id,
        }


@dataclass(slots=True)
class EventSource:
    """Connects, reconnects and reports until a terminal event, a failure or the deadline."""

    url: str
    terminal: Sequence[str] = ()
    timeout: float = 20.0
    max_connections: int = 100
    parser: EventStreamParser = field(default_factory=EventStreamParser)
    # The default reconnection time is the user agent's choice; 3 s, as browsers do.
    reconnection_ms: int = 3000

    def records(self) -> Iterator[Record]:
        deadline = time.monotonic() + self.timeout
        read_timeout = httpx.Timeout(5.0, read=self.timeout)
        with httpx.Client(timeout=read_timeout) as client:
            for _ in range(self.max_connections):
                outcome = yield from self._connect(client, deadline)
                if outcome is not None:
                    yield {"kind": "done", "reason": outcome, "readyState": CLOSED}
                    return
                # [spec] Announce the connection: readyState CONNECTING, fire `error`, wait.
                yield {"kind": "error", "readyState": CONNECTING, "status": None}
                wait = self.reconnection_ms / 1000
                if time.monotonic() + wait > deadline:
                    break
                time.sleep(wait)
        yield {"kind": "done", "reason": "timeout", "readyState": CONNECTING}

    def _connect(
        self, client: httpx.Client, deadline: float
    ) -> Generator[Record, None, str | None]:
        """One connection; returns why to stop, or None to reconnect."""
        self.parser.reset()
        headers = {b"Accept": b"text/event-stream", b"Cache-Control": b"no-store"}
        if self.parser.last_event_id:
            # [spec] Last-Event-ID carries the last event ID string, encoded as UTF-8.
            headers[b"Last-Event-ID"] = self.parser.last_event_id.encode("utf-8")
        try:
            with client.stream("GET", self.url, headers=headers) as response:
                content_type = response.headers.get("content-type", "")
                if response.status_code != 200 or not content_type.startswith("text/event-stream"):
                    # [spec] 204 and every other non-200 answer fail the connection: no reconnect.
                    yield {"kind": "error", "readyState": CLOSED, "status": response.status_code}
                    return "closed"
                yield {"kind": "open"}
                decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
                first = True
                for chunk in response.iter_raw():
                    text = decoder.decode(chunk)
                    if first and text:
                        # [spec] One leading BOM of the stream is ignored.
                        text, first = text.removeprefix("\ufeff"), False
                    for record in self.parser.feed(text):
                        yield record
                        if record["type"] in self.terminal:
                            return "terminal"
                    if time.monotonic() > deadline:
                        return "timeout"
        except httpx.TransportError:
            pass  # [spec] a network error reestablishes the connection
        if self.parser.reconnection_ms is not None:
            self.reconnection_ms = self.parser.reconnection_ms
        return None


def read_stream(url: str, *, terminal: Sequence[str] = (), timeout: float = 20.0) -> list[Record]:
    """Everything a client sees on `url`, ending with a `done` record."""
    return list(EventSource(url, terminal=terminal, timeout=timeout).records())


def read_events(
    response: httpx.Response, limit: int | None = None, parser: EventStreamParser | None = None
) -> list[Record]:
    """The events of one open streaming response (up to `limit`), parsed as EventSource would."""
    parser = parser or EventStreamParser()
    parser.reset()
    events: list[Record] = []
    for chunk in response.iter_text():
        for record in parser.feed(chunk):
            events.append(record)
            if limit is not None and len(events) == limit:
                return events
    return events
