"""What the conformance apps saw: the Last-Event-ID of each request to a path."""

from __future__ import annotations

from urllib.parse import urlencode
from uuid import uuid4

import httpx


def fresh_key() -> str:
    """A stream key no other test uses, so request counts are this test's own."""
    return uuid4().hex


def stream_url(server: str, stream: str, key: str, **query: int | str) -> str:
    return f"{server}/{stream}/{key}?{urlencode(query)}"


def resume_headers(server: str, path: str) -> list[str | None]:
    """The Last-Event-ID header of every request made to `path`, in order."""
    response = httpx.get(f"{server}/_requests", params={"path": path}, timeout=10)
    response.raise_for_status()
    seen: list[str | None] = response.json()
    return seen
