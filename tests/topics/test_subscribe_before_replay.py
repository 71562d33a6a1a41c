"""Subscribe before replay: events published while a replay runs are neither lost nor doubled."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.support.subscriber import connect

from .conftest import BrokerFactory
from .harness import ids, note_numbers, publish, served

pytestmark = pytest.mark.anyio

HISTORY = 300  # events retained before the first subscriber: every replay has work to do
LIVE = 300  # published in small batches while subscribers connect and replay


async def _subscribe(client: httpx.AsyncClient, last_event_id: str | None) -> list[int]:
    async with connect(client, "/jobs/race/feed", last_event_id=last_event_id) as feed:
        events = await feed.read_until("done", timeout=60)
    assert events[-1].type == "done"
    assert all(e.type != "ssegen.missed" for e in events)
    numbers = note_numbers(events)
    every_id = ids(events)
    assert every_id == list(range(every_id[0], every_id[0] + len(every_id))), "no gap, no repeat"
    return numbers


async def test_events_published_during_replays_arrive_exactly_once(
    make_broker: BrokerFactory,
) -> None:
    async with served(make_broker()) as client:
        history = await publish(client, "race", count=HISTORY)
        subscribers: list[tuple[int, asyncio.Task[list[int]]]] = []
        for batch in range(LIVE // 10):
            # A new subscriber joins after every batch, alternately fresh and
            # resuming from some earlier id, while the publisher keeps going.
            resume_from = (batch * 37) % HISTORY if batch % 2 else None
            header = None if resume_from is None else str(history[resume_from])
            first = 0 if resume_from is None else resume_from + 1
            task = asyncio.create_task(_subscribe(client, header))
            subscribers.append((first, task))
            await asyncio.sleep(0)
            await publish(client, "race", count=10, start=HISTORY + batch * 10)
        await publish(client, "race", end=True)
        for first, task in subscribers:
            numbers = await task
            assert numbers == list(range(first, HISTORY + LIVE))
