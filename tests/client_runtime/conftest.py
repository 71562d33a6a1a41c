"""What the client tests share: the example app behind a connection-cutting proxy.

`served` is the example app (every spec in specs/) under uvicorn, behind
`CutEvery`, which drops every event-stream connection after `budget` body
bytes (None: never), and a `RequestLog` that remembers every request's path
and Last-Event-ID. The `cut` fixture sets no budget afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

import examples.services
from examples.app import create_app
from tests.clients.wire_faults import ConnectionCut, LoggedRequest, RequestLog, hide_cut_tracebacks
from tests.support.server import serve_in_thread

ADA = {"Authorization": "Bearer token-ada"}


@dataclass
class CutEvery:
    """Drops every `text/event-stream` response after `budget` body bytes (None: never)."""

    app: Any
    budget: int | None = None
    cuts: int = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        budget = self.budget
        if scope["type"] != "http" or budget is None:
            await self.app(scope, receive, send)
            return
        left = budget
        streaming = False

        async def cutting_send(message: Any) -> None:
            nonlocal left, streaming
            if message["type"] == "http.response.start":
                headers = dict(message.get("headers", []))
                streaming = headers.get(b"content-type", b"").startswith(b"text/event-stream")
                await send(message)
                return
            body = message.get("body", b"")
            if not streaming or message["type"] != "http.response.body" or len(body) <= left:
                left -= len(body) if streaming else 0
                await send(message)
                return
            await send({"type": "http.response.body", "body": body[:left], "more_body": True})
            self.cuts += 1
            raise ConnectionCut(f"cut after {budget} bytes")

        await self.app(scope, receive, cutting_send)


@dataclass
class Served:
    url: str
    cutter: CutEvery
    log: RequestLog
    extra: dict[str, Any] = field(default_factory=dict)

    def requests(self, path: str) -> list[LoggedRequest]:
        return self.log.for_path(path)


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    hide_cut_tracebacks()
    step = examples.services.STEP
    examples.services.STEP = 0.0005
    cutter = CutEvery(create_app())
    log = RequestLog(cutter)
    try:
        with serve_in_thread(log) as url:
            yield Served(url, cutter, log)
    finally:
        examples.services.STEP = step


@pytest.fixture
def cut(served: Served) -> Iterator[CutEvery]:
    yield served.cutter
    served.cutter.budget = None
