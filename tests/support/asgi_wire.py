"""One in-process HTTP connection for an ASGI app, with a client that can stop reading.

`Wire.send` behaves as uvicorn's does: a body goes into the connection's
buffer; once more than `window` bytes are unread the server is pushed back,
and the next send waits until the client reads (uvicorn waits for the
transport to drain before writing). After a disconnect a send returns at once
(uvicorn) or raises OSError (ASGI 2.4 servers may), as `raise_when_gone` says.
Every send records when it was called and when it was taken, so that a test
can measure the silences between writes.
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.types import ASGIApp, Message


class Wire:
    def __init__(self, *, window: int | None = None, raise_when_gone: bool = False) -> None:
        self.loop = asyncio.get_running_loop()
        self.window = window
        self.raise_when_gone = raise_when_gone
        self.status: int | None = None
        self.headers: list[tuple[bytes, bytes]] = []
        self.received = bytearray()  # what the client has read
        self.unread = bytearray()  # taken by the connection, not read yet
        self.complete = False
        self.disconnected = False
        self.reading = True
        self.opened = self.loop.time()
        self.writes: list[tuple[float, float]] = []  # (called, taken) per send
        self._writable: asyncio.Future[None] | None = None
        self._gone: asyncio.Future[None] = self.loop.create_future()
        self._requested = False

    # -- the ASGI server side --------------------------------------------------

    async def receive(self) -> Message:
        if not self._requested:
            self._requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.shield(self._gone)
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        called = self.loop.time()
        while not self.disconnected and self.window is not None and len(self.unread) > self.window:
            self._writable = self.loop.create_future()
            await self._writable
        if self.disconnected:
            if self.raise_when_gone:
                raise OSError("the client is gone")
            return
        if self.complete:
            raise RuntimeError(f"a message after the response completed: {message['type']}")
        if message["type"] == "http.response.start":
            if self.status is not None:
                raise RuntimeError("a second http.response.start")
            self.status = message["status"]
            self.headers = list(message.get("headers", []))
        else:
            if self.status is None:
                raise RuntimeError("a body before http.response.start")
            self.unread += message.get("body", b"")
            self.complete = not message.get("more_body", False)
            self.writes.append((called, self.loop.time()))
        self._deliver()

    # -- the client side --------------------------------------------------------

    def pause(self) -> None:
        self.reading = False

    def resume(self) -> None:
        self.reading = True
        self._deliver()

    def disconnect(self) -> None:
        if self.disconnected:
            return
        self.disconnected = True
        if not self._gone.done():
            self._gone.set_result(None)
        self._wake_writer()

    def _deliver(self) -> None:
        if self.reading and self.unread:
            self.received += self.unread
            self.unread.clear()
            self._wake_writer()

    def _wake_writer(self) -> None:
        writable = self._writable
        if writable is not None and not writable.done():
            writable.set_result(None)

    async def request(self, app: ASGIApp, path: str, headers: list[tuple[bytes, bytes]]) -> None:
        """Run one GET of `path` through `app` on this wire, until the app returns."""
        scope: dict[str, Any] = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.4"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "root_path": "",
            "query_string": b"",
            "headers": [(b"host", b"test"), *headers],
            "client": ("127.0.0.1", 1),
            "server": ("127.0.0.1", 80),
            "state": {},
        }
        await app(scope, self.receive, self.send)
