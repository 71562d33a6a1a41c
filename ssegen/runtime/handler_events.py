"""From the events a handler yields to chunks on the wire: ids, terminal events, the error event.

A handler stream's source for `EventStreamResponse` is `HandlerEvents.chunks()`:
it encodes each event the moment the handler yields it (so a handler that
yields without waiting never makes the writer wait either), numbers them in
`ids: sequence` streams, ends after a terminal event, and closes the
handler's generator however it ends. `error_chunk` is the response's
`on_error`: the stream's declared error event, numbered like any other.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, AsyncIterable, Callable
from typing import Any

from .encoding import EventTable, id_field
from .stream import StreamSpec

logger = logging.getLogger("ssegen.runtime")

ErrorHook = Callable[[Exception], Any]


async def _close(events: AsyncIterable[object], stream: str) -> None:
    """Close the handler's generator (its `finally` runs now); a failure there is only logged.

    By then every event the handler yielded has been encoded: a cleanup bug
    must not turn a complete stream into a failed one.
    """
    aclose = getattr(events, "aclose", None)
    if aclose is None:
        return
    try:
        await aclose()
    except Exception:
        logger.exception("stream %s: closing its handler failed", stream)


class HandlerEvents:
    """One response's view of a handler stream: the handler's events, the next id, the last id."""

    __slots__ = ("default_error", "events", "last_id", "next_id", "on_error", "spec", "table")

    def __init__(
        self,
        spec: StreamSpec,
        table: EventTable,
        events: AsyncIterable[object],
        *,
        next_id: int = 1,
        on_error: ErrorHook | None = None,
        default_error: object | None = None,
    ) -> None:
        self.spec = spec
        self.table = table
        self.events = events
        self.next_id = next_id  # ids: sequence
        self.last_id: str | None = None  # ids: handler, the last id written
        self.on_error = on_error
        self.default_error = default_error

    async def chunks(self) -> AsyncGenerator[bytes, None]:
        frames = self.table.frames
        frame_of = self.table.frame
        ids = self.spec.ids
        try:
            # One loop per id mode, so that the per-event path has no branch on it.
            if ids == "sequence":
                async for event in self.events:
                    frame = frames.get(type(event)) or frame_of(event)
                    chunk = frame.prefix + frame.body(event) + b"\nid: %d\n\n" % self.next_id
                    self.next_id += 1
                    yield chunk
                    if frame.terminal:
                        return
            elif ids == "handler":
                async for event in self.events:
                    frame = frames.get(type(event)) or frame_of(event)
                    event_id: str = event.id  # type: ignore[attr-defined]
                    chunk = frame.prefix + frame.body(event) + id_field(event_id)
                    self.last_id = event_id
                    yield chunk
                    if frame.terminal:
                        return
            else:
                async for event in self.events:
                    frame = frames.get(type(event)) or frame_of(event)
                    chunk = frame.prefix + frame.body(event) + b"\n\n"
                    yield chunk
                    if frame.terminal:
                        return
        finally:
            await _close(self.events, self.spec.name)

    def error_chunk(self, exc: Exception) -> bytes | None:
        """The declared error event for `exc`: the hook's, else the runtime's default; None to just end."""
        event: object | None = None
        if self.on_error is not None:
            try:
                event = self.on_error(exc)
            except Exception:
                logger.exception("stream %s: its on_error hook failed", self.spec.name)
        default = event is None
        if default:
            event = self.default_error
        if event is None:
            logger.warning("stream %s: no error event to send; ending the stream", self.spec.name)
            return None
        try:
            frame = self.table.frame(event)
            if self.spec.ids == "sequence":
                tail = id_field(self.next_id)
                self.next_id += 1
            elif self.spec.ids == "handler":
                # The default event has no id of its own: it repeats the last
                # one, so that a client resuming after it misses nothing.
                tail = id_field(self.last_id if default else event.id)  # type: ignore[attr-defined]
            else:
                tail = id_field(None)
            return frame.prefix + frame.body(event) + tail
        except Exception:
            logger.exception("stream %s: encoding its error event failed", self.spec.name)
            return None
