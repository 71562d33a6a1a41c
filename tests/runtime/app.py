"""The app the runtime tests serve: the generated routers over the services, plus plain routes.

`build_router` comes from ssegen's output for `tests/runtime/specs/`
(services.py implements the contracts). What the spec format does not express
stays ordinary app code beside the generated routers: the required tenant
header of the search stream, `/countdown` (an `EventStreamResponse` over a
source of encoded events, as topic streams use it) and an optional HTTP
middleware.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, FastAPI, Header, Request, Response
from runtime_search import build_router as search_router
from runtime_streams import Progress, TickEvent
from runtime_streams import build_router as streams_router
from runtime_streams.streams import TICKS
from ssegen.runtime import EventStreamResponse, encode_event

from tests.runtime.services import PROBE, SearchService, StreamsService


class Countdown:
    """A source of encoded events that is an async iterator but not an async generator."""

    def __init__(self, n: int, *, then_wait: bool) -> None:
        self.n = n
        self.then_wait = then_wait

    def __aiter__(self) -> Countdown:
        return self

    async def __anext__(self) -> bytes:
        if self.n == 0:
            if self.then_wait:
                await asyncio.Event().wait()
            raise StopAsyncIteration
        self.n -= 1
        return encode_event(TICKS, TickEvent(data=Progress(percent=self.n)), self.n)

    async def aclose(self) -> None:
        PROBE.hit("countdown.closed")


def require_tenant(tenant: Annotated[str, Header(alias="X-Tenant")]) -> None:
    """Makes `X-Tenant` required: spec format v1 makes every header parameter optional."""


def create_app(*, http_middleware: bool = False) -> FastAPI:
    app = FastAPI()
    app.include_router(streams_router(StreamsService()))
    app.include_router(search_router(SearchService()), dependencies=[Depends(require_tenant)])

    @app.get("/countdown", response_class=EventStreamResponse)
    async def countdown(n: int, then_wait: bool = False) -> EventStreamResponse:
        return EventStreamResponse(
            Countdown(n, then_wait=then_wait),
            keepalive=0,
            preamble=b"retry: 10\n",
            headers={"X-Source": "countdown"},
        )

    if http_middleware:
        # starlette's BaseHTTPMiddleware (`@app.middleware("http")`) needs every
        # request answered, even one whose client left before the first event.
        @app.middleware("http")
        async def count_failures(
            request: Request, call_next: Callable[[Request], Awaitable[Response]]
        ) -> Response:
            try:
                return await call_next(request)
            except Exception:
                PROBE.hit("middleware.failed")
                raise

    return app
