"""Shutdown ends open streams cleanly: a plain `uvicorn app` exits, and no client is cut off.

The SIGTERM test's server is a child process started the way users start
theirs (`uvicorn module:app`, no `--timeout-graceful-shutdown`), holding open
handler streams (one that has sent an event, one that has sent nothing yet)
and topic subscriptions (resumable and not) on either broker. The others use
the session's server in a thread, where the app itself says when to end
(`end_streams`, `set_shutdown_check`).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import AsyncExitStack, contextmanager
from pathlib import Path

import httpx
import pytest
from ssegen.runtime import end_streams, set_shutdown_check, uvicorn_is_exiting
from ssegen.runtime.brokers import REDIS_URL_VARIABLE

from tests.runtime.services import PROBE
from tests.runtime.shutdown_app import MARKERS_VARIABLE
from tests.support.generated import REPO, child_env
from tests.support.redis_server import redis_server
from tests.support.server import free_port, wait_for_port
from tests.support.subscriber import Connection, connect
from tests.support.waiting import wait_until

# Generous bounds that only keep a broken shutdown from hanging the suite.
EXIT_PATIENCE = 30.0
READ_PATIENCE = 20.0

LINGERING = 3  # handler streams that have sent their first event
SILENT = 2  # handler streams that have sent nothing yet
FEEDS = 2  # subscriptions of a resumable topic
TICKERS = 1  # subscriptions of a topic without ids


@contextmanager
def uvicorn_app(
    markers: Path, generated: list[Path], redis_url: str | None
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """`uvicorn tests.runtime.shutdown_app:app` with default settings; yields it and its URL."""
    port = free_port()
    env = {**os.environ, **child_env(*generated), MARKERS_VARIABLE: str(markers)}
    env.pop(REDIS_URL_VARIABLE, None)
    if redis_url is not None:
        env[REDIS_URL_VARIABLE] = redis_url
    stderr = markers / "server.log"
    with stderr.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "tests.runtime.shutdown_app:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            cwd=REPO,
            env=env,
            stderr=log,
        )
    try:
        wait_for_port(port)
        yield process, f"http://127.0.0.1:{port}"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def count_markers(folder: Path, suffix: str) -> int:
    return len(list(folder.glob(f"*.{suffix}")))


async def read_whole(client: httpx.AsyncClient, path: str) -> tuple[int, bytes]:
    """Status and whole body; httpx raises if the body ends without its last chunk."""
    async with client.stream("GET", path) as response:
        return response.status_code, await response.aread()


async def open_streams(
    client: httpx.AsyncClient, stack: AsyncExitStack, markers: Path
) -> tuple[list[Connection], list[asyncio.Task[tuple[int, bytes]]]]:
    """Every kind of open stream, each one known to be in place on the server."""
    streams: list[Connection] = []
    for _ in range(LINGERING):
        lingering = await stack.enter_async_context(connect(client, "/jobs/linger/events"))
        assert [e.type for e in await lingering.read(1)] == ["progress"]
        streams.append(lingering)
    published = await client.post("/test/jobs/shutdown/publish", json={"count": 2})
    published.raise_for_status()
    for _ in range(FEEDS):
        feed = await stack.enter_async_context(connect(client, "/jobs/shutdown/feed"))
        assert [e.last_event_id for e in await feed.read(2)] == [
            str(n) for n in published.json()["ids"]
        ]
        streams.append(feed)
    for _ in range(TICKERS):
        # The opening keepalive comes once the subscription is in place.
        ticker = await stack.enter_async_context(connect(client, "/rooms/shutdown/ticker"))
        await ticker.read_comments(1)
        streams.append(ticker)
    # No byte has gone out on these yet: the response is still to start.
    silent = [
        asyncio.create_task(read_whole(client, "/jobs/linger-silent/events")) for _ in range(SILENT)
    ]
    await asyncio.to_thread(
        wait_until, lambda: count_markers(markers, "opened") == LINGERING + SILENT
    )
    return streams, silent


@pytest.mark.parametrize("backend", ["memory", "redis"])
def test_sigterm_ends_every_open_stream_cleanly_and_the_server_exits(
    tmp_path: Path, generated: Path, topic_generated: Path, backend: str
) -> None:
    with (
        redis_server() if backend == "redis" else _nothing() as redis,
        uvicorn_app(tmp_path, [generated, topic_generated], redis.url if redis else None) as (
            process,
            url,
        ),
    ):

        async def scenario() -> None:
            async with (
                httpx.AsyncClient(base_url=url, timeout=READ_PATIENCE) as client,
                AsyncExitStack() as stack,
            ):
                streams, silent = await open_streams(client, stack, tmp_path)
                assert count_markers(tmp_path, "closed") == 0

                process.send_signal(signal.SIGTERM)

                for stream in streams:
                    # Nothing more, then the end of the chunked body: no cut connection.
                    assert await stream.read_to_end(timeout=READ_PATIENCE) == []
                    assert stream.clean_end
                for task in silent:
                    # A 200 with only the stream's `retry:` field: clients reconnect.
                    assert await task == (200, b"retry: 3000\n")

        asyncio.run(scenario())
        process.wait(timeout=EXIT_PATIENCE)

    # uvicorn re-raises the SIGTERM it handled once its shutdown is complete.
    assert process.returncode in (0, -signal.SIGTERM)
    # Every handler's `finally` ran, and uvicorn got as far as the lifespan
    # shutdown, which it only reaches once every response has ended.
    assert count_markers(tmp_path, "closed") == LINGERING + SILENT
    assert (tmp_path / "lifespan.ended").exists()
    log = (tmp_path / "server.log").read_text()
    assert "Traceback" not in log and "ERROR" not in log, log


@contextmanager
def _nothing() -> Iterator[None]:
    yield None


def test_end_streams_ends_the_open_streams_and_no_later_one(base_url: str) -> None:
    closed = PROBE.count("wait.closed")

    async def scenario() -> None:
        async with httpx.AsyncClient(base_url=base_url, timeout=READ_PATIENCE) as client:
            async with connect(client, "/jobs/wait/events") as waiting:
                assert [e.last_event_id for e in await waiting.read(1)] == ["1"]
                end_streams()  # from another thread than the server's, as a signal handler would
                assert await waiting.read_to_end(timeout=READ_PATIENCE) == []
                assert waiting.clean_end
            assert await asyncio.to_thread(
                wait_until, lambda: PROBE.count("wait.closed") == closed + 1
            )
            # The server goes on: a stream opened afterwards runs to its end.
            status, body = await read_whole(client, "/jobs/progress/events?count=2")
            assert status == 200 and body.count(b"event: ") == 3, body

    asyncio.run(scenario())


def test_streams_end_while_the_shutdown_check_says_so(base_url: str) -> None:
    shutting_down = False
    closed = PROBE.count("wait.closed")
    set_shutdown_check(lambda: shutting_down)
    try:

        async def scenario() -> None:
            nonlocal shutting_down
            async with httpx.AsyncClient(base_url=base_url, timeout=READ_PATIENCE) as client:
                async with connect(client, "/jobs/wait/events") as waiting:
                    await waiting.read(1)
                    shutting_down = True
                    assert await waiting.read_to_end(timeout=READ_PATIENCE) == []
                    assert waiting.clean_end
                # Opened while it still says so: ended before the handler starts.
                opened = PROBE.count("wait.opened")
                assert await read_whole(client, "/jobs/wait/events") == (200, b"retry: 3000\n")
                assert PROBE.count("wait.opened") == opened
                shutting_down = False
                status, body = await read_whole(client, "/jobs/progress/events?count=2")
                assert status == 200 and body.count(b"event: ") == 3, body

        asyncio.run(scenario())
    finally:
        set_shutdown_check(uvicorn_is_exiting)
    assert wait_until(lambda: PROBE.count("wait.closed") == closed + 1)
