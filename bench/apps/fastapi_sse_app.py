"""FastAPI's native SSE yielding `ServerSentEvent(data=item, event=..., id=...)` (fastapi.sse).

The documented way to name events and set ids with FastAPI's own EventSourceResponse.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable

from fastapi import FastAPI
from fastapi.sse import EventSourceResponse, ServerSentEvent

from bench.apps.workload import (
    DEFAULT_EVENTS,
    DEFAULT_PACED_EVENTS,
    EVENT_NAME,
    TRACKER,
    event_id,
    make_item,
    wait_forever,
)

app = FastAPI()


@app.get("/stream", response_class=EventSourceResponse)
async def stream(n: int = DEFAULT_EVENTS) -> AsyncIterable[ServerSentEvent]:
    for index in range(n):
        yield ServerSentEvent(data=make_item(index), event=EVENT_NAME, id=event_id(index))


@app.get("/paced", response_class=EventSourceResponse)
async def paced(n: int = DEFAULT_PACED_EVENTS, gap: float = 0.0) -> AsyncIterable[ServerSentEvent]:
    for index in range(n):
        await asyncio.sleep(gap)
        yield ServerSentEvent(data=make_item(index), event=EVENT_NAME, id=event_id(index))


@app.get("/idle", response_class=EventSourceResponse)
async def idle() -> AsyncIterable[ServerSentEvent]:
    TRACKER.open()
    try:
        yield ServerSentEvent(data=make_item(0), event=EVENT_NAME, id=event_id(0))
        await wait_forever()
    finally:
        TRACKER.close()


@app.get("/stats")
def stats() -> dict[str, object]:
    return TRACKER.stats()
