"""The response writer under seeded schedules: timers, bursts, slow readers, disconnects, shutdowns.

Each test id names a seed (tests/runtime/schedules.py draws the schedule from
it); `SSEGEN_SCHEDULE_SEEDS=17,42 pytest -k schedule` replays chosen seeds.
Every schedule runs in process, through the generated router of
tests/runtime/specs/schedule.yaml, on a virtual clock (tests/support/virtual_loop.py)
against an in-process connection that pushes back (tests/support/asgi_wire.py).
For every schedule:

- the app returns, and the client got exactly the stream's events in order
  (all of them, or a prefix when it left or the server shut down), then a
  clean end unless it left;
- the status is what the runtime promises (204 with nothing to send, a
  problem for a failure before the start, else 200);
- the handler's `finally` ran, and no task is left on the loop;
- no silence between writes is longer than the keepalive (plus its slack);
- a canary task on the loop never waits more than 100 ms of loop time, and
  the loop does little work while every stream waits (no spinning).
"""

from __future__ import annotations

import asyncio
import json
import re

import pytest
from fastapi import FastAPI
from runtime_schedule import (
    ClosedEvent,
    PostData,
    PostEvent,
    RoomPublisher,
    build_router,
)
from ssegen.runtime import MemoryBroker, end_streams

from tests.runtime.schedule_app import (
    PREAMBLE,
    Scheduled,
    expected_handler_frames,
    split_stream,
)
from tests.runtime.schedules import (
    KEEPALIVE,
    Client,
    handler_schedule,
    topic_schedule,
)
from tests.support.asgi_wire import Wire
from tests.support.seeds import schedule_seeds
from tests.support.virtual_loop import run_virtual, watchdog

CANARY_PERIOD = 0.01
SLACK = 0.02  # the writer's timer slack, plus loop iterations


async def _canary(lags: list[float]) -> None:
    loop = asyncio.get_running_loop()
    while True:
        before = loop.time()
        await asyncio.sleep(CANARY_PERIOD)
        lags.append(loop.time() - before - CANARY_PERIOD)


async def _drive_client(wire: Wire, client: Client) -> None:
    """The client's and the server operator's part of a schedule, at their virtual times."""
    loop = asyncio.get_running_loop()
    start = wire.opened
    moments: list[tuple[float, str]] = []
    for at, length in client.pauses:
        moments += [(at, "pause"), (at + length, "resume")]
    if client.disconnect_at is not None:
        moments.append((client.disconnect_at, "disconnect"))
    if client.shutdown_at is not None:
        moments.append((client.shutdown_at, "shutdown"))
    for at, what in sorted(moments):
        delay = start + at - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        if what == "pause":
            wire.pause()
        elif what == "resume":
            wire.resume()
        elif what == "disconnect":
            wire.disconnect()
        else:
            end_streams()
    wire.resume()


def check_silences(wire: Wire, until: float) -> None:
    """Between two writes (and before the first), never more than the keepalive of silence."""
    taken = wire.opened
    for called, done in wire.writes:
        if called > until:
            break
        assert called - taken <= KEEPALIVE + SLACK, (
            f"{called - taken:.6f} s without a write at t={taken:.6f} (keepalive {KEEPALIVE} s)"
        )
        taken = done


def check_loop_health(lags: list[float], iterations: int, elapsed: float, work: int) -> None:
    assert max(lags, default=0.0) <= 0.1, f"the canary waited {max(lags):.3f} s of loop time"
    # Timers: the canary's, keepalives and the shutdown poll, a few iterations
    # each; plus a bounded amount of work per event and per schedule step.
    budget = 1000 + 10 * elapsed / CANARY_PERIOD + 40 * work
    assert iterations <= budget, f"{iterations} loop iterations for {elapsed:.2f} s: the loop spins"


async def _settle_tasks(*keep: asyncio.Task[object]) -> None:
    for _ in range(3):
        await asyncio.sleep(0)
    current = asyncio.current_task()
    left = [t for t in asyncio.all_tasks() if t is not current and t not in keep]
    assert not left, f"tasks left behind: {left}"


