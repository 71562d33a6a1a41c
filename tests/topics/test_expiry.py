"""Idle instances expire after `ttl`; ids stay monotonic when an instance starts over."""

from __future__ import annotations

import asyncio

import pytest

from tests.support.subscriber import connect

from .conftest import BrokerFactory
from .harness import note_numbers, publish, served

pytestmark = pytest.mark.anyio

TTL = 0.3


async def test_an_idle_instance_expires_and_its_ids_are_not_reused(
    make_broker: BrokerFactory,
) -> None:
    async with served(make_broker(), ttl=TTL) as client:
        before = await publish(client, "idle", count=2)
        # Idle for well over the ttl (the in-memory broker looks for expired
        # instances at most once a second).
        await asyncio.sleep(TTL + 1.5)
        async with connect(client, "/jobs/idle/feed") as newcomer:
            after = await publish(client, "idle", count=1, start=2)
            events = await newcomer.read(1)
        assert note_numbers(events) == [2], "nothing of the expired instance is replayed"
        assert after[0] > before[-1], "a new instance continues the ids upwards"

        async with connect(client, "/jobs/idle/feed", last_event_id=str(before[-1])) as back:
            notice, *rest = await back.read(2)
        assert notice.type == "ssegen.missed", "its old id belongs to the expired instance"
        assert note_numbers(rest) == [2]
