"""An id that fell out of retention is not silently accepted: the subscriber is told."""

from __future__ import annotations

import pytest
from ssegen.runtime.resume import MAX_SEQUENCE_ID
from topic_feed.streams import SMALL_FEED_TOPIC

from tests.support.subscriber import connect

from .conftest import BrokerFactory
from .harness import ids, note_numbers, publish, served

pytestmark = pytest.mark.anyio

KEEP = SMALL_FEED_TOPIC.keep  # 5, from tests/topics/specs/feed.yaml
# Redis trims `MAXLEN ~` streams a whole node (100 entries by default) at a
# time, so enough events are published to fall out of retention on both.
PUBLISHED = 250


async def test_an_id_out_of_retention_gets_the_missed_event_then_what_is_retained(
    make_broker: BrokerFactory,
) -> None:
    async with served(make_broker()) as client:
        published = await publish(client, "old", count=PUBLISHED, feed="small_feed")
        stale = str(published[0])
        async with connect(client, "/small/jobs/old/feed", last_event_id=stale) as feed:
            notice = (await feed.read(1))[0]
            assert notice.type == "ssegen.missed"
            assert notice.json() == {"last_event_id": stale}
            # The notice carries no id: the client's position stays where it was.
            assert notice.last_event_id == stale
            retained = await feed.read(1)
            while note_numbers(retained)[-1] != PUBLISHED - 1:
                retained += await feed.read(1)
            numbers = note_numbers(retained)
            assert numbers[-1] == PUBLISHED - 1
            assert numbers == list(range(numbers[0], PUBLISHED))
            assert 1 < numbers[0] <= PUBLISHED - KEEP, "older events were really dropped"
            live = await publish(client, "old", count=1, start=PUBLISHED, feed="small_feed")
            assert ids(await feed.read(1)) == live


@pytest.mark.parametrize("ahead", [1000, MAX_SEQUENCE_ID])
async def test_an_id_never_issued_gets_the_missed_event_then_live_events(
    make_broker: BrokerFactory, ahead: int
) -> None:
    async with served(make_broker()) as client:
        published = await publish(client, "future", count=2, feed="small_feed")
        unknown = str(min(published[-1] + ahead, MAX_SEQUENCE_ID))  # the largest id that parses
        async with connect(client, "/small/jobs/future/feed", last_event_id=unknown) as feed:
            notice = (await feed.read(1))[0]
            assert notice.type == "ssegen.missed"
            await publish(client, "future", count=1, start=2, feed="small_feed")
            assert note_numbers(await feed.read(1)) == [2]


async def test_a_retained_id_gets_no_missed_event(make_broker: BrokerFactory) -> None:
    async with served(make_broker()) as client:
        published = await publish(client, "fresh", count=KEEP, feed="small_feed")
        async with connect(
            client, "/small/jobs/fresh/feed", last_event_id=str(published[0])
        ) as feed:
            events = await feed.read(KEEP - 1)
        assert note_numbers(events) == list(range(1, KEEP))
