"""Event framing as the WHATWG HTML standard's "Server-sent events" section reads it.

One event on the wire is

    event: NAME\\n
    data: LINE\\n          one line per line of the payload
    id: ID\\n              only in resumable streams
    \\n                    the blank line dispatches the event

Everything that is constant per event type is computed once (`EventSpec.prefix`,
`EventTable`), so encoding one event is a dict lookup, the payload writer and
two concatenations.
"""

from __future__ import annotations

import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ssegen.wire import json_payload, text_payload

from .stream import EventSpec, StreamSpec, check_field_value

# A comment line: every parser ignores it, yet it keeps proxies and idle timers
# from closing a quiet connection. No blank line follows on purpose: a blank
# line after only a comment makes some clients (httpx-sse 0.4, once an id has
# been seen) report an empty event.
KEEPALIVE = b":\n"

# The fixed tail of an event in a stream without ids: end the last data line,
# then the blank line that dispatches.
_END = b"\n\n"


PayloadWriter = Callable[[Any], bytes]


def _json_body(event: Any) -> bytes:
    return json_payload(event.data)


def _declared_model(cls: type) -> type | None:
    """The pydantic model a json event class declares for `data`, if it can be resolved."""
    try:
        declared = typing.get_type_hints(cls).get("data")
    except Exception:  # noqa: BLE001 - unresolvable annotations: serialize generically
        return None
    if isinstance(declared, type) and hasattr(declared, "__pydantic_serializer__"):
        return declared
    return None


def _json_writer(cls: type) -> PayloadWriter:
    """The payload writer for a json event class, bound to its model's serializer when known.

    Looking the serializer up once per event type instead of once per event
    halves the cost of the payload; any other value (a subclass, plain data)
    still goes through `json_payload`.
    """
    model = _declared_model(cls)
    if model is None:
        return _json_body
    to_json = model.__pydantic_serializer__.to_json  # type: ignore[attr-defined]

    def body(event: Any) -> bytes:
        data = event.data
        if type(data) is model:
            payload: bytes = to_json(data, by_alias=True)
            return payload
        return json_payload(data)

    return body


def _text_body(event: Any) -> bytes:
    data = event.data
    return text_payload(data if isinstance(data, str) else str(data))


def _no_body(event: Any) -> bytes:
    # An empty `data:` line is still sent: without one, browsers drop the event.
    return b""


def payload_writer(spec: EventSpec) -> PayloadWriter:
    if spec.payload == "json":
        return _json_writer(spec.cls)
    return _text_body if spec.payload == "text" else _no_body


@dataclass(frozen=True, slots=True)
class EventFrame:
    """What encoding one event type needs, resolved once per stream."""

    spec: EventSpec
    prefix: bytes
    body: PayloadWriter
    terminal: bool


class EventTable:
    """Per stream: event class -> `EventFrame`. Unknown classes raise TypeError."""

    __slots__ = ("frames",)

    def __init__(self, events: StreamSpec | EventSpec) -> None:
        specs = events.events if isinstance(events, StreamSpec) else (events,)
        self.frames: dict[type, EventFrame] = {
            spec.cls: EventFrame(spec, spec.prefix, payload_writer(spec), spec.terminal)
            for spec in specs
        }

    def frame(self, event: object) -> EventFrame:
        try:
            return self.frames[type(event)]
        except KeyError:
            raise TypeError(f"{type(event).__qualname__} is not an event of this stream") from None


def id_field(event_id: str | int | None) -> bytes:
    """The tail of an event: the end of its last `data:` line, its `id:` line, the blank line."""
    if event_id is None:
        return _END
    if type(event_id) is int:
        return b"\nid: %d\n\n" % event_id
    return b"\nid: " + check_field_value("event id", str(event_id)).encode() + b"\n\n"


_TABLES: dict[int, tuple[StreamSpec | EventSpec, EventTable]] = {}


def _table_for(spec: StreamSpec | EventSpec) -> EventTable:
    # Keyed by identity (specs are module-level constants of generated code);
    # the spec is kept alive with its table so an id cannot be reused.
    entry = _TABLES.get(id(spec))
    if entry is None:
        entry = (spec, EventTable(spec))
        _TABLES[id(spec)] = entry
    return entry[1]


def encode_event(spec: StreamSpec | EventSpec, event: object, id: str | int | None = None) -> bytes:
    """One complete event (with its `id:` line when `id` is given), ready for the wire.

    Raises TypeError for an event the spec does not declare and ValueError for
    an id containing CR, LF or NUL.
    """
    frame = _table_for(spec).frame(event)
    return frame.prefix + frame.body(event) + id_field(id)


def encode_comment(text: str = "") -> bytes:
    """A comment line (`:text`), e.g. a keepalive; its text may not break the line."""
    return b":" + check_field_value("comment", text).encode() + b"\n"
