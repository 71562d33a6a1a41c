"""The conformance streams served by sse-starlette instead of the ssegen runtime.

It checks the harness itself: every client must pass against it too, so a test
that fails only against the ssegen app points at the runtime, not at a client.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable

from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from tests.clients.payloads import (
    DEFAULT_PROBLEM,
    HOSTILE_TEXTS,
    VARIANTS,
    Tick,
    hostile_blobs,
    hostile_quotes,
    upstream_problem,
    variant_data,
)
from tests.clients.scenarios import (
    BLANK_PAGE,
    FAILING_RETRY_AFTER_S,
    QUIET_KEEPALIVE_S,
    QUIET_PAUSE_S,
    RETRY_MS,
    UNKNOWN_CURSOR_STATUS,
    CursorStyle,
    NumbersPlan,
    UnknownCursor,
    cursor_id,
    cursor_position,
    failing_ticks_after,
)
from tests.clients.wire_faults import ConnectionCutter, RequestLog, hide_cut_tracebacks


async def hostile(request: Request) -> Response:
    async def events() -> AsyncIterator[ServerSentEvent]:
        for text in HOSTILE_TEXTS:
            yield ServerSentEvent(text, event="log")
        for blob in hostile_blobs():
            yield ServerSentEvent(blob.model_dump_json(by_alias=True), event="blob")
        for quote in hostile_quotes():
            yield ServerSentEvent(quote.model_dump_json(), event="quote")
        yield ServerSentEvent("", event="end")

    return EventSourceResponse(events(), ping=15)


async def variants(request: Request) -> Response:
    async def events() -> AsyncIterator[ServerSentEvent]:
        for key, payload in VARIANTS:
            # `ping` is sent as `event: message`, the others without an event line.
            yield ServerSentEvent(variant_data(payload), event="message" if key == "ping" else None)
        yield ServerSentEvent("", event="end")

    return EventSourceResponse(events(), ping=15)


def resume_value(request: Request, query: str) -> str | None:
    # Starlette decodes headers as Latin-1; Last-Event-ID is UTF-8 (WHATWG).
    header = request.headers.get("last-event-id", "").encode("latin-1").decode("utf-8")
    return header or request.query_params.get(query) or None


def resume_position(request: Request) -> int | None:
    raw = resume_value(request, "last_event_id")
    return int(raw) if raw else None


def plan_of(request: Request) -> NumbersPlan:
    query = request.query_params
    return NumbersPlan(
        total=int(query.get("total", "10")),
        every=int(query.get("every", "0")),
        end=query.get("end", "true") == "true",
    )


async def numbers(request: Request) -> Response:
    plan = plan_of(request)
    after = resume_position(request)
    if plan.nothing_after(after):
        return Response(status_code=204)

    async def events() -> AsyncIterator[ServerSentEvent]:
        yield ServerSentEvent(retry=RETRY_MS)
        for n in plan.ticks_after(after):
            yield ServerSentEvent(Tick(n=n).model_dump_json(), event="tick", id=str(n))
        if plan.ends_after(after):
            yield ServerSentEvent("", event="end", id=str(plan.total + 1))

    return EventSourceResponse(events(), ping=15)


async def cursors(request: Request) -> Response:
    plan = plan_of(request)
    style: CursorStyle = "utf8" if request.query_params.get("style") == "utf8" else "ascii"
    try:
        after = cursor_position(resume_value(request, "cursor"), plan.total, style)
    except UnknownCursor as unknown:
        return JSONResponse({"detail": str(unknown)}, status_code=UNKNOWN_CURSOR_STATUS)
    if plan.nothing_after(after):
        return Response(status_code=204)

    async def events() -> AsyncIterator[ServerSentEvent]:
        yield ServerSentEvent(retry=RETRY_MS)
        for n in plan.ticks_after(after):
            yield ServerSentEvent(Tick(n=n).model_dump_json(), event="tick", id=cursor_id(n, style))
        if plan.ends_after(after):
            yield ServerSentEvent("", event="end", id=cursor_id(plan.total + 1, style))

    return EventSourceResponse(events(), ping=15)


async def quiet(request: Request) -> Response:
    total = int(request.query_params.get("total", "5"))
    after = resume_position(request)

    async def events() -> AsyncIterator[ServerSentEvent]:
        yield ServerSentEvent(retry=RETRY_MS)
        for n in range((after or 0) + 1, total + 1):
            await asyncio.sleep(QUIET_PAUSE_S)
            yield ServerSentEvent(Tick(n=n).model_dump_json(), event="tick", id=str(n))
        yield ServerSentEvent("", event="end", id=str(total + 1))

    return EventSourceResponse(events(), ping=QUIET_KEEPALIVE_S)


def failing_stream(problem: dict[str, object]) -> Callable[[Request], Awaitable[Response]]:
    """A stream that sends its ticks, then the `failed` event an ssegen stream sends."""

    async def endpoint(request: Request) -> Response:
        ticks = int(request.query_params.get("ticks", "3"))
        sent = failing_ticks_after(resume_position(request), ticks)
        if not sent:
            return Response(status_code=204)

        async def events() -> AsyncIterator[ServerSentEvent]:
            yield ServerSentEvent(retry=RETRY_MS)
            for n in sent:
                yield ServerSentEvent(Tick(n=n).model_dump_json(), event="tick", id=str(n))
            yield ServerSentEvent(json.dumps(problem), event="failed", id=str(ticks + 1))

        return EventSourceResponse(events(), ping=15)

    return endpoint


async def blank(request: Request) -> Response:
    return HTMLResponse(BLANK_PAGE)


def build_app() -> RequestLog:
    starlette = Starlette(
        routes=[
            Route("/blank", blank),
            Route("/hostile", hostile),
            Route("/variants", variants),
            Route("/numbers/{key}", numbers),
            Route("/cursors/{key}", cursors),
            Route("/quiet/{key}", quiet),
            Route("/crashing/{key}", failing_stream(DEFAULT_PROBLEM)),
            Route("/failing/{key}", failing_stream(upstream_problem(FAILING_RETRY_AFTER_S))),
        ]
    )
    log = RequestLog(ConnectionCutter(starlette))

    async def requests(request: Request) -> Response:
        path = request.query_params["path"]
        return JSONResponse([entry.last_event_id for entry in log.for_path(path)])

    starlette.add_route("/_requests", requests)
    return log


hide_cut_tracebacks()
app = build_app()
