"""The WHATWG event stream parser, incremental: bytes in, events out.

HTML Living Standard, "Server-sent events", section 9.2.6 ("Interpreting an
event stream"), as a client sees it:

- the stream is UTF-8, decoded with replacement; one leading BOM is dropped;
- lines end with CRLF, LF or CR (a CR at the end of one chunk and an LF at the
  start of the next are one line end);
- a line starting with `:` is a comment; `field:value` drops one space after
  the colon; a line without a colon is a field with an empty value;
- `data` appends its value and an LF to the data buffer; `event` sets the
  type; `id` sets the last event ID buffer unless the value contains NUL (it
  becomes the last event id at the next blank line, data or not); `retry`
  sets the reconnection time when the value is ASCII digits only; other
  fields are ignored;
- a blank line dispatches: nothing when the data buffer is empty (the type is
  reset too), else an event whose data lose their last LF, whose type is
  `message` when none was set, and whose `last_event_id` is the id in force.

httpx-sse's `SSEDecoder` was looked at first and dropped: it dispatches an
event whose data buffer is empty as soon as an `event`, `id` or `retry`
field was seen, where the standard dispatches nothing (web-platform-tests
`format-field-data` and friends), and it leaves line splitting and the BOM to
its caller. This module is small enough to own, and the vectors test it.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from dataclasses import dataclass

_BOM = "\ufeff"


@dataclass(frozen=True, slots=True)
class RawEvent:
    """One dispatched event, before ssegen decodes its payload (`type`: `message` by default)."""

    type: str
    data: str
    last_event_id: str


class EventStreamDecoder:
    """Feed it the body's chunks; it yields each event as soon as its blank line arrives.

    `last_event_id` and `retry` (milliseconds, or None when the stream set none)
    persist across events, as the standard's last event ID string and
    reconnection time do; a reconnect starts a new decoder with the id carried over.
    """

    def __init__(self, last_event_id: str = "") -> None:
        self._text = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._pending = ""  # text after the last complete line
        self._started = False  # whether the BOM check has been made
        self._cr = False  # the last chunk ended with CR: an LF next is part of that line end
        self._data: list[str] = []
        self._type = ""
        self._id = last_event_id  # the standard's last event ID buffer
        self.last_event_id = last_event_id
        self.retry: int | None = None

    def feed(self, chunk: bytes) -> Iterator[RawEvent]:
        """The events completed by `chunk`."""
        yield from self._lines(self._text.decode(chunk))

    def close(self) -> None:
        """The end of the stream: an incomplete event is dropped, as the standard says."""
        self._text.decode(b"", final=True)
        self._pending = ""
        self._data.clear()
        self._type = ""
        self._id = self.last_event_id  # an id of an event never dispatched does not count

    def _lines(self, text: str) -> Iterator[RawEvent]:
        if not self._started and text:
            self._started = True
            text = text.removeprefix(_BOM)
        if not text:
            return  # an empty chunk (or half a character) between a CR and its LF
        if self._cr and text.startswith("\n"):
            text = text[1:]
        self._cr = False
        buffer = self._pending + text
        start = 0
        length = len(buffer)
        while True:
            cr = buffer.find("\r", start)
            lf = buffer.find("\n", start)
            if cr < 0 and lf < 0:
                break
            end = lf if cr < 0 or (0 <= lf < cr) else cr
            line = buffer[start:end]
            if buffer[end] == "\r":
                if end + 1 < length:
                    start = end + 2 if buffer[end + 1] == "\n" else end + 1
                else:
                    start = end + 1
                    self._cr = True
            else:
                start = end + 1
            event = self._line(line)
            if event is not None:
                yield event
        self._pending = buffer[start:]

    def _line(self, line: str) -> RawEvent | None:
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return None
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._type = value
        elif name == "id":
            if "\0" not in value:
                self._id = value
        elif name == "retry" and value and value.isascii() and value.isdigit():
            self.retry = int(value)
        return None

    def _dispatch(self) -> RawEvent | None:
        # The id counts at the blank line, with or without data.
        self.last_event_id = self._id
        data, kind = self._data, self._type
        self._data, self._type = [], ""
        if not data:
            return None
        return RawEvent(kind or "message", "\n".join(data), self.last_event_id)
