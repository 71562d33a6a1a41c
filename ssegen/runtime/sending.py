"""`EventSender`: how the bytes of one SSE response reach the ASGI server.

The response writer (`writer.StreamWriter`) decides what to send and when;
this base class owns the sending itself:

- the start: the status line, headers and preamble (the `retry:` field) go
  out with the first chunk or keepalive, so until then the status is open;
- writes while the source waits: stepped by hand, so that the writer's task
  awaits nothing but the source; a write the server pushes back on finishes
  in a task of its own (`writing`), and the writer settles it before it
  steps the source again (backpressure);
- keepalive: a comment (`:`) after `keepalive` seconds without a write, from
  a timer, never from a task per connection.

A write that fails because the client is gone calls `_client_gone`, which the
writer implements.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

from starlette.types import Receive, Scope, Send

from .eager import finish
from .encoding import KEEPALIVE

if TYPE_CHECKING:
    from .response import EventStreamResponse

logger = logging.getLogger("ssegen.runtime")

# A keepalive timer that fires this close to its deadline counts as on time
# (loop clocks are coarse; waiting again for a millisecond is pointless).
_TIMER_SLACK = 0.005


async def _complete(write: Coroutine[Any, Any, None], pending: Any) -> None:
    await finish(write, pending)


class EventSender:
    """The sending state of one response: started, completed, the write in flight, the timer."""

    __slots__ = (
        "completed",
        "last_write",
        "live",
        "loop",
        "receive",
        "response",
        "scope",
        "send",
        "sending",
        "started",
        "timer",
        "writing",
    )

    def __init__(self, response: EventStreamResponse, scope: Scope, receive: Receive,
                 send: Send) -> None:
        self.response = response
        self.scope = scope
        self.receive = receive
        self.send = send
        self.loop = asyncio.get_running_loop()
        self.started = False  # status line and headers sent
        self.completed = False  # the body's last chunk was sent
        self.live = False  # the writer's pump runs: keepalives are due
        self.sending = False
        self.last_write = self.loop.time()
        self.timer: asyncio.TimerHandle | None = None
        # A write finishing in a task of its own: a keepalive, or a chunk the
        # server pushed back on while the source was waiting.
        self.writing: asyncio.Task[None] | None = None

    def _client_gone(self) -> None:
        raise NotImplementedError

    def _start_keepalive(self) -> None:
        if self.response.keepalive > 0:
            self.timer = self.loop.call_later(self.response.keepalive, self._keepalive_due)

    async def _write(self, chunk: bytes) -> None:
        await self._settle_writes()
        await self._emit(chunk, more=True)

    def _write_while_waiting(self, chunk: bytes) -> None:
        """Write `chunk` while the source's step is suspended, without awaiting anything.

        While the source waits, this task must await nothing but the source: a
        timeout or cancel scope the handler entered around its await cancels
        this task, and must find the handler there, not a blocked send(). So the
        write is stepped by hand; it completes at once unless the server pushes
        back, and then a task finishes it while this task goes back to waiting
        for the source. (No other write is in progress here: the pump settles
        writes before each step.)
        """
        assert self.writing is None
        write = self._emit(chunk, more=True)
        try:
            pending = write.send(None)
        except StopIteration:
            return
        self._background(_complete(write, pending))

    def _background(self, write: Coroutine[Any, Any, None]) -> None:
        task = self.loop.create_task(write)
        self.writing = task
        task.add_done_callback(self._background_done)

    def _background_done(self, task: asyncio.Task[None]) -> None:
        if self.writing is task:
            self.writing = None
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            if not isinstance(exc, OSError):
                logger.error("stream %s: writing failed", self.response.name, exc_info=exc)
            self._client_gone()

    async def _emit(self, chunk: bytes, *, more: bool) -> None:
        """Send a body chunk, preceded by the status line and preamble if nothing went out yet."""
        self.sending = True
        try:
            if not self.started:
                self.started = True
                await self.send({"type": "http.response.start",
                                 "status": self.response.status_code,
                                 "headers": self.response.raw_headers})
                chunk = self.response.preamble + chunk
            await self.send({"type": "http.response.body", "body": chunk, "more_body": more})
            self.completed = not more
        finally:
            self.sending = False
            self.last_write = self.loop.time()

    async def _settle_writes(self) -> None:
        # A write in progress (a keepalive, possibly the start of the response,
        # or a pushed-back chunk) must be complete before anything else is
        # written or decided.
        while self.writing is not None:
            await self.writing

    def _keepalive_due(self) -> None:
        self.timer = None
        if not self.live:
            return
        interval = self.response.keepalive
        remaining = self.last_write + interval - self.loop.time()
        if self.sending or self.writing is not None:
            remaining = interval  # a write in progress keeps the connection busy anyway
        if remaining > _TIMER_SLACK:
            self.timer = self.loop.call_later(remaining, self._keepalive_due)
            return
        self._background(self._send_keepalive())

    async def _send_keepalive(self) -> None:
        try:
            await self._emit(KEEPALIVE, more=True)
        finally:
            if self.live and self.timer is None:
                self.timer = self.loop.call_later(self.response.keepalive, self._keepalive_due)
