"""A terminal event closes the instance: live subscribers end, later reconnects get 204."""

from __future__ import annotations

import pytest

from tests.support.subscriber import connect

from .conftest import BrokerFactory
from .harness import note_numbers, publish, served

pytestmark = pytest.mark.anyio


async def test_live_subscribers_end_after_the_terminal_event(make_broker: BrokerFactory) -> None:
    async with (
        served(make_broker()) as client,
        connect(client, "/jobs/t1/feed") as one,
        connect(client, "/jobs/t1/feed") as two,
    ):
        await publish(client, "t1", count=2, end=True)
        for feed in (one, two):
            events = await feed.read_to_end()
            assert [e.type for e in events] == ["note", "note", "done"]
            assert feed.clean_end


async def test_a_reconnect_at_or_after_the_terminal_event_gets_204(
    make_broker: BrokerFactory,
) -> None:
    async with served(make_broker()) as client:
        published = await publish(client, "t2", count=2, end=True)
        done = published[-1]
        for resume in (done, done + 1, done + 10_000):
            response = await client.get("/jobs/t2/feed", headers={"Last-Event-ID": str(resume)})
            assert response.status_code == 204
            assert response.content == b""


async def test_a_reconnect_before_the_terminal_event_gets_the_rest_then_ends(
    make_broker: BrokerFactory,
) -> None:
    async with served(make_broker()) as client:
        published = await publish(client, "t3", count=3, end=True)
        async with connect(client, "/jobs/t3/feed", last_event_id=str(published[0])) as feed:
            events = await feed.read_to_end()
        assert [e.type for e in events] == ["note", "note", "done"]
        assert note_numbers(events) == [1, 2]
        async with connect(client, "/jobs/t3/feed") as newcomer:
            history = await newcomer.read_to_end()
        assert [e.type for e in history] == ["note", "note", "note", "done"]


async def test_publishing_after_the_terminal_event_is_refused(make_broker: BrokerFactory) -> None:
    async with served(make_broker()) as client:
        await publish(client, "t4", end=True)
        response = await client.post("/test/jobs/t4/publish", json={"count": 1})
        assert response.status_code == 409
        assert "has ended" in response.json()["detail"]
