"""ASGI wrappers the conformance apps share: a request log and a connection cutter.

`RequestLog` remembers the path and `Last-Event-ID` header of every request,
so a test can count reconnects and see what each one asked for.
`ConnectionCutter` cuts a response after a byte budget given in the query
(`?cut=N`): it lets the first N body bytes through, possibly in the middle of
an event, then raises, and uvicorn drops the connection without the final
chunk. That is what a client sees when a proxy or network dies mid-stream.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class LoggedRequest:
    path: str
    last_event_id: str | None


@dataclass(slots=True)
class RequestLog:
    """Records every HTTP request that reaches `app`."""

    app: ASGIApp
    requests: list[LoggedRequest] = field(default_factory=list)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            header: str | None = None
            for name, value in scope["headers"]:
                if name == b"last-event-id":
                    # WHATWG SSE sends the last event ID string encoded as UTF-8.
                    header = value.decode("utf-8", errors="replace")
            self.requests.append(LoggedRequest(scope["path"], header))
        await self.app(scope, receive, send)

    def for_path(self, path: str) -> list[LoggedRequest]:
        return [request for request in self.requests if request.path == path]


class ConnectionCut(Exception):
    """Raised inside `send` to make the server drop the connection."""


def cut_budget(scope: Scope) -> int | None:
    values = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("cut")
    return int(values[0]) if values else None


@dataclass(frozen=True, slots=True)
class ConnectionCutter:
    """Cuts any response whose request carries `?cut=N` after N body bytes."""

    app: ASGIApp

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        budget = cut_budget(scope) if scope["type"] == "http" else None
        if budget is None:
            await self.app(scope, receive, send)
            return
        left = budget

        async def cutting_send(message: Message) -> None:
            nonlocal left
            if message["type"] != "http.response.body":
                await send(message)
                return
            if left < 0:
                raise ConnectionCut("connection already cut")
            body: bytes = message.get("body", b"")
            if len(body) <= left and message.get("more_body", False):
                left -= len(body)
                await send(message)
                return
            if len(body) <= left:
                # The response ends within the budget: let it end normally.
                await send(message)
                return
            await send({"type": "http.response.body", "body": body[:left], "more_body": True})
            left = -1
            raise ConnectionCut(f"cut after {budget} bytes")

        await self.app(scope, receive, cutting_send)


def is_cut(error: BaseException | None) -> bool:
    if isinstance(error, ConnectionCut):
        return True
    if isinstance(error, BaseExceptionGroup):
        return all(is_cut(inner) for inner in error.exceptions)
    return error is not None and (is_cut(error.__cause__) or is_cut(error.__context__))


class HideCuts(logging.Filter):
    """Keeps uvicorn from printing a traceback for every deliberate cut."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and is_cut(record.exc_info[1]))


def hide_cut_tracebacks() -> None:
    logging.getLogger("uvicorn.error").addFilter(HideCuts())
