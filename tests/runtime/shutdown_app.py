"""The app of the graceful-shutdown tests: `uvicorn tests.runtime.shutdown_app:app` as a child process.

Handler streams come from the generated `runtime_streams` router: `/jobs/linger/events`
sends one event and then waits forever, `/jobs/linger-silent/events` waits
before its first event. Each handler leaves marker files in the folder named
by `SSEGEN_TEST_MARKERS` (`<n>.opened`, then `<n>.closed` from its `finally`),
since the test cannot look inside the server process. Topic subscriptions come
from the topic test app (the generated `topic_feed` router), on the default broker (in memory unless
`SSEGEN_REDIS_URL` is set), with its `/test/...` publish route. The lifespan
leaves `lifespan.ended`: uvicorn only runs it once every response has ended.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from itertools import count
from pathlib import Path

from fastapi import FastAPI
from runtime_streams import JobEventsEvent, Progress, ProgressEvent
from runtime_streams import build_router as streams_router

from tests.runtime.services import StreamsService
from tests.topics.feed_app import build_app as feed_app

MARKERS_VARIABLE = "SSEGEN_TEST_MARKERS"

_handlers = count(1)


def _markers() -> Path:
    return Path(os.environ[MARKERS_VARIABLE])


class LingeringService(StreamsService):
    """The runtime test service plus two handlers that never end on their own."""

    async def _job_linger(self, count: int, last: int | None) -> AsyncIterator[JobEventsEvent]:
        n = next(_handlers)
        (_markers() / f"{n}.opened").touch()
        try:
            yield ProgressEvent(data=Progress(percent=1))
            await asyncio.Event().wait()
        finally:
            (_markers() / f"{n}.closed").touch()

    async def _job_linger_silent(
        self, count: int, last: int | None
    ) -> AsyncIterator[JobEventsEvent]:
        n = next(_handlers)
        (_markers() / f"{n}.opened").touch()
        try:
            await asyncio.Event().wait()
            yield ProgressEvent(data=Progress(percent=1))
        finally:
            (_markers() / f"{n}.closed").touch()


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    (_markers() / "lifespan.ended").touch()


def build_app() -> FastAPI:
    # The topic app (its feed, ticker and publish routes) with the handler streams added.
    app = feed_app()
    app.router.lifespan_context = lifespan
    app.include_router(streams_router(LingeringService()))
    return app


app = build_app()
