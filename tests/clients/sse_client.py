"""A small EventSource for Python, written from the WHATWG algorithm.

https://html.spec.whatwg.org/multipage/server-sent-events.html — the parts a
server can observe: the stream parsed by `tests.support.sse.Parser`, `retry`
setting the reconnection time, reconnects carrying `Last-Event-ID`, and 204
(or any other non-200 answer) failing the connection for good. It reports
what it sees as the same records the node clients print.
"""

from __future__ import annotations

import time
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.support.sse import Event, Parser

CONNECTING, OPEN, CLOSED = 0, 1, 2
Record = dict[str, Any]


def event_record(event: Event) -> Record:
    """An event as the node clients print it."""
    return {
        "kind": "event",
        "type": event.type,
        "data": event.data,
        "lastEventId": event.last_event_id,
    }


@dataclass(slots=True)
class EventSource:
    """Connects, reconnects and reports until a terminal event, a failure or the deadline."""

    url: str
    terminal: Sequence[str] = ()
    timeout: float = 20.0
    max_connections: int = 100
    parser: Parser = field(default_factory=Parser)
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
                time.sleep(wait)  # [spec] wait the reconnection time, then reconnect
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
                for chunk in response.iter_raw():
                    for event in self.parser.feed(chunk):
                        yield event_record(event)
                        if event.type in self.terminal:
                            return "terminal"
                    if time.monotonic() > deadline:
                        return "timeout"
                for event in self.parser.end()[0]:
                    yield event_record(event)
                    if event.type in self.terminal:
                        return "terminal"
        except httpx.TransportError:
            pass  # [spec] a network error reestablishes the connection
        if self.parser.reconnection_ms is not None:
            self.reconnection_ms = self.parser.reconnection_ms
        return None
