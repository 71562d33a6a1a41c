"""Redis going away: subscribers get a clean close, publishers a clear exception, then recovery."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
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
