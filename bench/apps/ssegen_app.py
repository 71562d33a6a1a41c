"""The ssegen peer: the package `ssegen build bench/specs -o bench/generated` generates, implemented.

bench/run.py builds it before starting the servers. Keepalive stays at the
default 15 s (FastAPI native's fixed interval) and the spec sets no `retry`,
so the stream is byte for byte what the other peers send.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from fastapi import FastAPI

from bench.apps.workload import TRACKER, wait_forever
from bench.generated.bench_sse import (
    BenchIdleEvent,
    BenchIdleItemEvent,
    BenchPacedEvent,
    BenchPacedItemEvent,
    BenchSseService,
    BenchStreamEvent,
    BenchStreamItemEvent,
    Item,
    build_router,
)


class Bench(BenchSseService):
    async def bench_stream(
        self, *, n: int, last_event_id: int | None
    ) -> AsyncIterator[BenchStreamEvent]:
        # ids: sequence numbers events 1, 2, 3 ...: event k carries item k - 1.
        for index in range(0 if last_event_id is None else last_event_id, n):
            yield BenchStreamItemEvent(data=Item(index=index, text="token"))

    async def bench_paced(
        self, *, n: int, gap: float, last_event_id: int | None
    ) -> AsyncIterator[BenchPacedEvent]:
        for index in range(0 if last_event_id is None else last_event_id, n):
            await asyncio.sleep(gap)
            yield BenchPacedItemEvent(data=Item(index=index, text="token"))

    async def bench_idle(self, *, last_event_id: int | None) -> AsyncIterator[BenchIdleEvent]:
        TRACKER.open()
        try:
            yield BenchIdleItemEvent(data=Item(index=0, text="token"))
            await wait_forever()
        finally:
            TRACKER.close()


app = FastAPI()
app.include_router(build_router(Bench()))


@app.get("/stats")
def stats() -> dict[str, object]:
    return TRACKER.stats()
