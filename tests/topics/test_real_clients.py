"""Real clients (headless Chromium's EventSource, npm eventsource, eventsource-parser, Python)
rejoin a topic across server restarts without losing or repeating an event."""

from __future__ import annotations

import asyncio
import json
import os

import httpx
import pytest

from tests.clients.client_runs import CLIENTS, ClientRun, run_client
from tests.support.redis_server import RedisServer
from tests.support.waiting import wait_until

from .processes import AppProcess, app_process, other_process

RESTARTS = 3
BATCH = 5


@pytest.fixture(params=CLIENTS)
def client_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _publish(base_url: str, job: str, start: int, *, end: bool = False) -> list[int]:
    response = httpx.post(
        f"{base_url}/test/jobs/{job}/publish",
        json={"count": BATCH, "start": start, "end": end},
        timeout=20,
    )
    response.raise_for_status()
    published: list[int] = response.json()["ids"]
    return published


def _wait_for_subscribe(base_url: str, job: str, *, resuming: bool) -> None:
    """Until the client has subscribed to this server process (with a Last-Event-ID if resuming)."""

    def subscribed() -> bool:
        seen = httpx.get(f"{base_url}/test/jobs/{job}/subscribes", timeout=5).json()
        return any(position is not None for position in seen) if resuming else bool(seen)

    if not wait_until(subscribed, interval=0.05, patience=60):
        raise TimeoutError(f"no subscribe to {job} reached {base_url}")


def test_a_client_rejoins_a_topic_across_server_restarts(
    shared_redis: RedisServer, client_name: str
) -> None:
    job = f"rejoin-{client_name}-{os.getpid()}"
    with app_process(shared_redis.url) as server, other_process(shared_redis.url) as other:
        url = f"{server.url}/jobs/{job}/feed"
        run = asyncio.run(_run_with_restarts(server, other, job, url, client_name))
    notes = [data for kind, data in run.events if kind == "note"]
    assert [kind for kind, _ in run.events].count("ssegen.missed") == 0, run.describe()
    total = BATCH * (2 * RESTARTS + 2)
    assert [json.loads(data)["sequenceNumber"] for data in notes] == list(range(total)), (
        run.describe()
    )
    assert run.events[-1] == ("done", ""), run.describe()
    received_ids = [int(i) for i in run.last_event_ids]
    assert received_ids == list(range(received_ids[0], received_ids[0] + total + 1))


async def _run_with_restarts(
    server: AppProcess, other: str, job: str, url: str, client_name: str
) -> ClientRun:
    """Let the client read `url` while the server is killed and restarted under it."""
    reading = asyncio.create_task(
        asyncio.to_thread(
            run_client,
            client_name,
            url,
            events=["note", "done", "ssegen.missed"],
            terminal=["done"],
            timeout=90,
        )
    )
    await asyncio.to_thread(_wait_for_subscribe, server.url, job, resuming=False)
    start = 0
    for _ in range(RESTARTS):
        await asyncio.to_thread(_publish, server.url, job, start)
        start += BATCH
        server.kill()
        # The client keeps retrying while the other process publishes on.
        await asyncio.to_thread(_publish, other, job, start)
        start += BATCH
        server.start()
        await asyncio.to_thread(_wait_for_subscribe, server.url, job, resuming=True)
    await asyncio.to_thread(_publish, server.url, job, start)
    start += BATCH
    await asyncio.to_thread(_publish, server.url, job, start, end=True)
    return await reading
