"""Several worker processes: in-memory topics refuse loudly, Redis topics reach every worker.

Each test runs the topic test app under a real `uvicorn --workers 2` (or
`--reload`), the way FastAPI apps are deployed, and reads it over HTTP. A
worker is told apart by `/test/pid`, asked on the connection a subscriber
then streams on (one connection per client), so a test knows which worker
each subscriber reached.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

import httpx
import pytest
from ssegen.runtime.brokers import REDIS_URL_VARIABLE, TOPICS_MODE_VARIABLE

from tests.support.redis_server import RedisServer
from tests.support.server import serve_in_process
from tests.support.subscriber import Connection, connect

from .harness import ids
from .processes import APP, APP_ENV

pytestmark = pytest.mark.anyio

# Bounds on how many fresh connections a test opens until it has met both
# workers (the kernel hands each accepted connection to one of them).
ATTEMPTS = 200


def _without_topic_settings() -> dict[str, str]:
    return {**APP_ENV, REDIS_URL_VARIABLE: "", TOPICS_MODE_VARIABLE: ""}


@asynccontextmanager
async def _worker_client(base_url: str) -> AsyncIterator[tuple[int, httpx.AsyncClient]]:
    """A client on one connection of its own, and the pid of the worker serving it."""
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with httpx.AsyncClient(base_url=base_url, timeout=20, limits=limits) as client:
        response = await client.get("/test/pid")
        response.raise_for_status()
        yield int(response.json()["pid"]), client


async def _until_both_workers(base_url: str) -> set[int]:
    """Open connections until two different workers have answered; their pids."""
    seen: set[int] = set()
    for _ in range(ATTEMPTS):
        async with _worker_client(base_url) as (pid, _client):
            seen.add(pid)
        if len(seen) == 2:
            return seen
    raise AssertionError(f"only workers {seen} answered {ATTEMPTS} connections")


async def test_in_memory_topics_under_two_workers_fail_loudly_and_say_what_to_do(
    tmp_path: Path,
) -> None:
    log = tmp_path / "server.log"
    with (
        log.open("wb") as stderr,
        serve_in_process(
            APP, args=["--workers", "2"], env=_without_topic_settings(), stderr=stderr
        ) as base_url,
    ):
        workers = await _until_both_workers(base_url)
        refused: dict[int, httpx.Response] = {}
        for _ in range(ATTEMPTS):
            async with _worker_client(base_url) as (pid, client):
                response = await client.get(
                    "/jobs/j1/feed", headers={"Accept": "text/event-stream"}
                )
                if response.status_code != 200:
                    refused[pid] = response
            if set(refused) == workers:
                break
            await asyncio.sleep(0.05)  # a worker looks for siblings at most once a second
        assert set(refused) == workers, "every worker refuses: none serves a partitioned topic"
        for response in refused.values():
            assert response.status_code == 500
            assert response.headers["content-type"] == "application/problem+json"
            problem = response.json()
            assert problem["title"] == "Topics are split across worker processes"
            assert "SSEGEN_REDIS_URL" in problem["detail"]
            assert f"{TOPICS_MODE_VARIABLE}=per-process" in problem["detail"]
    logged = log.read_text(errors="replace")
    assert "several worker processes" in logged and "SSEGEN_REDIS_URL" in logged, logged


async def test_per_process_topics_are_served_when_the_app_opts_in() -> None:
    env = {**_without_topic_settings(), TOPICS_MODE_VARIABLE: "per-process"}
    with serve_in_process(APP, args=["--workers", "2"], env=env) as base_url:
        for pid in await _until_both_workers(base_url):
            # A subscriber and a publisher on the same worker: its own topics work.
            async with (
                _client_on(base_url, pid) as subscriber,
                _client_on(base_url, pid) as other,
                connect(subscriber, f"/jobs/own-{pid}/feed") as feed,
            ):
                assert feed.status == 200
                response = await other.post(f"/test/jobs/own-{pid}/publish", json={"count": 2})
                response.raise_for_status()
                assert ids(await feed.read(2)) == response.json()["ids"]


@asynccontextmanager
async def _client_on(base_url: str, wanted: int) -> AsyncIterator[httpx.AsyncClient]:
    """A one-connection client served by the worker `wanted`."""
    for _ in range(ATTEMPTS):
        async with _worker_client(base_url) as (pid, client):
            if pid == wanted:
                yield client
                return
    raise AssertionError(f"no connection reached worker {wanted} in {ATTEMPTS} attempts")


async def test_one_reloading_worker_is_no_partition(tmp_path: Path) -> None:
    """`--reload` runs a supervisor and one child at a time: topics work as usual."""
    args = ["--reload", "--reload-dir", str(tmp_path)]
    with serve_in_process(APP, args=args, env=_without_topic_settings()) as base_url:
        # The broker registered when the app was imported, and looks for
        # siblings at this first subscription: the supervisor serves nothing.
        async with (
            httpx.AsyncClient(base_url=base_url, timeout=20) as client,
            connect(client, "/jobs/reload/feed") as feed,
        ):
            assert feed.status == 200
            response = await client.post("/test/jobs/reload/publish", json={"count": 3})
            response.raise_for_status()
            assert ids(await feed.read(3)) == response.json()["ids"]


async def test_with_redis_every_subscriber_on_every_worker_gets_every_event(
    shared_redis: RedisServer,
) -> None:
    env = {**_without_topic_settings(), REDIS_URL_VARIABLE: shared_redis.url}
    job = f"workers-{os.getpid()}"
    with serve_in_process(APP, args=["--workers", "2"], env=env) as base_url:
        workers = await _until_both_workers(base_url)
        async with AsyncExitStack() as stack:
            feeds: list[tuple[int, Connection]] = []
            on: dict[int, int] = {}
            for _ in range(ATTEMPTS):
                pid, client = await stack.enter_async_context(_worker_client(base_url))
                if on.get(pid, 0) >= 2:
                    continue  # two subscribers per worker
                feed = await stack.enter_async_context(connect(client, f"/jobs/{job}/feed"))
                assert feed.status == 200
                feeds.append((pid, feed))
                on[pid] = on.get(pid, 0) + 1
                if set(on) == workers and all(n == 2 for n in on.values()):
                    break
            assert set(on) == workers
            async with httpx.AsyncClient(base_url=base_url, timeout=20) as publisher:
                published: list[int] = []
                for n in range(6):
                    response = await publisher.post(
                        f"/test/jobs/{job}/publish", json={"count": 1, "start": n}
                    )
                    response.raise_for_status()
                    published += response.json()["ids"]
            for pid, feed in feeds:
                assert ids(await feed.read(6)) == published, f"a subscriber on worker {pid}"
