"""Redis going away: subscribers get a clean close, publishers a clear exception, then recovery."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from redis.asyncio import Connection, Redis
from ssegen.runtime import RedisBroker
from ssegen.runtime.brokers import BrokerUnavailableError
from topic_feed import JobFeedLineEvent
from topic_feed.streams import JOB_FEED_TOPIC

from tests.support.redis_server import RedisServer, redis_server
from tests.support.subscriber import connect

from .harness import ids, publish, served

pytestmark = pytest.mark.anyio


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    """A redis-server of this test alone, since the test stops it."""
    with redis_server() as server:
        yield server


async def test_subscribers_close_cleanly_publishers_fail_clearly_and_service_resumes(
    own_redis: RedisServer,
) -> None:
    async with served(RedisBroker.from_url(own_redis.url)) as client:
        async with connect(client, "/jobs/o1/feed") as feed:
            first = await publish(client, "o1", count=1)
            assert ids(await feed.read(1)) == first
            own_redis.stop()
            assert await feed.read_to_end() == []
            assert feed.clean_end, "a clean end: the client reconnects as after any end"
            assert "broker unavailable" in feed.parser.comments

        response = await client.post("/test/jobs/o1/publish", json={"count": 1})
        assert response.status_code == 503
        assert "Redis is unavailable" in response.json()["detail"]

        # A subscriber arriving meanwhile gets a stream that ends at once (a 5xx
        # would stop a browser's EventSource for good; this one retries).
        async with connect(client, "/jobs/o1/feed") as meanwhile:
            assert meanwhile.status == 200
            assert await meanwhile.read_to_end() == []
            assert "broker unavailable" in meanwhile.parser.comments

        own_redis.start()  # empty: nothing was persisted
        async with connect(client, "/jobs/o1/feed", last_event_id=str(first[0])) as back:
            notice = (await back.read(1))[0]
            assert notice.type == "ssegen.missed", "Redis lost the instance: the client is told"
            resumed = await publish(client, "o1", count=1, start=1)
            assert ids(await back.read(1)) == resumed
        assert resumed[0] > first[0], "ids keep going up across the Redis restart"


@dataclass(frozen=True)
class _NotAnEvent:
    data: str = "x"


async def test_the_broker_raises_broker_unavailable_while_redis_is_down(
    own_redis: RedisServer,
) -> None:
    broker = RedisBroker.from_url(own_redis.url)
    try:
        await broker.publish(JOB_FEED_TOPIC, ("o2",), JobFeedLineEvent(data="up"))
        with pytest.raises(TypeError):
            await broker.publish(JOB_FEED_TOPIC, ("o2",), _NotAnEvent())
        own_redis.stop()
        with pytest.raises(BrokerUnavailableError):
            await broker.publish(JOB_FEED_TOPIC, ("o2",), JobFeedLineEvent(data="down"))
        with pytest.raises(BrokerUnavailableError):
            await broker.subscribe(JOB_FEED_TOPIC, ("o2",), after=None)
        own_redis.start()
        assert await broker.publish(JOB_FEED_TOPIC, ("o2",), JobFeedLineEvent(data="up again")) > 0
    finally:
        await broker.aclose()


class ShortTimeoutConnection(Connection):
    """A connection class whose default read timeout is short, as redis-py 8's is 5 s."""

    def __init__(self, *, socket_timeout: float | None = 0.3, **options: object) -> None:
        super().__init__(socket_timeout=socket_timeout, **options)  # type: ignore[arg-type]


async def test_a_quiet_topic_on_a_client_with_default_timeouts_is_not_an_outage(
    shared_redis: RedisServer,
) -> None:
    """A client made with `Redis.from_url` leaves its read timeout to the connection class.

    The broker's blocked read must stay shorter than that timeout, or a
    topic with nothing to say for a while would look like Redis going away
    and end every subscription.
    """
    client = Redis.from_url(shared_redis.url, connection_class=ShortTimeoutConnection)
    assert "socket_timeout" not in client.connection_pool.connection_kwargs
    broker = RedisBroker(client, prefix="quiet-default-timeout", owns_client=True)
    try:
        sub = await broker.subscribe(JOB_FEED_TOPIC, ("quiet",), after=None)
        await asyncio.sleep(1.0)  # the silence under test: three read timeouts long
        assert sub.ended is None, "silence is not an outage"
        published = await broker.publish(JOB_FEED_TOPIC, ("quiet",), JobFeedLineEvent(data="hi"))
        batch = await sub.next_batch(timeout=10)
        assert [entry.id for entry in batch or []] == [published]
        sub.close()
    finally:
        await broker.aclose()
