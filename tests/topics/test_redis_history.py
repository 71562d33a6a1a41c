"""Redis going back in time or freezing: ids never reused, losses never silent, no hangs.

Each test runs its own redis-server (`tests/support/redis_server.py`) and
makes it fail for real: a snapshot restored over newer data (`save()`, more
publishes, `stop()`, `start()`), a restart with or without the AOF, a
frozen process (SIGSTOP), a replica.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from redis.asyncio import Redis
from ssegen.runtime import RedisBroker
from ssegen.runtime.brokers import (
    BrokerUnavailableError,
    DurabilityError,
    DurabilityUnsupportedError,
    Subscription,
)
from topic_feed import JobFeedLineEvent
from topic_feed.streams import JOB_FEED_TOPIC

from tests.support.redis_server import RedisServer, redis_server
from tests.support.waiting import wait_until_async

pytestmark = pytest.mark.anyio

# Only guards against a hang: no test waits this long when it passes.
HANG = 30.0


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    """A redis-server of this test alone, since the test breaks it."""
    with redis_server() as server:
        yield server


async def publish(broker: RedisBroker, count: int, job: str = "j") -> list[int]:
    return [
        await broker.publish(JOB_FEED_TOPIC, (job,), JobFeedLineEvent(data=f"line {n}"))
        for n in range(count)
    ]


async def received(subscription: Subscription, until: int) -> list[int]:
    """The ids a subscription delivers up to id `until` (or its end)."""
    out: list[int] = []
    try:
        while not out or out[-1] < until:
            batch = await asyncio.wait_for(subscription.next_batch(), HANG)
            if batch is None:
                break
            out += [entry.id for entry in batch]
    finally:
        subscription.close()
    return out


async def test_a_rollback_never_reuses_ids_and_tells_exactly_who_may_have_missed(
    own_redis: RedisServer,
) -> None:
    first = RedisBroker.from_url(own_redis.url)
    try:
        kept = await publish(first, 5)
        own_redis.save()
        lost = await publish(first, 5)
    finally:
        await first.aclose()
    own_redis.stop()
    own_redis.start()  # from the snapshot: `lost` was delivered, and is gone

    # Another process: it never saw `lost`, only the clock can keep it from reusing them.
    broker = RedisBroker.from_url(own_redis.url)
    try:
        later = await publish(broker, 3)
        assert later[0] > lost[-1], "no id at or below one already handed out"
        assert later == list(range(later[0], later[0] + 3)), "then one by one again"

        # Whoever was at or before the cut, or in the lost part, may have missed events.
        for position in (kept[1], kept[-1], lost[0], lost[-1]):
            sub = await broker.subscribe(JOB_FEED_TOPIC, ("j",), after=position)
            assert sub.missed, f"a client at {position} is told"
            expected = [n for n in kept + later if n > position]
            assert await received(sub, later[-1]) == expected, "then gets what is left, once"

        # Whoever is past the cut missed nothing, and is not told otherwise.
        for position in (later[0], later[-1]):
            sub = await broker.subscribe(JOB_FEED_TOPIC, ("j",), after=position)
            assert not sub.missed, f"a client at {position} is up to date"
            sub.close()
        sub = await broker.subscribe(JOB_FEED_TOPIC, ("j",), after=later[0])
        assert await received(sub, later[-1]) == later[1:]

        # A new subscriber claims nothing: it gets what is retained.
        sub = await broker.subscribe(JOB_FEED_TOPIC, ("j",), after=None)
        assert not sub.missed
        assert await received(sub, later[-1]) == kept + later
    finally:
        await broker.aclose()


async def test_the_publishing_process_never_goes_back_even_if_redis_does(
    own_redis: RedisServer,
) -> None:
    broker = RedisBroker.from_url(own_redis.url)
    try:
        await publish(broker, 2)
        own_redis.save()
        before = await publish(broker, 3)
        own_redis.stop()
        own_redis.start()
        after = await publish(broker, 1)
        assert after[0] > before[-1]
        sub = await broker.subscribe(JOB_FEED_TOPIC, ("j",), after=before[-1])
        assert sub.missed, "the rolled-back events are gone: the client is told"
        sub.close()
    finally:
        await broker.aclose()


async def test_a_live_subscriber_across_a_rollback_is_not_fed_reused_history(
    own_redis: RedisServer,
) -> None:
    broker = RedisBroker.from_url(own_redis.url)
    try:
        await publish(broker, 2)
        own_redis.save()
        lost = await publish(broker, 2)
        live = await broker.subscribe(JOB_FEED_TOPIC, ("j",), after=lost[-1])
        assert not live.missed
        own_redis.stop()
        assert await asyncio.wait_for(live.next_batch(), HANG) is None
        assert live.ended == "unavailable", "it reconnects, and resumes from its id"
        own_redis.start()
        back = await broker.subscribe(JOB_FEED_TOPIC, ("j",), after=lost[-1])
        assert back.missed
        later = await publish(broker, 2)
        assert await received(back, later[-1]) == later
    finally:
        await broker.aclose()


async def test_a_restart_from_the_aof_keeps_every_event_and_says_it_cannot_prove_it() -> None:
    with redis_server(appendonly=True, appendfsync="always") as server:
        broker = RedisBroker.from_url(server.url)
        try:
            before = await publish(broker, 3)
            server.stop()  # SIGKILL: no shutdown save, only the AOF
            server.start()
            sub = await broker.subscribe(JOB_FEED_TOPIC, ("j",), after=before[0])
            # Redis cannot tell this restart from one that lost the last second.
            assert sub.missed
            after = await publish(broker, 1)
            assert await received(sub, after[-1]) == before[1:] + after, "nothing was lost"
            assert after[0] > before[-1]
            sub = await broker.subscribe(JOB_FEED_TOPIC, ("j",), after=after[0])
            assert not sub.missed, "after the restart, the chain is proof again"
            sub.close()
        finally:
            await broker.aclose()


async def test_a_frozen_redis_fails_publishers_and_ends_subscribers_instead_of_hanging(
    own_redis: RedisServer,
) -> None:
    # No socket timeout at all: only the broker's own timeout can end a wait.
    broker = RedisBroker(
        Redis.from_url(own_redis.url, socket_timeout=None), owns_client=True, timeout=0.5
    )
    try:
        await publish(broker, 1)
        live = await broker.subscribe(JOB_FEED_TOPIC, ("j",), after=None)
        assert len(await asyncio.wait_for(live.next_batch(), HANG) or []) == 1
        own_redis.freeze()
        try:
            with pytest.raises(BrokerUnavailableError, match="Redis is unavailable"):
                await asyncio.wait_for(publish(broker, 1), HANG)
            with pytest.raises(BrokerUnavailableError):
                await asyncio.wait_for(broker.subscribe(JOB_FEED_TOPIC, ("j",), after=None), HANG)
            assert await asyncio.wait_for(live.next_batch(), HANG) is None
            assert live.ended == "unavailable"
        finally:
            own_redis.thaw()
        again = await publish(broker, 1)
        sub = await broker.subscribe(JOB_FEED_TOPIC, ("j",), after=None)
        assert (await received(sub, again[-1]))[-1] == again[-1], "served again once it thaws"
    finally:
        await broker.aclose()


async def _redis_version(url: str) -> tuple[int, ...]:
    client = Redis.from_url(url)
    try:
        info = await client.info("server")
    finally:
        await client.aclose()
    return tuple(int(part) for part in str(info["redis_version"]).split(".")[:2])


async def test_a_durable_publish_refuses_a_redis_without_the_aof(own_redis: RedisServer) -> None:
    broker = RedisBroker.from_url(own_redis.url, durable="aof")
    try:
        with pytest.raises(DurabilityUnsupportedError, match="appendonly no"):
            await publish(broker, 1)
        sub = await broker.subscribe(JOB_FEED_TOPIC, ("j",), after=None)
        assert sub.position == 0, "nothing was published"
        sub.close()
    finally:
        await broker.aclose()


@pytest.mark.parametrize("fsync", ["always", "everysec"])
async def test_a_durable_publish_survives_a_crash(fsync: str) -> None:
    with redis_server(appendonly=True, appendfsync=fsync) as server:
        broker = RedisBroker.from_url(server.url, durable="aof")
        try:
            if fsync != "always" and await _redis_version(server.url) < (7, 2):
                # No WAITAOF before 7.2: only appendfsync always puts each write on disk.
                with pytest.raises(DurabilityUnsupportedError, match="appendfsync always"):
                    await publish(broker, 1)
                return
            sent = await publish(broker, 3)
            server.stop()  # SIGKILL right after the last publish returned
            server.start()
            sub = await broker.subscribe(JOB_FEED_TOPIC, ("j",), after=None)
            assert await received(sub, sent[-1]) == sent
        finally:
            await broker.aclose()


async def test_a_durable_publish_waits_for_replicas(own_redis: RedisServer) -> None:
    alone = RedisBroker.from_url(own_redis.url, durable="replicas", timeout=0.5)
    try:
        with pytest.raises(DurabilityError) as raised:
            await publish(alone, 1, job="alone")
        assert raised.value.event_id > 0, "it was published: the error says which id"
    finally:
        await alone.aclose()

    with redis_server(replica_of=own_redis) as replica:
        # The first sync.
        assert await wait_until_async(
            lambda: b"master_link_status:up" in replica.command("INFO", "replication")
        )
        broker = RedisBroker.from_url(own_redis.url, durable="replicas")
        try:
            sent = await publish(broker, 2)
            reader = Redis.from_url(replica.url)
            try:
                entries = await reader.xrange(broker.key(JOB_FEED_TOPIC, ("j",)))
            finally:
                await reader.aclose()
            on_replica = [int(raw.partition(b"-")[0]) for raw, _ in entries]
            assert on_replica == sent, "on the replica when publish returns"
        finally:
            await broker.aclose()
