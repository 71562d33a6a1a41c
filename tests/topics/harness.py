"""Serving the topic test app and publishing to it over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from ssegen.runtime import Broker, end_streams

from tests.support.server import serve_in_thread
from tests.support.sse import Event

from .feed_app import build_app


@asynccontextmanager
async def served(broker: Broker) -> AsyncIterator[httpx.AsyncClient]:
    """The test app on a real uvicorn (in a thread), and a client for it."""
    app = build_app(broker)
    with serve_in_thread(app) as base_url:
        try:
            async with httpx.AsyncClient(base_url=base_url, timeout=20.0) as client:
                yield client
        finally:
            # A uvicorn server in a thread installs no signal handlers, so the
            # runtime cannot see it stop: it is told, as such apps tell it.
            end_streams()


async def publish(
    client: httpx.AsyncClient,
    job_id: str,
    *,
    count: int = 0,
    start: int = 0,
    size: int = 0,
    lines: list[str] | None = None,
    end: bool = False,
    feed: str = "job_feed",
) -> list[int]:
    """Publish to `feed` through the app's route; returns the ids the broker assigned."""
    body: dict[str, Any] = {
        "feed": feed,
        "count": count,
        "start": start,
        "size": size,
        "lines": lines or [],
        "end": end,
    }
    response = await client.post(f"/test/jobs/{job_id}/publish", json=body)
    response.raise_for_status()
    ids: list[int] = response.json()["ids"]
    return ids


def note_numbers(events: list[Event]) -> list[int]:
    return [e.json()["sequenceNumber"] for e in events if e.type == "note"]


def ids(events: list[Event]) -> list[int]:
    return [int(e.last_event_id) for e in events if e.type != "ssegen.missed"]
