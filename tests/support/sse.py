"""The one event stream parser of the tests, written from the WHATWG algorithm.

https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation:
the stream is UTF-8 (one leading BOM dropped); lines end with CRLF, LF or CR
(a CR at the end of a chunk may be the first half of a CRLF, so it waits for
the next chunk); a line starting with ':' is a comment; `field: value` loses
exactly one space after the colon; `data` lines are joined with LF; an `id`
containing NUL is ignored, and an id only becomes the last event ID when its
event is dispatched; `retry` counts only when it is ASCII digits; a blank line
dispatches the event, unless its data buffer is empty. At the end of the
stream an unfinished line and an undispatched event are dropped.

`Parser` is fed a connection's bytes (or text) as they arrive; `parse` reads a
whole body; `read_events` reads an open httpx response. Comments and `retry`
values are kept too, so that tests can see keepalives and reconnection times.
"""

from __future__ import annotations

import codecs
import json
import re
from dataclasses import dataclass
from typing import Any

import httpx

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True, slots=True)
class Event:
    """A dispatched event, as EventSource hands it over (`type`, `data`, `lastEventId`)."""

    type: str
    data: str
    last_event_id: str

    def json(self) -> Any:
        return json.loads(self.data)


class Parser:
    """The event stream interpretation algorithm for one event source, across its connections.

    `errors` is how invalid UTF-8 is decoded: "replace" as the standard says,
    "strict" to fail a test whose server wrote any.
    """

    def __init__(self, *, last_event_id: str = "", errors: str = "replace") -> None:
        self.last_event_id = last_event_id
        self.comments: list[str] = []
        self.retries: list[int] = []  # every valid `retry` field, in order
        self._errors = errors
        self.reset()

    @property
    def reconnection_ms(self) -> int | None:
        """The reconnection time the stream set last (None: the user agent's default)."""
        return self.retries[-1] if self.retries else None

    def reset(self) -> None:
        """A new connection: partial lines and undispatched fields are dropped."""
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors=self._errors)
        self._at_start = True  # nothing decoded yet: a BOM would be dropped
        self._pending = ""  # the unfinished line, perhaps ending in the CR of a CRLF
        self._event_type = ""
        self._data: list[str] = []
        self._id_buffer = self.last_event_id

    def feed(self, chunk: bytes | str) -> list[Event]:
        """The events that `chunk` (the next bytes, or already decoded text) completes."""
        text = self._decoder.decode(chunk) if isinstance(chunk, bytes) else chunk
        if self._at_start and text:
            self._at_start = False
            text = text.removeprefix("\ufeff")
        text = self._pending + text
        held = "\r" if text.endswith("\r") else ""
        lines = _LINE_BREAK.split(text[: len(text) - len(held)])
        self._pending = lines.pop() + held
        events: list[Event] = []
        for line in lines:
            event = self._line(line)
            if event is not None:
                events.append(event)
        return events

    def end(self) -> tuple[list[Event], bool]:
        """The stream ended: its last events, and whether it ended cleanly.

        Clean: after a complete line, with no event type or data left undispatched.
        """
        events = self.feed(self._decoder.decode(b"", final=True))
        if self._pending.endswith("\r"):  # a CR at the very end still ends its line
            event = self._line(self._pending[:-1])
            self._pending = ""
            if event is not None:
                events.append(event)
        clean = self._pending == "" and not self._data and self._event_type == ""
        self.reset()
        return events, clean

    def _line(self, line: str) -> Event | None:
        if line == "":
            return self._dispatch()
        if line.startswith(":"):
            self.comments.append(line[1:])
            return None
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "event":
            self._event_type = value
        elif name == "data":
            self._data.append(value)
        elif name == "id":
            if "\0" not in value:
                self._id_buffer = value
        elif name == "retry" and value.isascii() and value.isdigit():
            self.retries.append(int(value))
        return None

    def _dispatch(self) -> Event | None:
        # [spec] The last event ID is set even when no event is dispatched.
        self.last_event_id = self._id_buffer
        data, event_type = self._data, self._event_type
        self._data, self._event_type = [], ""
        if not data:
            return None
        return Event(event_type or "message", "\n".join(data), self.last_event_id)


@dataclass(frozen=True, slots=True)
class Stream:
    """Everything in one whole event stream."""

    events: list[Event]
    comments: list[str]
    retry: list[int]
    last_event_id: str
    complete: bool  # it ended with a complete line and nothing undispatched


def parse(body: bytes) -> Stream:
    """A whole body, which must be valid UTF-8 (a server's mistake fails the test)."""
    parser = Parser(errors="strict")
    events = parser.feed(body)
    last, complete = parser.end()
    events += last
    return Stream(events, parser.comments, parser.retries, parser.last_event_id, complete)


def read_events(
    response: httpx.Response, limit: int | None = None, parser: Parser | None = None
) -> list[Event]:
    """The events of one open streaming response (up to `limit`), as one connection of `parser`."""
    parser = parser or Parser()
    parser.reset()
    events: list[Event] = []
    for chunk in response.iter_bytes():
        for event in parser.feed(chunk):
            events.append(event)
            if limit is not None and len(events) == limit:
                return events
    events += parser.end()[0][: None if limit is None else limit - len(events)]
    return events
