"""Read an event stream the way the WHATWG HTML standard says a client does.

https://html.spec.whatwg.org/multipage/server-sent-events.html, "Interpreting
an event stream": the stream is UTF-8 (one leading BOM dropped); lines end
with CRLF, LF or CR; a line starting with ':' is a comment; `field: value`
loses exactly one space after the colon; `data` lines are joined with LF; an
`id` containing NUL is ignored; a blank line dispatches the event, unless its
data buffer is empty. Comments are counted too, so that tests can see
keepalives.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True, slots=True)
class Event:
    event: str
    data: str
    id: str


@dataclass(slots=True)
class Stream:
    events: list[Event] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    retry: list[int] = field(default_factory=list)
    last_event_id: str = ""
    # True when the text ended with a complete line and nothing undispatched.
    complete: bool = True


def parse(body: bytes) -> Stream:
    """Every event, comment and retry field in `body`, a whole event stream."""
    text = body.decode("utf-8")
    text = text.removeprefix("\ufeff")
    stream = Stream()
    lines = _LINE_BREAK.split(text)
    # The piece after the last line break is an unterminated line: WHATWG
    # drops it when the stream ends (and so does everything not dispatched).
    trailing = lines.pop()
    event_type, data, id_buffer = "", "", stream.last_event_id
    for line in lines:
        if line == "":
            stream.last_event_id = id_buffer
            if data == "":
                event_type = ""
                continue
            stream.events.append(
                Event(event_type or "message", data.removesuffix("\n"), stream.last_event_id)
            )
            event_type, data = "", ""
            continue
        if line.startswith(":"):
            stream.comments.append(line[1:])
            continue
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "event":
            event_type = value
        elif name == "data":
            data += value + "\n"
        elif name == "id":
            if "\0" not in value:
                id_buffer = value
        elif name == "retry" and value.isascii() and value.isdigit():
            stream.retry.append(int(value))
    stream.complete = trailing == "" and data == "" and event_type == ""
    return stream
