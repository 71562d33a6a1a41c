"""Replay and resume: every retained event after Last-Event-ID, then live ones, each once."""

from __future__ import annotations

import pytest

from tests.support.subscriber import connect

from .conftest import BrokerFactory
from .harness import ids, note_numbers, publish, served

pytestmark = pytest.mark.anyio


async def test_reconnect_gets_every_retained_event_after_its_id_then_live(
    make_broker: BrokerFactory,
) -> None:
    async with served(make_broker()) as client:
        await publish(client, "j1", count=5)
        async with connect(client, "/jobs/j1/feed") as first:
            seen = await first.read(3)
        assert note_numbers(seen) == [0, 1, 2]

        async with connect(client, "/jobs/j1/feed", last_event_id=seen[-1].last_event_id) as again:
            replayed = await again.read(2)
            assert note_numbers(replayed) == [3, 4]
            published = await publish(client, "j1", count=2, start=5)
            live = await again.read(2)
        assert note_numbers(live) == [5, 6]
        assert ids(live) == published
        every = ids(seen + replayed + live)
        assert every == list(range(every[0], every[0] + 7)), "ids are consecutive integers"


async def test_new_subscriber_gets_every_retained_event_then_live(
    make_broker: BrokerFactory,
) -> None:
    async with served(make_broker()) as client:
        published = await publish(client, "j2", count=3)
        async with connect(client, "/jobs/j2/feed") as feed:
            assert feed.status == 200
            assert feed.response.headers["content-type"].startswith("text/event-stream")
            replayed = await feed.read(3)
            published += await publish(client, "j2", count=1, start=3, lines=["a\nb", "\r\n"])
            live = await feed.read(3)
        assert note_numbers(replayed + live) == [0, 1, 2, 3]
        assert [e.data for e in live if e.type == "line"] == ["a\nb", "\n"]
        assert ids(replayed + live) == published


async def test_query_fallback_resumes_and_the_header_wins(make_broker: BrokerFactory) -> None:
    async with served(make_broker()) as client:
        published = await publish(client, "j3", count=4)
        async with connect(client, f"/jobs/j3/feed?last_event_id={published[1]}") as by_query:
            assert note_numbers(await by_query.read(2)) == [2, 3]
        url = f"/jobs/j3/feed?last_event_id={published[0]}"
        async with connect(client, url, last_event_id=str(published[2])) as both:
            assert note_numbers(await both.read(1)) == [3]


async def test_an_unparsable_last_event_id_is_a_400_problem(make_broker: BrokerFactory) -> None:
    async with served(make_broker()) as client:
        for bad in ("abc", "-1", "1.5", "12345678901234567890"):
            response = await client.get("/jobs/j4/feed", headers={"Last-Event-ID": bad})
            assert response.status_code == 400
            assert response.headers["content-type"] == "application/problem+json"
            assert response.json()["status"] == 400


async def test_the_key_endpoint_can_refuse_with_a_real_http_error(
    make_broker: BrokerFactory,
) -> None:
    async with served(make_broker()) as client:
        response = await client.get("/test/jobs/forbidden/guarded-feed")
        assert response.status_code == 403
        assert response.json()["detail"] == "not your job"


async def test_topic_instances_are_separate(make_broker: BrokerFactory) -> None:
    async with served(make_broker()) as client:
        await publish(client, "a:b", count=1)
        await publish(client, "a", count=2, start=10)
        async with connect(client, "/jobs/a:b/feed") as one, connect(client, "/jobs/a/feed") as two:
            assert note_numbers(await one.read(1)) == [0]
            assert note_numbers(await two.read(2)) == [10, 11]


async def test_a_topic_without_resume_sends_live_events_only_and_no_ids(
    make_broker: BrokerFactory,
) -> None:
    async with served(make_broker()) as client:
        await client.post("/test/rooms/r1/publish", json=["before"])
        async with connect(client, "/rooms/r1/ticker", last_event_id="1") as ticker:
            await client.post("/test/rooms/r1/publish", json=["one", "two"])
            events = await ticker.read(2)
        assert [e.data for e in events] == ["one", "two"]
        assert ticker.parser.last_event_id == "1", "no id: field was sent"


async def test_a_quiet_topic_sends_keepalive_comments_and_then_events(
    make_broker: BrokerFactory,
) -> None:
    async with (
        served(make_broker()) as client,
        connect(client, "/quiet/jobs/quiet/feed") as feed,  # a keepalive every 0.2 s
    ):
        await feed.read_comments(3)  # the opening one, then two keepalives
        await publish(client, "quiet", count=1, feed="quiet_feed")
        assert note_numbers(await feed.read(1)) == [0]
