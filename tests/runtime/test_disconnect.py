"""A client that goes away closes its handler at once, without the garbage collector's help."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator

import pytest

from tests.runtime.app import create_app
from tests.runtime.http_client import HTTP
from tests.runtime.raw_clients import drop_all, open_clients, stall_watch
from tests.runtime.services import PROBE
from tests.support.server import serve_in_thread
from tests.support.waiting import wait_until, wait_until_async

CLIENTS = 1000


@pytest.fixture
def no_gc() -> Iterator[None]:
    """Nothing may rely on the cyclic garbage collector to run a handler's `finally`."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def test_a_thousand_dropped_clients_close_a_thousand_handlers(base_url: str, no_gc: None) -> None:
    opened, closed = PROBE.count("wait.opened"), PROBE.count("wait.closed")

    async def scenario() -> None:
        # Each handler has sent its first event and now waits forever.
        writers = await open_clients(base_url, "/jobs/wait/events", CLIENTS, until=b"id: 1\n\n")
        assert PROBE.count("wait.opened") == opened + CLIENTS
        assert PROBE.count("wait.closed") == closed
        drop_all(writers)

    asyncio.run(scenario())
    assert wait_until(lambda: PROBE.count("wait.closed") == closed + CLIENTS), (
        f"{PROBE.count('wait.closed') - closed} of {CLIENTS} handlers closed"
    )


def test_a_client_dropped_before_the_first_event_closes_its_handler(
    base_url: str, no_gc: None
) -> None:
    opened, closed = PROBE.count("wait-silent.opened"), PROBE.count("wait-silent.closed")

    async def scenario() -> None:
        writers = await open_clients(base_url, "/jobs/wait-silent/events", 20, until=None)
        assert wait_until(lambda: PROBE.count("wait-silent.opened") == opened + 20)
        drop_all(writers)

    asyncio.run(scenario())
    assert wait_until(lambda: PROBE.count("wait-silent.closed") == closed + 20)


@pytest.mark.parametrize("job", ["burst-wait", "bursts-wait"])
def test_a_client_that_stops_reading_then_drops_closes_its_handler(
    base_url: str, no_gc: None, job: str
) -> None:
    # The handler produces faster than the client reads (without waiting in
    # "burst-wait", with short waits in "bursts-wait"): the writer is blocked
    # on a full socket when the client goes away.
    closed = PROBE.count(f"{job}.closed")

    async def scenario() -> None:
        writers = await open_clients(base_url, f"/jobs/{job}/events", 5, until=b"id: 10\n\n")
        # Nothing reads on: once each socket has stalled, the server's writes are blocked.
        watches = [stall_watch(w.get_extra_info("socket")) for w in writers]
        assert await wait_until_async(lambda: all(watch() for watch in watches), interval=0.05)
        drop_all(writers)

    asyncio.run(scenario())
    assert wait_until(lambda: PROBE.count(f"{job}.closed") == closed + 5)


@pytest.fixture(scope="module")
def middleware_base_url() -> Iterator[str]:
    with serve_in_thread(create_app(http_middleware=True), http=HTTP) as url:
        yield url


def test_a_client_dropped_before_the_first_event_is_still_answered(
    middleware_base_url: str, no_gc: None
) -> None:
    opened, closed = PROBE.count("wait-silent.opened"), PROBE.count("wait-silent.closed")

    async def scenario() -> None:
        writers = await open_clients(middleware_base_url, "/jobs/wait-silent/events", 5, until=None)
        assert wait_until(lambda: PROBE.count("wait-silent.opened") == opened + 5)
        drop_all(writers)

    asyncio.run(scenario())
    assert wait_until(lambda: PROBE.count("wait-silent.closed") == closed + 5)
    # The middleware got a response (nobody reads it) rather than "No response returned".
    assert PROBE.count("middleware.failed") == 0
