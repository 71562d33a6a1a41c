"""The conformance streams served by the ssegen runtime: `uvicorn tests.clients.app:app`.

The router is written the way ssegen generates one (endpoint functions with
FastAPI parameters, `serve(SPEC, endpoint)`, `EventStreamResponse`), on top of
a service that implements the scenarios in scenarios.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, AsyncIterator
from typing import Annotated

from fastapi import APIRouter, FastAPI, HTTPException, Path, Query
from fastapi.responses import HTMLResponse, JSONResponse
from ssegen.runtime import EventStreamResponse, serve

from tests.clients.app_events import (
    CURSORS,
    HOSTILE,
    NUMBERS,
    QUIET,
    CursorsEnd,
    CursorsEvent,
    CursorsTick,
    HostileBlob,
    HostileEnd,
    HostileEvent,
    HostileLog,
    HostileQuote,
    NumbersEnd,
    NumbersEvent,
    NumbersTick,
    QuietEnd,
    QuietEvent,
    QuietTick,
)
from tests.clients.payloads import HOSTILE_TEXTS, Tick, hostile_blobs, hostile_quotes
from tests.clients.scenarios import (
    BLANK_PAGE,
    QUIET_PAUSE_S,
    UNKNOWN_CURSOR_STATUS,
    CursorStyle,
    NumbersPlan,
    UnknownCursor,
    cursor_id,
    cursor_position,
)
from tests.clients.wire_faults import ConnectionCutter, RequestLog, hide_cut_tracebacks


class ConformanceService:
    async def hostile(self) -> AsyncIterator[HostileEvent]:
        for text in HOSTILE_TEXTS:
            yield HostileLog(data=text)
        for blob in hostile_blobs():
            yield HostileBlob(data=blob)
        for quote in hostile_quotes():
            yield HostileQuote(data=quote)
        yield HostileEnd()

    async def numbers(self, plan: NumbersPlan, last_event_id: int | None) -> AsyncIterator[NumbersEvent]:
        # Nothing to send when the client already has everything: the runtime answers 204.
        if plan.nothing_after(last_event_id):
            return
        for n in plan.ticks_after(last_event_id):
            yield NumbersTick(data=Tick(n=n))
        if plan.ends_after(last_event_id):
            yield NumbersEnd()

    async def quiet(self, total: int, last_event_id: int | None) -> AsyncIterator[QuietEvent]:
        for n in range((last_event_id or 0) + 1, total + 1):
            await asyncio.sleep(QUIET_PAUSE_S)
            yield QuietTick(data=Tick(n=n))
        yield QuietEnd()

    def cursors(
        self, plan: NumbersPlan, style: CursorStyle, last_event_id: str | None
    ) -> AsyncIterator[CursorsEvent]:
        # Raised before any event: the runtime must answer with this status.
        try:
            after = cursor_position(last_event_id, plan.total, style)
        except UnknownCursor as unknown:
            raise HTTPException(UNKNOWN_CURSOR_STATUS, detail=str(unknown)) from unknown
        return self._cursors(plan, style, after)

    async def _cursors(
        self, plan: NumbersPlan, style: CursorStyle, after: int
    ) -> AsyncIterator[CursorsEvent]:
        if plan.nothing_after(after):
            return
        for n in plan.ticks_after(after):
            yield CursorsTick(data=Tick(n=n), id=cursor_id(n, style))
        if plan.ends_after(after):
            yield CursorsEnd(id=cursor_id(plan.total + 1, style))


def build_router(service: ConformanceService) -> APIRouter:
    router = APIRouter()

    def hostile() -> AsyncIterable[HostileEvent]:
        return service.hostile()

    def numbers(
        key: Annotated[str, Path()],
        total: Annotated[int, Query()] = 10,
        every: Annotated[int, Query()] = 0,
        end: Annotated[bool, Query()] = True,
        *,
        last_event_id: int | None,
    ) -> AsyncIterable[NumbersEvent]:
        return service.numbers(NumbersPlan(total, every, end), last_event_id)

    def cursors(
        key: Annotated[str, Path()],
        total: Annotated[int, Query()] = 10,
        every: Annotated[int, Query()] = 0,
        style: Annotated[CursorStyle, Query()] = "ascii",
        *,
        last_event_id: str | None,
    ) -> AsyncIterable[CursorsEvent]:
        return service.cursors(NumbersPlan(total, every), style, last_event_id)

    def quiet(
        key: Annotated[str, Path()],
        total: Annotated[int, Query()] = 5,
        *,
        last_event_id: int | None,
    ) -> AsyncIterable[QuietEvent]:
        return service.quiet(total, last_event_id)

    for path, spec, endpoint in (
        ("/hostile", HOSTILE, hostile),
        ("/numbers/{key}", NUMBERS, numbers),
        ("/cursors/{key}", CURSORS, cursors),
        ("/quiet/{key}", QUIET, quiet),
    ):
        router.add_api_route(
            path,
            serve(spec, endpoint),
            methods=["GET"],
            operation_id=spec.name,
            response_model=None,
            response_class=EventStreamResponse,
        )
    return router


def build_app() -> RequestLog:
    api = FastAPI(title="ssegen client conformance")
    api.include_router(build_router(ConformanceService()))
    log = RequestLog(ConnectionCutter(api))

    @api.get("/blank", response_class=HTMLResponse)
    def blank() -> str:
        return BLANK_PAGE

    @api.get("/_requests")
    def requests(path: str) -> JSONResponse:
        return JSONResponse([entry.last_event_id for entry in log.for_path(path)])

    return log


hide_cut_tracebacks()
app = build_app()
