"""Subscribers coming and going on one instance, under seeded Redis timing: none skips an event.

The process reads each instance once (`redis_fanout.py`). When its last
subscriber leaves the instance is dropped from the read, and the next
subscriber opens it again, while an `XREAD` naming the old one may still be
in flight. Every command here takes a seeded random while
(tests/support/redis_timing.py), so replies come back in orders a loaded
server sees. For every seed, every subscriber's events are consecutive, in
order, and its subscription never ends `missed` or `overflow`: a live
subscriber never loses an event.

`SSEGEN_SCHEDULE_SEEDS=3,17 pytest tests/topics/test_fanout_churn.py` replays chosen seeds.
"""

from __future__ import annotations

import asyncio
import random
import uuid

import pytest
from ssegen.runtime import RedisBroker
from topic_feed import TickerLineEvent
from topic_feed.streams import TICKER_TOPIC

from tests.support.redis_server import RedisServer
from tests.support.redis_timing import held_redis, jittery_redis
from tests.support.seeds import schedule_seeds

pytestmark = pytest.mark.anyio

EVENTS = 240
# Three instances: each one's reopenings wake the shared read, so a read
# comes back for one instance while another is being opened.
ROOMS = [("lobby",), ("hall",), ("attic",)]


class Run:
    """What the publisher has done, as the subscribers see it."""

    def __init__(self) -> None:
        self.done = False
        self.delivered = 0  # events received, over all subscribers


async def _subscriber(
    broker: RedisBroker, run: Run, room: tuple[str, ...], wanted: int
) -> list[int]:
    """Subscribe, take up to `wanted` events (0: leave at once), leave; the ids taken."""
    sub = await broker.subscribe(TICKER_TOPIC, room, after=None)
    got: list[int] = []
    try:
        while len(got) < wanted:
            batch = await sub.next_batch(timeout=0.05)
            if batch is None:
                break
            if not batch and run.done:
                break  # nothing more is coming
            got += [entry.id for entry in batch]
        assert sub.ended in (None, "closed"), f"ended {sub.ended!r} after {got}"
    finally:
        sub.close()
    if got:
        assert got == list(range(got[0], got[0] + len(got))), f"skipped one: {got}"
    run.delivered += len(got)
    return got


@pytest.mark.parametrize("seed", schedule_seeds(8))
async def test_subscribers_churning_on_instances_never_skip_an_event(
    shared_redis: RedisServer, seed: int
) -> None:
    draw = random.Random(seed)
    client = jittery_redis(shared_redis.url, seed=seed)
    broker = RedisBroker(client, prefix=f"test-{uuid.uuid4().hex}", owns_client=True)
    run = Run()
    every: list[asyncio.Task[list[int]]] = []

    async def publisher() -> None:
        for n in range(EVENTS):
            room = ROOMS[n % len(ROOMS)]
            await broker.publish(TICKER_TOPIC, room, TickerLineEvent(data=f"line {n}"))
            await asyncio.sleep(draw.random() * 0.002)
        run.done = True

    try:
        publishing = asyncio.create_task(publisher())
        while not publishing.done():
            # Several arrive at once (a page's tabs reconnecting together),
            # and leave after a few events or none: each instance's fanout
            # closes and reopens often.
            for _ in range(draw.randint(0, 4)):
                if sum(not task.done() for task in every) < 8:
                    room, wanted = draw.choice(ROOMS), draw.choice([0, 0, 1, 1, 2, 4])
                    every.append(asyncio.create_task(_subscriber(broker, run, room, wanted)))
            await asyncio.sleep(draw.random() * 0.003)
        await publishing
        # Every subscriber's own checks, the early leavers' included.
        await asyncio.gather(*every)
        assert run.delivered > 0, "the subscribers received events at all"
    finally:
        await broker.aclose()


async def _publish(broker: RedisBroker, room: tuple[str, ...], text: str) -> int:
    return await broker.publish(TICKER_TOPIC, room, TickerLineEvent(data=text))


async def test_a_read_that_returns_while_its_instance_reopens_skips_nothing(
    shared_redis: RedisServer,
) -> None:
    """One interleaving the schedules above reach only now and then, played exactly.

    A read for an instance comes back after its last subscriber left and
    while a new one reopens it; a second subscriber joins meanwhile; the
    next read returns for another instance only, and the reopening's own
    read of the newest entry lands last. The second subscriber still gets
    every event published after it joined.
    """
    client = held_redis(shared_redis.url)
    broker = RedisBroker(client, prefix=f"test-{uuid.uuid4().hex}", owns_client=True)
    room, other = ROOMS[0], ROOMS[1]
    try:
        first = await broker.subscribe(TICKER_TOPIC, room, after=None)
        await _publish(broker, room, "warm-up")
        assert len(await first.next_batch(timeout=10) or []) == 1  # the read is idle again

        read = client.hold_replies("XREAD")
        await _publish(broker, room, "one")
        await read.arrived.wait()  # it names the instance, and comes back late
        first.close()  # the instance's last subscriber leaves

        opening = client.hold_pipeline("XREVRANGE")
        reopener = asyncio.create_task(broker.subscribe(TICKER_TOPIC, room, after=None))
        await opening.arrived.wait()
        wake_only = client.hold_replies("XREAD")
        read.open()
        joiner = asyncio.create_task(broker.subscribe(TICKER_TOPIC, room, after=None))
        await asyncio.wait({joiner}, timeout=1.0)  # it may wait for the reopening
        joined_early = joiner.done()

        # Another instance's opening wakes the read, which returns for it alone.
        elsewhere = await broker.subscribe(TICKER_TOPIC, other, after=None)
        await wake_only.arrived.wait()
        missable = await _publish(broker, room, "two")
        client.release_replies("XREAD")
        opening.open()  # the reopening reads the newest entry only now
        reopened, second = await reopener, await joiner
        wake_only.open()
        last = await _publish(broker, room, "three")

        for sub in (reopened, second):
            got: list[int] = []
            while not got or got[-1] < last:
                batch = await sub.next_batch(timeout=10)
                assert batch, f"ended {sub.ended!r} after {got}"
                got += [entry.id for entry in batch]
            assert got == list(range(got[0], last + 1)), f"skipped one: {got}"
            if sub is second and joined_early:
                assert got[0] <= missable, "it joined before this event was published"
            sub.close()
        elsewhere.close()
    finally:
        await broker.aclose()
