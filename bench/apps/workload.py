"""The workload every benchmarked app serves, so that peers differ only in how they stream.

Every app exposes the same four routes:

- `GET /stream?n=N`: N events named `item`, each a compact JSON `Item`, then the response ends.
- `GET /paced?n=N&gap=G`: the same N events as `/stream`, the handler awaiting
  `asyncio.sleep(G)` before each one (G = 0 gives the loop one turn per event).
- `GET /idle`: one `item` event, then the handler waits forever inside `try/finally`.
- `GET /stats`: the `HandlerTracker` counts as JSON, read by the harness for the
  memory and disconnect-cleanup figures.
"""

from __future__ import annotations

import asyncio
import time

from pydantic import BaseModel

EVENT_NAME = "item"
DEFAULT_EVENTS = 100_000
DEFAULT_PACED_EVENTS = 500


class Item(BaseModel):
    """The payload of every benchmark event: `{"index":n,"text":"token"}` on the wire."""

    index: int
    text: str


def make_item(index: int) -> Item:
    return Item(index=index, text="token")


def event_id(index: int) -> str:
    """Ids follow ssegen's `ids: sequence` numbering (1, 2, 3 ...) so every peer sends the same bytes."""
    return str(index + 1)


def encode_event(index: int) -> bytes:
    """The exact frame every peer that supports ids sends (WHATWG HTML, 9.2.6 "Interpreting an
    event stream": field lines, then a blank line dispatches the event)."""
    data = make_item(index).model_dump_json()
    return f"event: {EVENT_NAME}\ndata: {data}\nid: {event_id(index)}\n\n".encode()


class HandlerTracker:
    """Counts idle handlers that started and records when each one's `finally` ran.

    Times come from `time.monotonic()`, which on Linux is CLOCK_MONOTONIC: one clock for every
    process on the machine, so the harness can compare them with the moment it dropped the clients.
    """

    def __init__(self) -> None:
        self.opened = 0
        self.finally_times: list[float] = []

    def open(self) -> None:
        self.opened += 1

    def close(self) -> None:
        self.finally_times.append(time.monotonic())

    def stats(self) -> dict[str, object]:
        return {"opened": self.opened, "finally_times": self.finally_times}


TRACKER = HandlerTracker()


async def wait_forever() -> None:
    """Park an idle handler the way a real one waits for its next event."""
    await asyncio.Event().wait()
