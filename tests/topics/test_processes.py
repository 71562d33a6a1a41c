"""Past one process: two servers share Redis, and a server restart loses nothing."""

from __future__ import annotations

import os

import httpx
import pytest

from tests.support.redis_server import RedisServer
from tests.support.subscriber import connect

from .harness import ids, note_numbers
from .processes import app_process, other_process

pytestmark = pytest.mark.anyio


async def test_an_event_published_in_one_process_reaches_subscribers_of_another(
    shared_redis: RedisServer,
) -> None:
    with other_process(shared_redis.url) as one, other_process(shared_redis.url) as two:
        async with httpx.AsyncClient(timeout=20) as client:
            pids = {(await client.get(f"{url}/test/pid")).json()["pid"] for url in (one, two)}
            assert len(pids) == 2
            job = f"cross-{os.getpid()}"
            async with connect(client, f"{two}/jobs/{job}/feed") as on_two:
                published = await _publish(client, one, job, count=3)
                assert ids(await on_two.read(3)) == published
            # ... and a subscriber of the first process resumes where it left the second.
            more = await _publish(client, two, job, count=2, start=3, end=True)
            async with connect(
                client, f"{one}/jobs/{job}/feed", last_event_id=str(published[-1])
            ) as on_one:
                rest = await on_one.read_to_end()
            assert ids(rest) == more
            assert note_numbers(rest) == [3, 4]


async def test_restarting_the_server_process_loses_nothing_within_retention(
    shared_redis: RedisServer,
) -> None:
    job = f"restart-{os.getpid()}"
    with app_process(shared_redis.url) as server, other_process(shared_redis.url) as other:
        async with httpx.AsyncClient(timeout=20) as client:
            async with connect(client, f"{server.url}/jobs/{job}/feed") as feed:
                await _publish(client, server.url, job, count=3)
                before = await feed.read(3)
                server.kill()
                assert await feed.read_to_end() == []
                assert not feed.clean_end, "the connection was cut"
            # While the server is down, another process keeps publishing.
            while_down = await _publish(client, other, job, count=3, start=3)
            server.start()
            async with connect(
                client, f"{server.url}/jobs/{job}/feed", last_event_id=before[-1].last_event_id
            ) as again:
                replayed = await again.read(3)
                live = await _publish(client, server.url, job, count=1, start=6)
                assert ids(await again.read(1)) == live
        assert ids(replayed) == while_down
        assert note_numbers(before + replayed) == [0, 1, 2, 3, 4, 5]


async def _publish(
    client: httpx.AsyncClient,
    base_url: str,
    job: str,
    *,
    count: int = 0,
    start: int = 0,
    end: bool = False,
) -> list[int]:
    response = await client.post(
        f"{base_url}/test/jobs/{job}/publish", json={"count": count, "start": start, "end": end}
    )
    response.raise_for_status()
    published: list[int] = response.json()["ids"]
    return published
