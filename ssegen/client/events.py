"""From a parsed SSE event to the generated event class the server sent.

The `StreamSpec` in a package's streams.py lists each event's class, wire
name, payload kind and, for events sharing a wire name, how they are told
apart (`Tell`). The client decodes with the same table the server encodes
with, so the two cannot disagree: `ssegen.missed` becomes `Missed`, an event
this client does not know (a newer server's) is handed to `on_unknown`.
"""

from __future__ import annotations

import dataclasses
import json
import typing
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import pydantic
from ssegen.runtime.stream import EventSpec, StreamSpec
from ssegen.wire import MISSED_EVENT

from .decoder import RawEvent

UnknownHandler = Callable[[RawEvent], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class Missed:
    """`ssegen.missed`: the topic no longer holds the events after `last_event_id`.

    The subscriber missed some: refetch the state the events would have built.
    The stream goes on with everything still retained.
    """

    last_event_id: str


class EventTable:
    """Decodes raw events of one stream into its event classes."""

    def __init__(self, spec: StreamSpec) -> None:
        self.spec = spec
        self.by_type: dict[str, list[EventSpec]] = {}
        for event in spec.events:
            self.by_type.setdefault(event.name or "message", []).append(event)
        self.terminal = frozenset(e.cls for e in spec.events if e.terminal)

    def decode(self, raw: RawEvent) -> Any | None:
        """The event instance, `Missed`, or None for an event this stream does not declare."""
        if raw.type == MISSED_EVENT:
            try:
                after = json.loads(raw.data).get("last_event_id", "")
            except (ValueError, AttributeError):
                after = ""
            return Missed(last_event_id=str(after))
        candidates = self.by_type.get(raw.type, [])
        event = candidates[0] if len(candidates) == 1 else _told_apart(candidates, raw.data)
        if event is None:
            return None
        try:
            return _build(event, raw)
        except (pydantic.ValidationError, ValueError):
            return None  # not the declared payload: handled like an unknown event


def _told_apart(candidates: list[EventSpec], data: str) -> EventSpec | None:
    parsed: Any = None
    try:
        parsed = json.loads(data)
    except ValueError:
        pass
    other = None
    for event in candidates:
        tell = event.tell
        if tell is None:
            continue
        if tell.kind == "text" and data == tell.value:
            return event
        if tell.kind == "empty" and data == "":
            return event
        if isinstance(parsed, dict):
            if tell.kind == "const" and parsed.get(tell.property or "") == tell.value:
                return event
            if tell.kind == "member" and (tell.property or "") in parsed:
                return event
            if tell.kind == "other":
                other = event
    return other


@cache
def _payload(cls: type) -> pydantic.TypeAdapter[Any] | None:
    annotation = typing.get_type_hints(cls).get("data")
    return None if annotation is None else pydantic.TypeAdapter(annotation)


@cache
def _takes_id(cls: type) -> bool:
    return any(f.name == "id" for f in dataclasses.fields(cls))


def _build(event: EventSpec, raw: RawEvent) -> Any:
    arguments: dict[str, Any] = {}
    adapter = _payload(event.cls)
    if adapter is not None and event.payload == "json":
        arguments["data"] = adapter.validate_json(raw.data)
    elif adapter is not None and event.payload == "text":
        arguments["data"] = adapter.validate_python(raw.data)
    if _takes_id(event.cls):
        arguments["id"] = raw.last_event_id
    return event.cls(**arguments)
