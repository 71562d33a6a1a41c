"""FastAPI's native SSE with a typed `AsyncIterable[Item]` endpoint (fastapi.sse, FastAPI >= 0.135).

FastAPI validates every yielded item against the return type and sends it as a bare `data:`
line: a typed item cannot carry an event name or an id, so this peer sends neither.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable

from fastapi import FastAPI
from fastapi.sse import EventSourceResponse

from bench.apps.workload import (
    DEFAULT_EVENTS,
    DEFAULT_PACED_EVENTS,
    TRACKER,
    Item,
    make_item,
    wait_forever,
)

app = FastAPI()


@app.get("/stream", response_class=EventSourceResponse)
async def stream(n: int = DEFAULT_EVENTS) -> AsyncIterable[Item]:
    for index in range(n):
        yield make_item(index)


@app.get("/paced", response_class=EventSourceResponse)
async def paced(n: int = DEFAULT_PACED_EVENTS, gap: float = 0.0) -> AsyncIterable[Item]:
    for index in range(n):
        await asyncio.sleep(gap)
        yield make_item(index)


@app.get("/idle", response_class=EventSourceResponse)
async def idle() -> AsyncIterable[Item]:
    TRACKER.open()
    try:
        yield make_item(0)
        await wait_forever()
    finally:
        TRACKER.close()


@app.get("/stats")
def stats() -> dict[str, object]:
    return TRACKER.stats()
