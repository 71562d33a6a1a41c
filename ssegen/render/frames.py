"""A stream's spec examples as the frames a client receives (WHATWG HTML, "Server-sent events").

The OpenAPI document (`serializedValue`), the contract pages and the mock
service show the same frames: `event:` line, `data:` line(s), `id:` line in
resumable streams, blank line. They follow the runtime's framing
(`ssegen.runtime.encoding`): compact JSON on one `data:` line, text split on
line breaks into one `data:` line each, and an empty `data:` line for an
event without payload (browsers drop an event that has none).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ssegen import ir


@dataclass(frozen=True)
class Frame:
    event: ir.Event
    index: int  # 0-based among this event's example frames
    value: Any  # the payload value (None when the event has no payload)
    wire: str  # the frame on the wire, blank line included

    @property
    def name(self) -> str:
        """The example's name: the event name, then `name (2)`, `name (3)` ... (no event name has a space)."""
        return self.event.name if self.index == 0 else f"{self.event.name} ({self.index + 1})"


def payload_text(event: ir.Event, value: Any) -> str:
    """The text after `data: ` (line breaks of a text payload become further `data: ` lines)."""
    if event.payload == "json":
        # What pydantic's writer emits: compact separators, non-ASCII as is.
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    if event.payload == "text":
        text = str(value).replace("\r\n", "\n").replace("\r", "\n")
        return text.replace("\n", "\ndata: ")
    return ""


def frame_text(event: ir.Event, value: Any, event_id: str | None) -> str:
    lines = f"event: {event.name}\ndata: {payload_text(event, value)}\n"
    if event_id is not None:
        lines += f"id: {event_id}\n"
    return lines + "\n"


def example_values(event: ir.Event) -> tuple[Any, ...]:
    """The payloads an event's example frames carry.

    The spec's examples; else the one value the event can have: nothing for an
    event without payload, the `const` of a constant text. Other events
    without examples have no example frame.
    """
    if event.examples:
        return event.examples
    if event.payload == "none":
        return (None,)
    schema = event.data_schema or {}
    if event.payload == "text" and isinstance(schema.get("const"), str):
        return (schema["const"],)
    return ()


def example_frames(stream: ir.Stream) -> tuple[Frame, ...]:
    """Every example frame of `stream`, in the declared order of its events.

    Resumable streams number them 1, 2, 3 ... as a handler stream with
    `ids: sequence` would; for `ids: handler` (the handler picks) and for
    topics (the broker starts from the clock) the numbers only illustrate.
    """
    frames: list[Frame] = []
    for event in stream.events:
        for index, value in enumerate(example_values(event)):
            event_id = str(len(frames) + 1) if stream.ids else None
            frames.append(Frame(event, index, value, frame_text(event, value, event_id)))
    return tuple(frames)
