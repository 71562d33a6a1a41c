"""The conformance streams served by the ssegen runtime: `uvicorn tests.clients.app:app`.

`conformance_streams` is ssegen's output for `tests/clients/specs/`, built when
the session starts (tests/support/generated.py) and importable through
`PYTHONPATH`. `ConformanceService` implements its contract with the scenarios
of scenarios.py; the payloads come from payloads.py, so what the clients must
receive is computed apart from the generated models. The blank page and the
request log are plain routes beside the generated router.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from conformance_streams import (
    BlobData,
    BlobEvent,
    ChunkData,
    ChunkEvent,
    ConformanceStreamsService,
    CrashingEvent,
    CrashingTickEvent,
    CursorsEndEvent,
    CursorsEvent,
    CursorsTickEvent,
    DoneEvent,
    FailingEvent,
    FailingFailedEvent,
    FailingTickEvent,
    HostileEndEvent,
    HostileEvent,
    LogEvent,
    NumbersEndEvent,
    NumbersEvent,
    NumbersTickEvent,
    PingEvent,
    Problem,
    QuietEndEvent,
    QuietEvent,
    QuietTickEvent,
    QuoteEvent,
    Tick,
    UsageData,
    UsageEvent,
    VariantsEndEvent,
    VariantsEvent,
    build_router,
)
from fastapi import FastAPI, HTTPException
from fastapi.responses import HTMLResponse, JSONResponse

from tests.clients.payloads import (
    HOSTILE_TEXTS,
    VARIANTS,
    hostile_blobs,
    hostile_quotes,
    upstream_problem,
)
from tests.clients.scenarios import (
    BLANK_PAGE,
    FAILING_RETRY_AFTER_S,
    QUIET_PAUSE_S,
    SECRET,
    UNKNOWN_CURSOR_STATUS,
    CursorStyle,
    NumbersPlan,
    UnknownCursor,
    UpstreamUnavailable,
    cursor_id,
    cursor_position,
    failing_ticks_after,
)
from tests.clients.wire_faults import ConnectionCutter, RequestLog, hide_cut_tracebacks


class ConformanceService(ConformanceStreamsService):
    async def hostile(self) -> AsyncIterator[HostileEvent]:
        for text in HOSTILE_TEXTS:
            yield LogEvent(data=text)
        for blob in hostile_blobs():
            yield BlobEvent(data=BlobData(index=blob.index, textValue=blob.text))
        for quote in hostile_quotes():
            yield QuoteEvent(data=quote.root)
        yield HostileEndEvent()

    async def variants(self) -> AsyncIterator[VariantsEvent]:
        # Each variant is its own class; the runtime writes none of them an `event:` line
        # but `ping` (`event: message`) and `end`.
        for key, payload in VARIANTS:
            if key == "chunk":
                yield ChunkEvent(data=ChunkData.model_validate(payload))
            elif key == "usage":
                yield UsageEvent(data=UsageData.model_validate(payload))
            elif key == "ping":
                yield PingEvent()
            else:
                yield DoneEvent()
        yield VariantsEndEvent()

    async def numbers(
        self, *, key_: str, total: int, every: int, end: bool, last_event_id: int | None
    ) -> AsyncIterator[NumbersEvent]:
        plan = NumbersPlan(total, every, end)
        # Nothing to send when the client already has everything: the runtime answers 204.
        if plan.nothing_after(last_event_id):
            return
        for n in plan.ticks_after(last_event_id):
            yield NumbersTickEvent(data=Tick(n=n))
        if plan.ends_after(last_event_id):
            yield NumbersEndEvent()

    async def quiet(
        self, *, key_: str, total: int, last_event_id: int | None
    ) -> AsyncIterator[QuietEvent]:
        for n in range((last_event_id or 0) + 1, total + 1):
            await asyncio.sleep(QUIET_PAUSE_S)
            yield QuietTickEvent(data=Tick(n=n))
        yield QuietEndEvent()

    def cursors(
        self, *, key_: str, total: int, every: int, style: CursorStyle, last_event_id: str | None
    ) -> AsyncIterator[CursorsEvent]:
        plan = NumbersPlan(total, every)
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
            yield CursorsTickEvent(data=Tick(n=n), id=cursor_id(n, style))
        if plan.ends_after(after):
            yield CursorsEndEvent(id=cursor_id(plan.total + 1, style))

    async def crashing(
        self, *, key_: str, ticks: int, last_event_id: int | None
    ) -> AsyncIterator[CrashingEvent]:
        # Back after the `failed` event: nothing to send, the runtime answers 204.
        for n in failing_ticks_after(last_event_id, ticks):
            yield CrashingTickEvent(data=Tick(n=n))
            if n == ticks:
                raise RuntimeError(SECRET)

    async def failing(
        self, *, key_: str, ticks: int, last_event_id: int | None
    ) -> AsyncIterator[FailingEvent]:
        for n in failing_ticks_after(last_event_id, ticks):
            yield FailingTickEvent(data=Tick(n=n))
            if n == ticks:
                raise UpstreamUnavailable(retry_after=FAILING_RETRY_AFTER_S)

    def failing_error(self, exc: Exception) -> FailingFailedEvent | None:
        # The hook describes the failures it knows, from what is public about
        # them; anything else gets the runtime's default event.
        if isinstance(exc, UpstreamUnavailable):
            return FailingFailedEvent(
                data=Problem.model_validate(upstream_problem(exc.retry_after))
            )
        return None


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
