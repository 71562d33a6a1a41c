"""A stream's spec examples as the frames a client receives (WHATWG HTML, "Server-sent events").

The OpenAPI document (`serializedValue`) and the contract pages show the
frames the runtime sends: `event:` line, `data:` line(s), `id:` line in
resumable streams, blank line. The `event:` line and the payload come from the
runtime's own writers in `ssegen.wire` (compact JSON by pydantic's writer on
one `data:` line; text split on line breaks into one `data:` line each), and an
event without payload has an empty `data:` line (browsers drop one without).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ssegen import ir
from ssegen.wire import event_prefix, json_payload, text_payload


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
        return json_payload(value).decode()
    if event.payload == "text":
        return text_payload(str(value)).decode()
    return ""


def frame_text(event: ir.Event, value: Any, event_id: str | None) -> str:
    lines = f"{event_prefix(event.wire_name).decode()}{payload_text(event, value)}\n"
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
