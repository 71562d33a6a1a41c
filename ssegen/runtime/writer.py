"""`StreamWriter`: writes one SSE response to ASGI, from an async source of encoded events.

It owns what every SSE response needs, whatever produces the events (a
handler, a topic broker):

- the start: the status line goes out with the first chunk (or the first
  keepalive), so a failure before it is a real HTTP error (RFC 9457 problem)
  and a source that ends without producing anything is a 204, which tells
  EventSource not to reconnect (WHATWG HTML, "Server-sent events");
- batching: chunks the source has already produced go out as one `send`,
  and a chunk is never held back waiting for more (see `eager`);
- keepalive: a comment after `keepalive` seconds without a write;
- disconnects: `http.disconnect` is watched even while the source waits, the
  source is cancelled at its await and closed (`aclose`), without waiting for
  the garbage collector;
- errors after the start: what was produced goes out, then `on_error`'s
  chunk (the stream's error event), then a clean end of the body.

The source runs in the response's own task, stepped by hand (`eager`), so a
handler's timeouts and cancel scopes work as in any request handler: while it
waits, the task awaits nothing else (a write the server pushes back on then
finishes in a task of its own). Per connection this costs one task blocked in
`receive()` and, when keepalive is on, one timer: no task, queue or timeout
scope per event.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, Callable, Coroutine
from typing import TYPE_CHECKING, Any

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from .eager import Step, abandon, finish
from .encoding import KEEPALIVE
from .problems import problem_for, problem_response

if TYPE_CHECKING:
    from .response import EventStreamResponse

logger = logging.getLogger("ssegen.runtime")

# Chunks the source produced without waiting go out together up to this size;
# past it they are written and the loop gets a turn, so that one fast stream
# neither grows without bound in memory nor starves the other connections.
FLUSH_AT = 64 * 1024

# A keepalive timer that fires this close to its deadline counts as on time
# (loop clocks are coarse; waiting again for a millisecond is pointless).
_TIMER_SLACK = 0.005

OnError = Callable[[Exception], bytes | None]


async def _complete(write: Coroutine[Any, Any, None], pending: Any) -> None:
    await finish(write, pending)


class StreamWriter:
    """The state of one response being written; lives as long as the connection."""

    __slots__ = (
        "cancel_requested",
        "disconnected",
        "last_write",
        "live",
        "loop",
        "pending",
        "receive",
        "response",
        "scope",
        "send",
        "sending",
        "source",
        "started",
        "step",
        "task",
        "timer",
        "writing",
    )

    def __init__(self, response: EventStreamResponse, source: AsyncGenerator[bytes, None],
                 scope: Scope, receive: Receive, send: Send) -> None:
        self.response = response
        self.source = source
        self.scope = scope
        self.receive = receive
        self.send = send
        self.loop = asyncio.get_running_loop()
        self.task = asyncio.current_task()
        self.started = False  # status line and headers sent
        self.live = False  # the pump runs: a disconnect must interrupt it
        self.disconnected = False
        self.cancel_requested = False
        self.sending = False
        self.last_write = self.loop.time()
        self.timer: asyncio.TimerHandle | None = None
        # A write finishing in a task of its own: a keepalive, or a chunk the
        # server pushed back on while the source was waiting.
        self.writing: asyncio.Task[None] | None = None
        # The source's step while it is suspended, so that whatever ends the
        # pump meanwhile can still cancel it and let it finish (`abandon`).
        self.step: Step[bytes] | None = None
        self.pending: Any = None

    async def run(self) -> None:
        watcher = self.loop.create_task(self._watch_disconnect())
        if self.response.keepalive > 0:
            self.timer = self.loop.call_later(self.response.keepalive, self._keepalive_due)
        self.live = True
        try:
            await self._pump()
        except asyncio.CancelledError:
            if not self._take_back_cancellation():
                raise
        except OSError:
            # ASGI 2.4 servers raise OSError from send() once the client is gone.
            self.disconnected = True
        finally:
            self.live = False
            self._take_back_cancellation()
            watcher.cancel()
            if self.timer is not None:
                self.timer.cancel()
            if self.writing is not None:
                self.writing.cancel()
            await self._close_source()
        if self.disconnected and not self.started:
            # Nobody will read it, but an ASGI app is expected to answer every
            # request: middleware such as starlette's BaseHTTPMiddleware fails
            # with "No response returned" otherwise.
            try:
                await Response(status_code=204)(self.scope, self.receive, self.send)
            except OSError:
                pass

    async def _pump(self) -> None:
        anext = self.source.__anext__
        buf: list[bytes] = []
        size = 0
        while True:
            if self.writing is not None:
                # Backpressure: no new step of the source until the server has
                # taken the last write. Waiting here is safe: no step of the
                # source is in progress, the handler sits at a `yield`.
                await self._settle_writes()
            step = anext()
            try:
                pending = step.send(None)
            except StopIteration as ready:
                # Produced without waiting: keep it, ask for the next one.
                chunk: bytes = ready.value
                buf.append(chunk)
                size += len(chunk)
                if size >= FLUSH_AT:
                    await self._write(b"".join(buf))
                    buf.clear()
                    size = 0
                    await asyncio.sleep(0)
                continue
            except StopAsyncIteration:
                break
            except Exception as exc:  # noqa: BLE001 - a stream failure is reported, not raised
                await self._fail(exc, buf)
                return
            # The source has to wait: what it already produced goes out now.
            self.step, self.pending = step, pending
            if buf:
                self._write_while_waiting(b"".join(buf))
                buf.clear()
            try:
                chunk = await finish(step, pending)
            except StopAsyncIteration:
                break
            except Exception as exc:  # noqa: BLE001 - as above
                await self._fail(exc, [])
                return
            finally:
                self.step = self.pending = None
            if self.disconnected:
                return  # the source ignored the cancellation; run() closes it
            buf.append(chunk)
            size = len(chunk)
        await self._end(buf)

    async def _end(self, buf: list[bytes]) -> None:
        await self._settle_writes()
        self.live = False
        if not self.started and not buf:
            # Nothing to send: 204 tells EventSource to stop reconnecting.
            await Response(status_code=204)(self.scope, self.receive, self.send)
            return
        await self._emit(b"".join(buf), more=False)

    async def _fail(self, exc: Exception, buf: list[bytes]) -> None:
        await self._settle_writes()
        self.live = False
        if not self.started and not buf:
            problem = problem_for(exc, stream=self.response.name)
            await problem_response(problem)(self.scope, self.receive, self.send)
            return
        logger.error("stream %s failed after it started", self.response.name, exc_info=exc)
        on_error = self.response.on_error
        if on_error is not None:
            try:
                last = on_error(exc)
            except Exception:
                logger.exception("stream %s: building its error event failed", self.response.name)
            else:
                if last:
                    buf.append(last)
        await self._emit(b"".join(buf), more=False)

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

    async def _watch_disconnect(self) -> None:
        while (await self.receive())["type"] != "http.disconnect":
            pass  # a request body nobody read: drop it
        self._client_gone()

    def _client_gone(self) -> None:
        if self.disconnected:
            return
        self.disconnected = True
        if self.live and self.task is not None:
            # Interrupt the pump wherever it waits: in the source (which sees
            # CancelledError at its await, as on any cancelled request) or in
            # send(). run() takes the cancellation back.
            self.cancel_requested = True
            self.task.cancel()

    def _take_back_cancellation(self) -> bool:
        """Undo our own `task.cancel()`; True unless someone else cancelled the task too.

        The cancellation only interrupted the source: it must not leak into the
        code that runs after the response (asyncio.Task.uncancel, Python 3.11).
        """
        if not self.cancel_requested or self.task is None:
            return False
        self.cancel_requested = False
        return self.task.uncancel() == 0

    async def _close_source(self) -> None:
        step, pending = self.step, self.pending
        if step is not None:
            self.step = self.pending = None
            await abandon(step, pending)
        try:
            await self.source.aclose()
        except Exception:
            logger.exception("stream %s: closing its source failed", self.response.name)
