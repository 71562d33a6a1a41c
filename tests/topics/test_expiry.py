"""Idle instances expire after `ttl`; ids stay monotonic when an instance starts over."""

from __future__ import annotations

import pytest
from topic_feed.streams import EXPIRING_FEED_TOPIC

from tests.support.subscriber import connect
from tests.support.waiting import wait_until_async

from .conftest import BrokerFactory
from .harness import note_numbers, publish, served

pytestmark = pytest.mark.anyio

assert EXPIRING_FEED_TOPIC.ttl is not None
TTL = EXPIRING_FEED_TOPIC.ttl  # 0.3 s, from tests/topics/specs/feed.yaml


async def test_an_idle_instance_expires_and_its_ids_are_not_reused(
    make_broker: BrokerFactory,
) -> None:
    async with served(make_broker()) as client:
        before = await publish(client, "idle", count=2, feed="expiring_feed")

        async def expired() -> bool:
            # Resuming from the first id replays the second at once while the
            # instance lives; once it has expired, that id is missed.
            async with connect(
                client, "/expiring/jobs/idle/feed", last_event_id=str(before[0])
            ) as probe:
                return (await probe.read(1))[0].type == "ssegen.missed"

        # A look is a subscriber, and the ttl counts from the last one: look less
        # often than the ttl (the in-memory broker also sweeps at most once a second).
        assert await wait_until_async(expired, interval=2 * TTL)
        async with connect(client, "/expiring/jobs/idle/feed") as newcomer:
            after = await publish(client, "idle", count=1, start=2, feed="expiring_feed")
            events = await newcomer.read(1)
        assert note_numbers(events) == [2], "nothing of the expired instance is replayed"
        assert after[0] > before[-1], "a new instance continues the ids upwards"

        async with connect(
            client, "/expiring/jobs/idle/feed", last_event_id=str(before[-1])
        ) as back:
            notice, *rest = await back.read(2)
        assert notice.type == "ssegen.missed", "its old id belongs to the expired instance"
        assert note_numbers(rest) == [2]
