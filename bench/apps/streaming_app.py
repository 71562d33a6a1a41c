"""A hand-written Starlette `StreamingResponse` inside FastAPI: what people wrote before fastapi.sse.

One f-string per event, yielded as bytes; Starlette sends each as its own body message.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from fastapi import FastAPI
from fastapi.responses import StreamingResponse

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


def frame(index: int) -> bytes:
    data = make_item(index).model_dump_json()
    return f"event: {EVENT_NAME}\ndata: {data}\nid: {event_id(index)}\n\n".encode()


async def stream_events(n: int) -> AsyncIterator[bytes]:
    for index in range(n):
        yield frame(index)


async def paced_events(n: int, gap: float) -> AsyncIterator[bytes]:
    for index in range(n):
        await asyncio.sleep(gap)
        yield frame(index)


async def idle_events() -> AsyncIterator[bytes]:
    TRACKER.open()
    try:
        yield frame(0)
        await wait_forever()
    finally:
        TRACKER.close()


# The SSE headers fastapi.sse also sets: no caching, and no proxy buffering (nginx).
HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


@app.get("/stream")
async def stream(n: int = DEFAULT_EVENTS) -> StreamingResponse:
    return StreamingResponse(stream_events(n), media_type="text/event-stream", headers=HEADERS)


@app.get("/paced")
async def paced(n: int = DEFAULT_PACED_EVENTS, gap: float = 0.0) -> StreamingResponse:
    return StreamingResponse(paced_events(n, gap), media_type="text/event-stream", headers=HEADERS)


@app.get("/idle")
async def idle() -> StreamingResponse:
    return StreamingResponse(idle_events(), media_type="text/event-stream", headers=HEADERS)


@app.get("/stats")
def stats() -> dict[str, object]:
    return TRACKER.stats()
