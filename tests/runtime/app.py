"""The app the runtime tests serve: streams written the way the generator writes them.

Event classes, `StreamSpec`s and `build_router(service)` follow the shape of
generated code; `StreamsService` plays the application's implementation and
picks a behaviour from the path parameter, so each test asks for the
scenario it needs. `PROBE` counts handlers opened and handler `finally`
blocks run; the tests read it directly (the server runs in a thread).
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, ClassVar

from fastapi import APIRouter, FastAPI, Header, HTTPException, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from ssegen.runtime import (
    EventSpec,
    EventStreamResponse,
    ProblemError,
    StreamSpec,
    encode_event,
    serve,
)

from tests.runtime.payloads import HOSTILE_TEXTS


class Probe:
    """Thread-safe counts of what handlers did, keyed by scenario."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    def hit(self, key: str) -> None:
        with self._lock:
            self._counts[key] += 1

    def count(self, key: str) -> int:
        with self._lock:
            return self._counts[key]


PROBE = Probe()


# -- models (as datamodel-code-generator writes them) -------------------------------------------

class Progress(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    percent: int
    stage_name: str | None = Field(default=None, alias="stageName")


class Problem(BaseModel):
    type: str = "about:blank"
    title: str
    status: int | None = None
    detail: str | None = None


# -- events --------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True, kw_only=True)
class JobEventsProgress:
    EVENT: ClassVar[str] = "progress"
    data: Progress


@dataclass(frozen=True, slots=True, kw_only=True)
class JobEventsLog:
    EVENT: ClassVar[str] = "log"
    data: str


@dataclass(frozen=True, slots=True, kw_only=True)
class JobEventsCompleted:
    EVENT: ClassVar[str] = "completed"


@dataclass(frozen=True, slots=True, kw_only=True)
class JobEventsFailed:
    EVENT: ClassVar[str] = "failed"
    data: Problem


JobEventsEvent = JobEventsProgress | JobEventsLog | JobEventsCompleted | JobEventsFailed


@dataclass(frozen=True, slots=True, kw_only=True)
class NotesNote:
    EVENT: ClassVar[str] = "note"
    data: str
    id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class NotesEnd:
    EVENT: ClassVar[str] = "end"
    id: str


NotesEvent = NotesNote | NotesEnd


@dataclass(frozen=True, slots=True, kw_only=True)
class TicksTick:
    EVENT: ClassVar[str] = "tick"
    data: Progress


@dataclass(frozen=True, slots=True, kw_only=True)
class TicksFailed:
    EVENT: ClassVar[str] = "failed"
    data: str


TicksEvent = TicksTick | TicksFailed


class SearchBody(BaseModel):
    query: str = Field(min_length=1)
    max_results: int = Field(default=3, alias="maxResults", ge=1)


# -- specs ---------------------------------------------------------------------------------------

JOB_EVENTS = StreamSpec(
    name="job_events",
    events=(
        EventSpec(JobEventsProgress, "progress", "json"),
        EventSpec(JobEventsLog, "log", "text"),
        EventSpec(JobEventsCompleted, "completed", "none", terminal=True),
        EventSpec(JobEventsFailed, "failed", "json", terminal=True),
    ),
    retry=3000, keepalive=15.0, ids="sequence", resume_query="last_event_id", error=JobEventsFailed,
)

NOTES = StreamSpec(
    name="notes",
    events=(EventSpec(NotesNote, "note", "text"), EventSpec(NotesEnd, "end", "none", terminal=True)),
    keepalive=0, ids="handler", resume_query="after",
)

TICKS = StreamSpec(
    name="ticks",
    events=(EventSpec(TicksTick, "tick", "json"),
            EventSpec(TicksFailed, "failed", "text", terminal=True)),
    retry=500, keepalive=0.2, error=TicksFailed,
)

SEARCH = StreamSpec(
    name="search",
    events=(EventSpec(JobEventsProgress, "progress", "json"),
            EventSpec(JobEventsCompleted, "completed", "none", terminal=True)),
    keepalive=0,
)

NOTE_IDS = ("n-1", "n-\u00f6-2", "n-\u6e38\u6807-3")


# -- the application's implementation -------------------------------------------------------------

class SecretError(RuntimeError):
    """A failure whose message must never reach a client."""


SECRET = "secret-internal-detail"


def _progress(k: int) -> JobEventsProgress:
    return JobEventsProgress(data=Progress(percent=k, stageName=f"stage {k}"))


class StreamsService:
    """Picks a behaviour per `job_id`; each one is a scenario of the tests."""

    def job_events(self, job_id: str, count: int, last_event_id: int | None
                   ) -> AsyncIterable[JobEventsEvent]:
        if job_id == "missing":
            # Raised by the endpoint itself, before it returns a stream.
            raise HTTPException(404, detail="No such job.", headers={"X-Reason": "gone"})
        scenario = getattr(self, "_job_" + job_id.replace("-", "_"), None)
        if scenario is None:
            raise HTTPException(404)
        stream: AsyncIterable[JobEventsEvent] = scenario(count, last_event_id)
        return stream

    def job_events_error(self, exc: Exception) -> JobEventsFailed | None:
        if isinstance(exc, LookupError):
            return JobEventsFailed(data=Problem(title="Lookup failed", status=424,
                                                detail="from the hook"))
        return None

    async def _job_progress(self, count: int, last: int | None) -> AsyncIterator[JobEventsEvent]:
        # Event k (k = 1..count) is progress k; `completed` is event count + 1.
        try:
            for k in range((last or 0) + 1, count + 1):
                yield _progress(k)
            if (last or 0) <= count:
                yield JobEventsCompleted()
        finally:
            PROBE.hit("progress.closed")

    async def _job_paced(self, count: int, last: int | None) -> AsyncIterator[JobEventsEvent]:
        for k in range((last or 0) + 1, count + 1):
            await asyncio.sleep(0.002)
            yield _progress(k)
        yield JobEventsCompleted()

    async def _job_hostile(self, count: int, last: int | None) -> AsyncIterator[JobEventsEvent]:
        for text in HOSTILE_TEXTS:
            yield JobEventsLog(data=text)
            yield JobEventsProgress(data=Progress(percent=1, stageName=text))
        yield JobEventsCompleted()

    async def _job_empty(self, count: int, last: int | None) -> AsyncIterator[JobEventsEvent]:
        try:
            await asyncio.sleep(0)
            return
            yield
        finally:
            PROBE.hit("empty.closed")

    async def _job_forbidden(self, count: int, last: int | None) -> AsyncIterator[JobEventsEvent]:
        await asyncio.sleep(0.01)
        raise HTTPException(403, detail="Not your job.", headers={"WWW-Authenticate": "Bearer"})
        yield

    async def _job_conflict(self, count: int, last: int | None) -> AsyncIterator[JobEventsEvent]:
        raise ProblemError(409, detail="The job is paused.", type="https://example.test/paused",
                           extensions={"job": "conflict"})
        yield

    async def _job_crash_early(self, count: int, last: int | None) -> AsyncIterator[JobEventsEvent]:
        await asyncio.sleep(0.01)
        raise SecretError(SECRET)
        yield

    async def _job_crash_late(self, count: int, last: int | None) -> AsyncIterator[JobEventsEvent]:
        try:
            for k in range(1, 4):
                yield _progress(k)
            raise SecretError(SECRET)
        finally:
            PROBE.hit("crash-late.closed")

    async def _job_crash_late_paced(self, count: int, last: int | None
                                    ) -> AsyncIterator[JobEventsEvent]:
        for k in range(1, 4):
            yield _progress(k)
            await asyncio.sleep(0.005)
        raise SecretError(SECRET)

    async def _job_hooked(self, count: int, last: int | None) -> AsyncIterator[JobEventsEvent]:
        yield _progress(1)
        raise LookupError(SECRET)

    async def _job_foreign(self, count: int, last: int | None) -> AsyncIterator[object]:
        yield _progress(1)
        yield TicksTick(data=Progress(percent=2))  # not an event of this stream

    async def _job_terminal(self, count: int, last: int | None) -> AsyncIterator[JobEventsEvent]:
        try:
            yield _progress(1)
            yield JobEventsCompleted()
            yield _progress(2)  # after a terminal event: never sent
            PROBE.hit("terminal.resumed")
        finally:
            PROBE.hit("terminal.closed")

    async def _job_paced_forever(self, count: int, last: int | None
                                 ) -> AsyncIterator[JobEventsEvent]:
        try:
            while True:
                PROBE.hit("paced-forever.produced")
                yield JobEventsLog(data="x" * 10_000)
                await asyncio.sleep(0)
        finally:
            PROBE.hit("paced-forever.closed")

    async def _job_messy_cleanup(self, count: int, last: int | None
                                 ) -> AsyncIterator[JobEventsEvent]:
        try:
            yield _progress(1)
            yield JobEventsCompleted()
        finally:
            await asyncio.sleep(0.01)
            raise SecretError(SECRET)  # a bug in the handler's cleanup

    async def _job_wait(self, count: int, last: int | None) -> AsyncIterator[JobEventsEvent]:
        PROBE.hit("wait.opened")
        try:
            yield _progress(1)
            await asyncio.Event().wait()
        finally:
            PROBE.hit("wait.closed")

    async def _job_wait_silent(self, count: int, last: int | None) -> AsyncIterator[JobEventsEvent]:
        PROBE.hit("wait-silent.opened")
        try:
            await asyncio.Event().wait()
            yield _progress(1)
        finally:
            PROBE.hit("wait-silent.closed")

    async def _job_burst_wait(self, count: int, last: int | None) -> AsyncIterator[JobEventsEvent]:
        # Far more than a socket buffer holds, so the writer is blocked in send()
        # when the client goes away, with events still being produced.
        PROBE.hit("burst-wait.opened")
        try:
            for k in range(1, 10_000_000):
                yield JobEventsLog(data="x" * 1000 + str(k))
        finally:
            PROBE.hit("burst-wait.closed")

    async def _job_bursts_wait(self, count: int, last: int | None
                               ) -> AsyncIterator[JobEventsEvent]:
        # Bursts below the writer's chunk size, each followed by a wait: the
        # writer flushes while the handler is suspended, until the unread
        # socket blocks that flush.
        PROBE.hit("bursts-wait.opened")
        try:
            for k in range(1, 10_000_000):
                yield JobEventsLog(data="x" * 1000 + str(k))
                if k % 20 == 0:
                    await asyncio.sleep(0)
        finally:
            PROBE.hit("bursts-wait.closed")

    async def _job_timeouts(self, count: int, last: int | None) -> AsyncIterator[JobEventsEvent]:
        # Each round yields more than a slow client takes at once, then waits
        # inside a timeout of its own: the timeout must interrupt this await,
        # never the runtime's pending write.
        try:
            for _ in range(count):
                for _ in range(20):
                    yield JobEventsLog(data="x" * 2000)
                try:
                    async with asyncio.timeout(0.005):
                        await asyncio.Event().wait()
                except TimeoutError:
                    PROBE.hit("timeouts.timed-out")
            yield JobEventsCompleted()
        finally:
            PROBE.hit("timeouts.closed")

    def notes(self, topic: str, last_event_id: str | None) -> AsyncIterable[NotesEvent]:
        return self._notes(topic, last_event_id)

    async def _notes(self, topic: str, last: str | None) -> AsyncIterator[NotesEvent]:
        ids = NOTE_IDS[NOTE_IDS.index(last) + 1:] if last in NOTE_IDS else NOTE_IDS
        for note_id in ids:
            yield NotesNote(id=note_id, data=f"{topic} {note_id}")
            if topic == "bad-id":
                yield NotesNote(id="forged\nid: 1", data="never sent")
            if topic == "crash":
                raise SecretError(SECRET)
            if topic == "slow":
                await asyncio.sleep(0.3)
        yield NotesEnd(id="end")

    async def ticks(self, mode: str, delay: float) -> AsyncIterator[TicksEvent]:
        await asyncio.sleep(delay)
        if mode == "crash":
            raise SecretError(SECRET)
        if mode == "tick":
            yield TicksTick(data=Progress(percent=1))
            await asyncio.sleep(delay)
            yield TicksTick(data=Progress(percent=2))

    async def search(self, owner: str, body: SearchBody, tenant: str, limit: int
                     ) -> AsyncIterator[JobEventsProgress | JobEventsCompleted]:
        for k in range(min(body.max_results, limit)):
            yield JobEventsProgress(data=Progress(percent=k, stageName=f"{owner}/{tenant}/{body.query}"))
        yield JobEventsCompleted()


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
        return encode_event(TICKS, TicksTick(data=Progress(percent=self.n)), self.n)

    async def aclose(self) -> None:
        PROBE.hit("countdown.closed")


# -- the router, as generated --------------------------------------------------------------------

def build_router(service: StreamsService) -> APIRouter:
    router = APIRouter()

    def job_events(
        job_id: Annotated[str, Path()],
        count: Annotated[int, Query(ge=0)] = 3,
        *,
        last_event_id: int | None,
    ) -> AsyncIterable[JobEventsEvent]:
        return service.job_events(job_id=job_id, count=count, last_event_id=last_event_id)

    router.add_api_route(
        "/jobs/{job_id}/events", serve(JOB_EVENTS, job_events, on_error=service.job_events_error),
        methods=["GET"], operation_id="job_events", response_model=None,
        response_class=EventStreamResponse,
    )

    def notes(topic: Annotated[str, Path()], *, last_event_id: str | None
              ) -> AsyncIterable[NotesEvent]:
        return service.notes(topic=topic, last_event_id=last_event_id)

    router.add_api_route(
        "/notes/{topic}", serve(NOTES, notes), methods=["GET"], operation_id="notes",
        response_model=None, response_class=EventStreamResponse,
    )

    def ticks(mode: Annotated[str, Query()] = "tick", delay: Annotated[float, Query()] = 0.0
              ) -> AsyncIterable[TicksEvent]:
        return service.ticks(mode=mode, delay=delay)

    router.add_api_route(
        "/ticks", serve(TICKS, ticks), methods=["GET"], operation_id="ticks",
        response_model=None, response_class=EventStreamResponse,
    )

    def search(
        owner: Annotated[str, Path()],
        body: SearchBody,
        tenant: Annotated[str, Header(alias="X-Tenant")],
        limit: Annotated[int, Query(ge=1)] = 10,
    ) -> AsyncIterable[JobEventsProgress | JobEventsCompleted]:
        return service.search(owner=owner, body=body, tenant=tenant, limit=limit)

    router.add_api_route(
        "/search/{owner}", serve(SEARCH, search), methods=["POST"], operation_id="search",
        response_model=None, response_class=EventStreamResponse,
    )
    return router


def create_app(*, http_middleware: bool = False) -> FastAPI:
    app = FastAPI()
    app.include_router(build_router(StreamsService()))

    @app.get("/countdown", response_class=EventStreamResponse)
    async def countdown(n: int, then_wait: bool = False) -> EventStreamResponse:
        return EventStreamResponse(Countdown(n, then_wait=then_wait), keepalive=0,
                                   preamble=b"retry: 10\n", headers={"X-Source": "countdown"})
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