@pytest.mark.parametrize("seed", schedule_seeds(300))
def test_handler_schedule(seed: int) -> None:
    schedule = handler_schedule(seed)
    service = Scheduled(schedule)

    async def scenario() -> tuple[Wire, float, list[float], int]:
        loop = asyncio.get_running_loop()
        app = FastAPI()
        app.include_router(build_router(service, broker=MemoryBroker()))
        lags: list[float] = []
        canary = loop.create_task(_canary(lags))
        wire = Wire(window=schedule.client.window, raise_when_gone=schedule.client.raise_when_gone)
        client = loop.create_task(_drive_client(wire, schedule.client))
        await wire.request(app, f"/steps/{seed}", [])
        ended = loop.time()
        client.cancel()
        wire.resume()
        await asyncio.wait([client])
        canary.cancel()
        await asyncio.wait([canary])
        await _settle_tasks()
        return wire, ended, lags, loop.iterations  # type: ignore[attr-defined]

    with watchdog(f"handler schedule {seed}: {schedule}"):
        wire, ended, lags, iterations = run_virtual(scenario)

    stops = schedule.client.stops_at()
    stopped = stops is not None and stops <= ended
    if seed in service.started:
        assert seed in service.closed, "the handler's finally did not run"
    expected = expected_handler_frames(schedule)
    if wire.status is None:
        assert wire.disconnected and not wire.received
    elif wire.status == 204:
        assert expected == [] and not wire.received
    elif wire.status == 500:
        assert schedule.ending == "raise" and schedule.event_count() == 0
        assert dict(wire.headers)[b"content-type"] == b"application/problem+json"
        assert json.loads(bytes(wire.received))["status"] == 500
    else:
        assert wire.status == 200
        body = bytes(wire.received)
        assert body.startswith(PREAMBLE)
        frames, _ = split_stream(body[len(PREAMBLE) :], complete=wire.complete)
        assert frames == expected[: len(frames)], "events out of order, doubled or changed"
        if not stopped:
            assert frames == expected and wire.complete
        elif not wire.disconnected:
            assert wire.complete, "a shutdown must end the body cleanly"
    check_silences(wire, ended if stops is None else min(stops, ended))
    check_loop_health(lags, iterations, ended, len(schedule.actions) + len(expected))


@pytest.mark.parametrize("seed", schedule_seeds(150))
def test_topic_schedule(seed: int) -> None:
    schedule = topic_schedule(seed)

    async def scenario() -> tuple[Wire, float, list[float], int, list[int]]:
        loop = asyncio.get_running_loop()
        broker = MemoryBroker()
        app = FastAPI()
        app.include_router(build_router(Scheduled(), broker=broker))
        publisher = RoomPublisher(broker)
        published: list[int] = []

        async def publish(count: int) -> None:
            if seed % 2 and count > 1:  # odd seeds: the generated batch publisher
                first = len(published)
                batch = [PostEvent(data=PostData(n=first + k)) for k in range(count)]
                await publisher.publish_many(batch, room="r")
                published.extend(range(first, first + count))
                return
            for _ in range(count):
                await publisher.publish(PostEvent(data=PostData(n=len(published))), room="r")
                published.append(len(published))

        async def publish_all(start: float) -> None:
            for at, count in schedule.publishes:
                delay = start + at - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                await publish(count)
            if schedule.terminal:
                await publisher.publish(ClosedEvent(), room="r")

        await publish(schedule.before)
        lags: list[float] = []
        canary = loop.create_task(_canary(lags))
        wire = Wire(window=schedule.client.window, raise_when_gone=schedule.client.raise_when_gone)
        client = loop.create_task(_drive_client(wire, schedule.client))
        publishing = loop.create_task(publish_all(wire.opened))
        await wire.request(app, "/rooms/r", [])
        ended = loop.time()
        for task in (client, publishing):
            task.cancel()
        wire.resume()
        await asyncio.wait([client, publishing])
        canary.cancel()
        await asyncio.wait([canary])
        await broker.aclose()
        await _settle_tasks()
        return wire, ended, lags, loop.iterations, published  # type: ignore[attr-defined]

    with watchdog(f"topic schedule {seed}: {schedule}"):
        wire, ended, lags, iterations, published = run_virtual(scenario)

    stops = schedule.client.stops_at()
    stopped = stops is not None and stops <= ended
    if wire.status is None:
        assert wire.disconnected
    else:
        assert wire.status == 200
        frames, _ = split_stream(bytes(wire.received), complete=wire.complete)
        ids = [int(m) for f in frames for m in re.findall(rb"\nid: (\d+)\n", f)]
        assert ids == sorted(set(ids)) and len(ids) == len(frames), "ids not increasing"
        events = [re.sub(rb"\nid: \d+\n", b"\n", f) for f in frames]
        expected = [b'event: post\ndata: {"n":%d}\n\n' % n for n in published]
        if (
            schedule.terminal
            and len(published) == sum(c for _, c in schedule.publishes) + schedule.before
        ):
            expected.append(b"event: closed\ndata: \n\n")
        assert events == expected[: len(events)], "events out of order, doubled or changed"
        if not stopped:
            assert events == expected and wire.complete
        elif not wire.disconnected:
            assert wire.complete, "a shutdown must end the body cleanly"
    check_silences(wire, ended if stops is None else min(stops, ended))
    work = len(schedule.publishes) + sum(c for _, c in schedule.publishes) + schedule.before
    check_loop_health(lags, iterations, ended, work)
