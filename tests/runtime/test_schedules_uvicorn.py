"""Schedules under a real uvicorn with real sockets, while other routes must keep answering.

A subset of tests/runtime/test_schedules.py's handler schedules (those with no
server shutdown, which would end every stream of the process), and the freeze
that motivated the writer's state machine: a stream with `keepalive: 1` whose
handler waits 0.95 s, 1 s, 1.5 s or 2 s between events, and a topic whose
publishes come as long apart. All run at once on one server; meanwhile
`/openapi.json` is fetched over and over and must answer every time, and
after each test the shared server must still answer (tests/support/server.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial

import httpx
import pytest
from fastapi import FastAPI
from runtime_schedule import ClosedEvent, PostData, PostEvent, RoomPublisher, build_router
from ssegen.runtime import MemoryBroker

from tests.runtime.http_client import HTTP
from tests.runtime.schedule_app import PREAMBLE, Scheduled, expected_handler_frames, split_stream
from tests.runtime.schedules import Client, HandlerSchedule, handler_schedule
from tests.support.server import SharedServer

# Generous bounds for a loaded machine: a wait that reaches one is a failure, never a pass.
TIMEOUT = httpx.Timeout(60.0)
SETTLE = 60.0

REPRO_GAPS = (0.95, 1.0, 1.5, 2.0)  # around and above the keepalive (1 s)


def _subset(count: int = 20, longest: float = 4.0) -> list[HandlerSchedule]:
    chosen: list[HandlerSchedule] = []
    seed = 0
    while len(chosen) < count:
        schedule = handler_schedule(seed)
        if schedule.client.shutdown_at is None and schedule.duration() <= longest:
            chosen.append(schedule)
        seed += 1
    return chosen


def _repros() -> list[HandlerSchedule]:
    reader = Client(
        window=None, pauses=(), disconnect_at=None, shutdown_at=None, raise_when_gone=False
    )
    return [
        HandlerSchedule(
            10_000 + i,
            (("event",), ("gap", gap), ("event",), ("gap", gap), ("event",)),
            "terminal",
            reader,
        )
        for i, gap in enumerate(REPRO_GAPS)
    ]


SCHEDULES = _subset() + _repros()


@dataclass
class ScheduleServer:
    shared: SharedServer
    service: Scheduled
    broker: MemoryBroker
    loop: list[asyncio.AbstractEventLoop]  # the server's loop, once it started

    def publish(self, event: PostEvent | ClosedEvent, room: str) -> None:
        """Publish from the test's thread on the server's loop; returns once published."""
        coro = RoomPublisher(self.broker).publish(event, room=room)
        asyncio.run_coroutine_threadsafe(coro, self.loop[0]).result(timeout=SETTLE)


@pytest.fixture(scope="module")
def schedule_server() -> Iterator[ScheduleServer]:
    service = Scheduled(*SCHEDULES)
    brokers: list[MemoryBroker] = []
    loops: list[asyncio.AbstractEventLoop] = []

    def make_app() -> FastAPI:
        @asynccontextmanager
        async def lifespan(app: FastAPI) -> AsyncIterator[None]:
            loops[:] = [asyncio.get_running_loop()]
            yield

        broker = MemoryBroker()
        brokers[:] = [broker]
        app = FastAPI(lifespan=lifespan)
        app.include_router(build_router(service, broker=broker))
        return app

    shared = SharedServer.in_thread(make_app, http=HTTP)
    yield ScheduleServer(shared, service, brokers[0], loops)
    shared.close()


@pytest.fixture
def server(
    schedule_server: ScheduleServer, request: pytest.FixtureRequest
) -> Iterator[ScheduleServer]:
    yield schedule_server
    schedule_server.shared.check(request.node.nodeid)


@dataclass
class Read:
    status: int
    body: bytes
    complete: bool


async def _read(http: httpx.AsyncClient, path: str, client: Client) -> Read:
    """Read one stream as `client` says: not reading during its pauses, leaving at its time."""
    loop = asyncio.get_running_loop()
    opened = loop.time()
    pauses = sorted(client.pauses)
    body = bytearray()
    async with http.stream("GET", path) as response:

        async def consume() -> None:
            async for chunk in response.aiter_raw():
                body.extend(chunk)
                now = loop.time() - opened
                for start, length in pauses:
                    if start <= now < start + length:
                        await asyncio.sleep(start + length - now)

        reading = asyncio.ensure_future(consume())
        done, _ = await asyncio.wait([reading], timeout=client.disconnect_at)
        if not done:
            reading.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reading
            return Read(response.status_code, bytes(body), complete=False)
        reading.result()
        return Read(response.status_code, bytes(body), complete=True)


async def _probe_until(http: httpx.AsyncClient, done: asyncio.Event) -> int:
    """Fetch /openapi.json until `done`; every answer must be 200. Returns how many answered."""
    answered = 0
    while not done.is_set():
        response = await http.get("/openapi.json")
        assert response.status_code == 200, "another route stopped answering"
        answered += 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done.wait(), 0.05)
    return answered


async def _settled(check: Callable[[], bool], what: str) -> None:
    """Wait until `check()` holds (it changes on the server's thread), for at most SETTLE seconds."""
    try:
        async with asyncio.timeout(SETTLE):
            while not check():
                await asyncio.sleep(0.01)
    except TimeoutError:
        raise AssertionError(f"{what} did not happen within {SETTLE} s") from None


def test_schedules_under_uvicorn(server: ScheduleServer) -> None:
    async def scenario() -> tuple[list[Read], int]:
        done = asyncio.Event()
        async with httpx.AsyncClient(base_url=server.shared.url, timeout=TIMEOUT) as http:
            probing = asyncio.ensure_future(_probe_until(http, done))
            reads = await asyncio.gather(
                *(_read(http, f"/steps/{s.seed}", s.client) for s in SCHEDULES)
            )
            done.set()
            answered = await probing
            closed = server.service.closed
            for s in SCHEDULES:
                await _settled(
                    partial(set.__contains__, closed, s.seed), f"the finally of {s.seed}"
                )
        return reads, answered

    reads, answered = asyncio.run(scenario())
    assert answered > 0
    for schedule, read in zip(SCHEDULES, reads, strict=True):
        label = f"schedule {schedule.seed}: {schedule}"
        expected = expected_handler_frames(schedule)
        if read.status == 204:
            assert expected == [] and read.body == b"", label
            continue
        if read.status == 500:
            assert schedule.ending == "raise" and schedule.event_count() == 0, label
            continue
        assert read.status == 200, label
        assert read.body.startswith(PREAMBLE), label
        frames, comments = split_stream(read.body[len(PREAMBLE) :], complete=read.complete)
        assert frames == expected[: len(frames)], label
        if schedule.client.disconnect_at is None:
            assert read.complete and frames == expected, label
        if schedule.seed >= 10_000 and REPRO_GAPS[schedule.seed - 10_000] >= 1.5:
            assert comments >= 2, f"two waits of 1.5 s or more with a 1 s keepalive: {label}"


def test_topic_waits_around_the_keepalive_under_uvicorn(server: ScheduleServer) -> None:
    room = "uvicorn"
    expected = [b'event: post\ndata: {"n":%d}\n\n' % n for n in range(len(REPRO_GAPS) + 1)]

    async def scenario() -> bytes:
        loop = asyncio.get_running_loop()
        async with (
            httpx.AsyncClient(base_url=server.shared.url, timeout=TIMEOUT) as http,
            http.stream("GET", f"/rooms/{room}") as response,
        ):
            assert response.status_code == 200
            # The headers come once the subscription exists (ssegen/runtime/topic.py).
            chunks = response.aiter_raw()
            body = bytearray()
            await loop.run_in_executor(None, server.publish, PostEvent(data=PostData(n=0)), room)
            for n, gap in enumerate(REPRO_GAPS, start=1):
                await asyncio.sleep(gap)
                await loop.run_in_executor(
                    None, server.publish, PostEvent(data=PostData(n=n)), room
                )
            await loop.run_in_executor(None, server.publish, ClosedEvent(), room)
            async for chunk in chunks:
                body.extend(chunk)
            return bytes(body)

    body = asyncio.run(scenario())
    frames, comments = split_stream(body, complete=True)
    events = [f for f in frames if not f.startswith(b"event: closed")]
    assert [re.sub(rb"\nid: \d+\n", b"\n", f) for f in events] == expected
    assert comments >= 2, "waits of 1.5 s and 2 s with a 1 s keepalive bring comments"
