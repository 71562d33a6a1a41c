"""The application side of the runtime tests: implementations of the generated contracts.

`runtime_streams` and `runtime_search` are ssegen's output for
`tests/runtime/specs/`, built when the session starts (tests/support/generated.py).
`StreamsService` picks a behaviour from the path parameter, so each test asks
for the scenario it needs. `PROBE` counts handlers opened and handler `finally`
blocks run; the tests read it directly (the server runs in a thread).
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import AsyncIterator

from fastapi import HTTPException
from runtime_search import CompletedEvent as SearchCompletedEvent
from runtime_search import Progress as SearchProgressData
from runtime_search import ProgressEvent as SearchProgressEvent
from runtime_search import (
    RuntimeSearchService,
    SearchBody,
    SearchEvent,
)
from runtime_streams import (
    CompletedEvent,
    EndEvent,
    JobEventsEvent,
    JobEventsFailedEvent,
    LogEvent,
    NoteEvent,
    NotesEvent,
    NotifyBody,
    NotifyEvent,
    Problem,
    Progress,
    ProgressEvent,
    ReplyEvent,
    RuntimeStreamsService,
    TickEvent,
    TicksEvent,
)
from ssegen.runtime import ProblemError

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

NOTE_IDS = ("n-1", "n-\u00f6-2", "n-\u6e38\u6807-3")


class SecretError(RuntimeError):
    """A failure whose message must never reach a client."""


SECRET = "secret-internal-detail"


def _progress(k: int) -> ProgressEvent:
    return ProgressEvent(data=Progress(percent=k, stageName=f"stage {k}"))


class StreamsService(RuntimeStreamsService):
    """Picks a behaviour per `job_id`; each one is a scenario of the tests."""

    def job_events(
        self, *, job_id: str, count: int, last_event_id: int | None
    ) -> AsyncIterator[JobEventsEvent]:
        if job_id == "missing":
            # Raised by the endpoint itself, before it returns a stream.
            raise HTTPException(404, detail="No such job.", headers={"X-Reason": "gone"})
        scenario = getattr(self, "_job_" + job_id.replace("-", "_"), None)
        if scenario is None:
            raise HTTPException(404)
        stream: AsyncIterator[JobEventsEvent] = scenario(count, last_event_id)
        return stream

    def job_events_error(self, exc: Exception) -> JobEventsFailedEvent | None:
        if isinstance(exc, LookupError):
            return JobEventsFailedEvent(
                data=Problem(title="Lookup failed", status=424, detail="from the hook")
            )
        return None

    async def _job_progress(self, count: int, last: int | None) -> AsyncIterator[JobEventsEvent]:
        # Event k (k = 1..count) is progress k; `completed` is event count + 1.
        try:
            for k in range((last or 0) + 1, count + 1):
                yield _progress(k)
            if (last or 0) <= count:
                yield CompletedEvent()
        finally:
            PROBE.hit("progress.closed")

    async def _job_paced(self, count: int, last: int | None) -> AsyncIterator[JobEventsEvent]:
        for k in range((last or 0) + 1, count + 1):
            await asyncio.sleep(0.002)
            yield _progress(k)
        yield CompletedEvent()

    async def _job_hostile(self, count: int, last: int | None) -> AsyncIterator[JobEventsEvent]:
        for text in HOSTILE_TEXTS:
            yield LogEvent(data=text)
            yield ProgressEvent(data=Progress(percent=1, stageName=text))
        yield CompletedEvent()

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
        raise ProblemError(
            409,
            detail="The job is paused.",
            type="https://example.test/paused",
            extensions={"job": "conflict"},
        )
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

    async def _job_crash_late_paced(
        self, count: int, last: int | None
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
        yield TickEvent(data=Progress(percent=2))  # not an event of this stream

    async def _job_terminal(self, count: int, last: int | None) -> AsyncIterator[JobEventsEvent]:
        try:
            yield _progress(1)
            yield CompletedEvent()
            yield _progress(2)  # after a terminal event: never sent
            PROBE.hit("terminal.resumed")
        finally:
            PROBE.hit("terminal.closed")

    async def _job_paced_forever(
        self, count: int, last: int | None
    ) -> AsyncIterator[JobEventsEvent]:
        try:
            while True:
                PROBE.hit("paced-forever.produced")
                yield LogEvent(data="x" * 10_000)
                await asyncio.sleep(0)
        finally:
            PROBE.hit("paced-forever.closed")

    async def _job_messy_cleanup(
        self, count: int, last: int | None
    ) -> AsyncIterator[JobEventsEvent]:
        try:
            yield _progress(1)
            yield CompletedEvent()
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
                yield LogEvent(data="x" * 1000 + str(k))
        finally:
            PROBE.hit("burst-wait.closed")

    async def _job_bursts_wait(self, count: int, last: int | None) -> AsyncIterator[JobEventsEvent]:
        # Bursts below the writer's chunk size, each followed by a wait: the
        # writer flushes while the handler is suspended, until the unread
        # socket blocks that flush.
        PROBE.hit("bursts-wait.opened")
        try:
            for k in range(1, 10_000_000):
                yield LogEvent(data="x" * 1000 + str(k))
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
                    yield LogEvent(data="x" * 2000)
                try:
                    async with asyncio.timeout(0.005):
                        await asyncio.Event().wait()
                except TimeoutError:
                    PROBE.hit("timeouts.timed-out")
            yield CompletedEvent()
        finally:
            PROBE.hit("timeouts.closed")

    async def notes(self, *, topic: str, last_event_id: str | None) -> AsyncIterator[NotesEvent]:
        last = last_event_id
        ids = NOTE_IDS[NOTE_IDS.index(last) + 1 :] if last in NOTE_IDS else NOTE_IDS
        for note_id in ids:
            yield NoteEvent(id=note_id, data=f"{topic} {note_id}")
            if topic == "bad-id":
                yield NoteEvent(id="forged\nid: 1", data="never sent")
            if topic == "crash":
                raise SecretError(SECRET)
            if topic == "slow":
                await asyncio.sleep(0.3)
        yield EndEvent(id="end")

    async def notify(self, *, body: NotifyBody) -> AsyncIterator[NotifyEvent]:
        # JSON-RPC style: a notification gets no answer, so the response has no event.
        if not body.method.startswith("notifications/"):
            yield ReplyEvent(data=f"done {body.method}")

    async def ticks(self, *, mode: str, delay: float) -> AsyncIterator[TicksEvent]:
        await asyncio.sleep(delay)
        if mode == "crash":
            raise SecretError(SECRET)
        if mode == "tick":
            yield TickEvent(data=Progress(percent=1))
            await asyncio.sleep(delay)
            yield TickEvent(data=Progress(percent=2))


class SearchService(RuntimeSearchService):
    """Echoes its parameters in the events, so a test sees that each one arrived."""

    async def search(
        self, *, owner: str, limit: int, x_tenant: str | None, body: SearchBody
    ) -> AsyncIterator[SearchEvent]:
        wanted = limit if body.maxResults is None else min(body.maxResults, limit)
        for k in range(wanted):
            stage = f"{owner}/{x_tenant}/{body.query}"
            yield SearchProgressEvent(data=SearchProgressData(percent=k, stageName=stage))
        yield SearchCompletedEvent()
