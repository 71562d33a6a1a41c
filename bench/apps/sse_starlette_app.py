"""sse-starlette's `EventSourceResponse` inside FastAPI, yielding its `ServerSentEvent`s.

`sep="\n"` makes it send the same bytes as every other peer (its default separator is CRLF);
`ping=15` matches the 15 s keepalive of FastAPI's native SSE and of the ssegen stream.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from fastapi import FastAPI
from sse_starlette import EventSourceResponse, ServerSentEvent

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


def event(index: int) -> ServerSentEvent:
    return ServerSentEvent(
        data=make_item(index).model_dump_json(), event=EVENT_NAME, id=event_id(index), sep="\n"
    )


async def stream_events(n: int) -> AsyncIterator[ServerSentEvent]:
    for index in range(n):
        yield event(index)


async def paced_events(n: int, gap: float) -> AsyncIterator[ServerSentEvent]:
    for index in range(n):
        await asyncio.sleep(gap)
        yield event(index)


async def idle_events() -> AsyncIterator[ServerSentEvent]:
    TRACKER.open()
    try:
        yield event(0)
        await wait_forever()
    finally:
        TRACKER.close()


@app.get("/stream")
async def stream(n: int = DEFAULT_EVENTS) -> EventSourceResponse:
    return EventSourceResponse(stream_events(n), ping=15, sep="\n")


@app.get("/paced")
async def paced(n: int = DEFAULT_PACED_EVENTS, gap: float = 0.0) -> EventSourceResponse:
    return EventSourceResponse(paced_events(n, gap), ping=15, sep="\n")


@app.get("/idle")
async def idle() -> EventSourceResponse:
    return EventSourceResponse(idle_events(), ping=15, sep="\n")


@app.get("/stats")
def stats() -> dict[str, object]:
    return TRACKER.stats()
