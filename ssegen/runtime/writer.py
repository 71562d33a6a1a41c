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
  chunk (the stream's error event), then a clean end of the body;
- server shutdown: `end()` (called for every open stream by `shutdown`)
  closes the source as a disconnect would, then ends the body cleanly, so
  the client reconnects rather than holding the server up.

The source runs in the response's own task, stepped by hand (`eager`), so a
handler's timeouts and cancel scopes work as in any request handler: while it
waits, the task awaits nothing else (a write the server pushes back on then
finishes in a task of its own). Per connection this costs one task blocked in
`receive()` and, when keepalive is on, one timer: no task, queue or timeout
scope per event. How bytes go out (the start, writes while the source waits,
keepalive comments) is its base class's, `sending.EventSender`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, Callable
from typing import TYPE_CHECKING, Any

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from .eager import Step, abandon, finish
from .problems import problem_for, problem_response
from .sending import EventSender
from .shutdown import open_stream

if TYPE_CHECKING:
    from .response import EventStreamResponse

logger = logging.getLogger("ssegen.runtime")

# Chunks the source produced without waiting go out together up to this size;
# past it they are written and the loop gets a turn, so that one fast stream
# neither grows without bound in memory nor starves the other connections.
FLUSH_AT = 64 * 1024

OnError = Callable[[Exception], bytes | None]


class StreamWriter(EventSender):
    """The state of one response being written; lives as long as the connection.

    `live` is True while the pump runs: a disconnect or `end()` must then
    interrupt it.
    """

    __slots__ = (
        "cancel_requested",
        "disconnected",
        "ending",
        "pending",
        "source",
        "step",
        "task",
    )

    def __init__(self, response: EventStreamResponse, source: AsyncGenerator[bytes, None],
                 scope: Scope, receive: Receive, send: Send) -> None:
        super().__init__(response, scope, receive, send)
        self.source = source
        self.task = asyncio.current_task()
        self.disconnected = False
        self.ending = False  # end() was called: finish the body without the source
        self.cancel_requested = False
        # The source's step while it is suspended, so that whatever ends the
        # pump meanwhile can still cancel it and let it finish (`abandon`).
        self.step: Step[bytes] | None = None
        self.pending: Any = None

    async def run(self) -> None:
        watcher = self.loop.create_task(self._watch_disconnect())
        self._start_keepalive()
        unregister = open_stream(self.end)
        self.live = True
        try:
            if unregister is not None:
                await self._pump()
            else:
                self.ending = True  # the server is shutting down: the source never starts
        except asyncio.CancelledError:
            if not self._take_back_cancellation():
                raise
        except OSError:
            # ASGI 2.4 servers raise OSError from send() once the client is gone.
            self.disconnected = True
        finally:
            self.live = False
            if unregister is not None:
                unregister()
            self._take_back_cancellation()
            watcher.cancel()
            if self.timer is not None:
                self.timer.cancel()
            if self.writing is not None:
                self.writing.cancel()
            await self._close_source()
        if self.ending and not self.disconnected and not self.completed:
            await self._finish_body()
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
            if self.disconnected or self.ending:
                return  # the source ignored the cancellation; run() closes it
            buf.append(chunk)
            size = len(chunk)
        await self._end(buf)

    async def _end(self, buf: list[bytes]) -> None:
        await self._settle_writes()
        self.live = False
        if not self.started and not buf and not self.ending:
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

    def end(self) -> None:
        """End the response cleanly, now, as on server shutdown (see `shutdown`).

        The source is cancelled at its await and closed, as on a disconnect
        (a handler's `finally` runs now); then the body gets its last chunk,
        after what was already handed to the server, or a 200 with only the
        preamble when nothing was sent yet: a clean end, after which SSE
        clients reconnect. Call it on the response's event loop.
        """
        if self.live and not self.ending and not self.disconnected:
            self.ending = True
            self._interrupt()

    async def _finish_body(self) -> None:
        writing = self.writing
        if writing is not None:
            # Cancelled by run(): it must unwind first, ASGI sends never overlap.
            await asyncio.wait([writing])
        try:
            await self._emit(b"", more=False)
        except OSError:
            self.disconnected = True

    def write_if_idle(self, chunk: bytes) -> bool:
        """Write `chunk` now if the response waits for its source with nothing else in flight.

        For sources fed from elsewhere (a topic broker's fan-out): the writer
        is then parked in the source's await with every earlier chunk handed
        to the server, so `chunk` goes out in order, by the same path the
        writer itself takes there, without waking the response's task. False
        when it cannot; the caller then hands the chunk to the source.
        """
        if (not self.live or self.disconnected or self.ending or self.step is None
                or self.writing is not None):
            return False
        try:
            self._write_while_waiting(chunk)
        except Exception as exc:
            # The caller is typically fanning out to other responses: one
            # connection's failure must not stop the others. The source meets
            # (and handles) the same failure when it writes the chunk itself.
            if not isinstance(exc, OSError):
                logger.exception("stream %s: writing a live event failed", self.response.name)
            return False
        return True

    async def _watch_disconnect(self) -> None:
        while (await self.receive())["type"] != "http.disconnect":
            pass  # a request body nobody read: drop it
        self._client_gone()

    def _client_gone(self) -> None:
        if self.disconnected:
            return
        self.disconnected = True
        self._interrupt()

    def _interrupt(self) -> None:
        if self.live and not self.cancel_requested and self.task is not None:
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
