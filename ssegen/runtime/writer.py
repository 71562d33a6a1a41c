"""`StreamWriter`: writes one SSE response to ASGI from an async source of encoded events.

Whatever produces the events (a handler, a topic subscription), every SSE
response needs the same things, and this state machine owns all of them:

- the start: the status line goes out with the first chunk (or the first
  keepalive), so a failure before it is a real HTTP error (RFC 9457 problem),
  and a source that ends without producing anything is a 204, which tells
  EventSource not to reconnect (WHATWG HTML, "Server-sent events"), or the
  stream's declared `empty_status`;
- batching: chunks the source produced without waiting go out as one `send`;
  a chunk is never held back waiting for more (see `eager`);
- keepalive: a comment after `keepalive` seconds without a write;
- disconnects: `http.disconnect` is watched while the source waits; the source
  is cancelled at its await and closed (`aclose`) at once, without waiting
  for the garbage collector;
- errors after the start: what was produced goes out, then `on_error`'s chunk
  (the stream's error event), then a clean end of the body;
- server shutdown: `end()` closes the source as a disconnect would, then ends
  the body cleanly, so that the client reconnects elsewhere.

The source runs in the response's own task, stepped by hand (`eager`), so that
a handler's timeouts and cancel scopes work as in any request handler: while
the source waits, the task awaits nothing but the source.

States (`State`) and transitions; "the pump" is `_pump`, running in the
response task; callbacks are the keepalive timer, `write_if_idle` (a topic
broker's fan-out), the disconnect watcher and `end()`:

    state     meaning                                   the response task is
    --------  ----------------------------------------  ----------------------
    RUNNING   the pump steps the source                 running (no callback
                                                        can observe this state)
    WAITING   the source awaits; every chunk it         suspended in the source
              produced was handed to the server
    BLOCKED   the source awaits; a write the server     suspended in the source
              pushed back finishes in `blocked`, a
              task of its own
    WRITING   the pump awaits a send, or the `blocked`  suspended in a send
              write, before it steps the source again
    CLOSING   the pump has stopped: the source is       suspended in the
              being closed, the body finished           source's cleanup
    DONE      nothing more is written

    from              on                                       to
    ----------------  ---------------------------------------  -------------------
    RUNNING           source produces a chunk at once          RUNNING (buffered;
                                                               WRITING at 64 KiB)
    RUNNING           source waits, buffer empty               WAITING
    RUNNING           source waits, buffer written at once     WAITING
    RUNNING           source waits, buffer write pushed back   BLOCKED
    WAITING           keepalive due, or a live chunk           WAITING, or BLOCKED
                                                               when pushed back
    BLOCKED           the blocked write completes (in its      WAITING
                      own task, as its last action)
    BLOCKED           keepalive due, or a live chunk           BLOCKED (skipped /
                                                               refused)
    WAITING           source produces                          RUNNING
    BLOCKED           source produces                          WRITING (await the
                                                               blocked write), then
                                                               RUNNING
    RUNNING           source ends or fails                     WRITING (last chunk,
                                                               204 or problem)
    WAITING, BLOCKED  disconnect, or `end()`                   the task is cancelled
    WRITING                                                    where it waits; then
                                                               CLOSING
    any but DONE      the pump returns or raises               CLOSING, then DONE

Every wait is on something the event loop completes: the source's own await,
a send, or the `blocked` task itself (awaited, never polled). No state is
waited on in a loop, so nothing here can spin without giving the loop a turn.
Per connection this costs one task blocked in `receive()` and, with
keepalive on, one timer: no task, queue or timeout scope per event.

What users see of it: README, "Runtime" > "One stream never stalls another".
"""

from __future__ import annotations

import asyncio
import enum
import logging
import types
from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ssegen.wire import DEFAULT_EMPTY_STATUS
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from .eager import Step, abandon, finish
from .encoding import KEEPALIVE
from .problems import problem_for, problem_response
from .shutdown import open_stream

logger = logging.getLogger("ssegen.runtime")

# Chunks the source produced without waiting go out together up to this size
# (or this many chunks); past it they are written and the loop gets a turn, so
# that one fast stream neither grows without bound in memory nor starves the
# other connections, even when its chunks are empty.
FLUSH_AT = 64 * 1024
FLUSH_CHUNKS = 1024

# A keepalive timer that fires this close to its deadline counts as on time
# (loop clocks are coarse; waiting again for a millisecond is pointless).
_TIMER_SLACK = 0.005

# After `end()`, the body's last chunk waits at most this long for a client
# that does not read: the server is shutting down and must not hang on it.
SHUTDOWN_WRITE_TIMEOUT = 5.0

OnError = Callable[[Exception], bytes | None]


class State(enum.Enum):
    RUNNING = "running"
    WAITING = "waiting"
    BLOCKED = "blocked"
    WRITING = "writing"
    CLOSING = "closing"
    DONE = "done"


# The response task is suspended at the source's await: cancelling the task
# interrupts the source there, and callbacks may write.
_IN_SOURCE = (State.WAITING, State.BLOCKED)


class Stop(enum.Enum):
    """Why the pump must stop before its source ends."""

    DISCONNECT = "disconnect"  # the client left: nothing more can be written
    SHUTDOWN = "shutdown"  # end(): the body gets a clean last chunk


@dataclass(frozen=True, slots=True)
class WriterSettings:
    """What a response tells its writer: plain values, no Response object.

    `headers` are raw ASGI headers; `preamble` (the `retry:` field) goes out
    once, before the first chunk; `keepalive` is in seconds, 0 for none;
    `empty_status` answers a source that ends without producing anything;
    `on_error` turns an exception raised by the source after the start into a
    last chunk (or None to just end); `name` labels log lines; `refuse`
    answers an exception raised before anything was sent (None: a problem);
    `late_headers` returns the headers the handler set, when the response starts.
    """

    status: int = 200
    headers: Sequence[tuple[bytes, bytes]] = ()
    preamble: bytes = b""
    keepalive: float = 15.0
    empty_status: int = DEFAULT_EMPTY_STATUS
    on_error: OnError | None = None
    name: str = "event stream"
    refuse: Callable[[BaseException], Response] | None = None
    # The headers a handler set before the start (`response_headers.py`), read once at the start.
    late_headers: Callable[[], Sequence[tuple[bytes, bytes]]] | None = None


async def _awaited(awaitable: Awaitable[None]) -> None:
    await awaitable


class StreamWriter:
    """One response being written; lives as long as the connection. See the module docstring."""

    __slots__ = (
        "blocked",
        "cancel_requested",
        "completed",
        "last_write",
        "loop",
        "receive",
        "scope",
        "send",
        "settings",
        "source",
        "started",
        "state",
        "step",
        "stop",
        "task",
        "timer",
    )

    def __init__(
        self,
        settings: WriterSettings,
        source: AsyncGenerator[bytes, None],
        scope: Scope,
        receive: Receive,
        send: Send,
    ) -> None:
        self.settings = settings
        self.source = source
        self.scope = scope
        self.receive = receive
        self.send = send
        self.loop = asyncio.get_running_loop()
        self.task = asyncio.current_task()
        self.state = State.RUNNING
        self.stop: Stop | None = None
        self.started = False  # status line and headers sent
        self.completed = False  # the body's last chunk sent
        self.last_write = self.loop.time()
        self.timer: asyncio.TimerHandle | None = None
        self.blocked: asyncio.Task[None] | None = None  # the BLOCKED write
        self.cancel_requested = False
        # The source's step while it is suspended (and what it waits for), so
        # that whatever stops the pump meanwhile can still let it finish.
        self.step: tuple[Step[bytes], Any] | None = None

    # -- the response task ------------------------------------------------

    async def run(self) -> None:
        unregister = open_stream(self.end)
        if unregister is None:
            # The server is shutting down: the source never starts.
            self.stop = Stop.SHUTDOWN
            self.state = State.CLOSING
            await self._close_source()
            await self._finish_body()
            self.state = State.DONE
            return
        watcher = self.loop.create_task(self._watch_disconnect())
        if self.settings.keepalive > 0:
            self.timer = self.loop.call_later(self.settings.keepalive, self._keepalive_due)
        try:
            await self._pump()
        except asyncio.CancelledError:
            if not self._take_back_cancellation():
                raise
        except OSError:
            # ASGI 2.4 servers raise OSError from send() once the client is gone.
            self.stop = Stop.DISCONNECT
        finally:
            self.state = State.CLOSING
            unregister()
            self._take_back_cancellation()
            watcher.cancel()
            if self.timer is not None:
                self.timer.cancel()
                self.timer = None
            try:
                await self._close_source()
            finally:
                blocked = self.blocked
                if blocked is not None:
                    blocked.cancel()  # the pump is gone: nobody waits for it to be read
                    await asyncio.wait([blocked])
        if self.stop is Stop.SHUTDOWN and not self.completed:
            await self._finish_body()
        elif self.stop is Stop.DISCONNECT and not self.started:
            # Nobody will read it, but an ASGI app is expected to answer every
            # request: middleware such as starlette's BaseHTTPMiddleware fails
            # with "No response returned" otherwise.
            try:
                await Response(status_code=204)(self.scope, self.receive, self.send)
            except OSError:
                pass
        self.state = State.DONE

    async def _pump(self) -> None:
        anext = self.source.__anext__
        buf: list[bytes] = []
        size = 0
        while True:
            step = anext()
            try:
                pending = step.send(None)
            except StopIteration as ready:
                # Produced without waiting: keep it, ask for the next one.
                chunk: bytes = ready.value
                buf.append(chunk)
                size += len(chunk)
                if size >= FLUSH_AT or len(buf) >= FLUSH_CHUNKS:
                    await self._write(b"".join(buf))
                    buf.clear()
                    size = 0
                    if self.stop is not None:
                        return
                continue
            except StopAsyncIteration:
                break
            except Exception as exc:  # noqa: BLE001 - a stream failure is reported, not raised
                await self._fail(exc, buf)
                return
            # The source has to wait: what it already produced goes out now.
            self.step = (step, pending)
            if buf:
                self._write_now(buf[0] if len(buf) == 1 else b"".join(buf))
                buf.clear()
                if self.stop is not None:
                    return  # the write failed: run() closes the waiting source
            if self.state is State.RUNNING:
                self.state = State.WAITING
            try:
                chunk = await finish(step, pending)
            except StopAsyncIteration:
                self.step = None
                break
            except Exception as exc:  # noqa: BLE001 - as above
                self.step = None
                await self._fail(exc, [])
                return
            self.step = None
            if self.stop is not None:
                return  # the source ignored the cancellation; run() closes it
            if self.state is State.BLOCKED:
                # Backpressure: the source is not stepped again before the
                # server has taken the last write.
                await self._settle()
                if self.stop is not None:
                    return
            self.state = State.RUNNING
            buf.append(chunk)
            size = len(chunk)
        await self._end(buf)

    async def _write(self, chunk: bytes) -> None:
        """Write a full buffer, then give the loop a turn (the source never waited)."""
        self.state = State.WRITING
        await self._emit(chunk, more=True)
        await asyncio.sleep(0)
        self.state = State.RUNNING

    async def _settle(self) -> None:
        """Wait for the BLOCKED write, if any: ASGI sends never overlap.

        The task is awaited itself, never polled: it finishes by clearing
        `blocked`, so once the wait returns nothing is in flight.
        """
        self.state = State.WRITING
        blocked = self.blocked
        if blocked is not None:
            await asyncio.wait([blocked])

    async def _end(self, buf: list[bytes]) -> None:
        await self._settle()
        if not self.started and not buf:
            # Nothing to send: 204 tells EventSource to stop reconnecting;
            # a spec may declare 202 (MCP's answer to a notification).
            await self._respond(Response(status_code=self.settings.empty_status))
            return
        await self._emit(b"".join(buf), more=False)

    async def _fail(self, exc: Exception, buf: list[bytes]) -> None:
        await self._settle()
        if not self.started and not buf:
            refuse = self.settings.refuse
            if refuse is not None:
                await self._respond(refuse(exc))
            else:
                await self._respond(problem_response(problem_for(exc, stream=self.settings.name)))
            return
        logger.error("stream %s failed after it started", self.settings.name, exc_info=exc)
        on_error = self.settings.on_error
        if on_error is not None:
            try:
                last = on_error(exc)
            except Exception:
                logger.exception("stream %s: building its error event failed", self.settings.name)
            else:
                if last:
                    buf.append(last)
        await self._emit(b"".join(buf), more=False)

    def _late_headers(self) -> Sequence[tuple[bytes, bytes]]:
        late = self.settings.late_headers
        if late is None:
            return ()
        try:
            return late()
        except Exception:
            logger.exception("stream %s: its response headers cannot be sent", self.settings.name)
            return ()

    async def _respond(self, response: Response) -> None:
        """Answer with a plain response instead of a stream (nothing was sent yet)."""
        self.started = True  # its start goes out first: an interrupted one is ended, not restarted
        response.raw_headers.extend(self._late_headers())
        await response(self.scope, self.receive, self.send)
        self.completed = True

    async def _finish_body(self) -> None:
        """The clean last chunk after `end()`, bounded for a client that does not read."""
        try:
            async with asyncio.timeout(SHUTDOWN_WRITE_TIMEOUT):
                await self._emit(b"", more=False)
        except (OSError, TimeoutError):
            logger.warning(
                "stream %s: client did not take the end of the stream", self.settings.name
            )

    async def _emit(self, chunk: bytes, *, more: bool) -> None:
        """Send a body chunk, preceded by the status line and preamble if nothing went out yet."""
        if not self.started:
            self.started = True
            settings = self.settings
            await self.send(
                {
                    "type": "http.response.start",
                    "status": settings.status,
                    "headers": [*settings.headers, *self._late_headers()],
                }
            )
            chunk = settings.preamble + chunk
        self.last_write = self.loop.time()
        await self.send({"type": "http.response.body", "body": chunk, "more_body": more})
        self.completed = not more

    async def _close_source(self) -> None:
        if self.step is not None:
            step, pending = self.step
            self.step = None
            await abandon(step, pending)
        try:
            await self.source.aclose()
        except Exception:
            logger.exception("stream %s: closing its source failed", self.settings.name)

    # -- writes while the source waits ----------------------------------------

    def _write_now(self, chunk: bytes) -> None:
        """Write `chunk` while the source waits (or is about to), without awaiting anything.

        While the source waits, the response task must await nothing but the
        source: a timeout or cancel scope the handler entered around its await
        cancels the task, and must find the handler there, not a blocked send.
        So the send is stepped by hand: it completes at once unless the server
        pushes back, and then the `blocked` task finishes it (BLOCKED).
        """
        if self.started:
            # The common case, without `_emit`'s coroutine around the send
            # (ASGI servers' sends are coroutines; any other awaitable is wrapped).
            self.last_write = self.loop.time()
            sent = self.send({"type": "http.response.body", "body": chunk, "more_body": True})
            write = sent if isinstance(sent, types.CoroutineType) else _awaited(sent)
        else:
            write = self._emit(chunk, more=True)
        try:
            pending = write.send(None)
        except StopIteration:
            return
        except Exception as exc:  # noqa: BLE001 - the client is gone, or the server broke
            self._write_failed(exc)
            return
        self.state = State.BLOCKED
        self.blocked = self.loop.create_task(self._finish_write(write, pending))

    async def _finish_write(self, write: Step[None], pending: Any) -> None:
        """The BLOCKED write's task: the rest of a write stepped by hand (`pending` is what it awaits)."""
        try:
            await finish(write, pending)
        except Exception as exc:  # noqa: BLE001
            self._write_failed(exc)
        finally:
            self._unblock()

    async def _write_keepalive(self) -> None:
        """The BLOCKED write's task for a keepalive: timers run outside any task, sends within one."""
        try:
            await self._emit(KEEPALIVE, more=True)
        except Exception as exc:  # noqa: BLE001
            self._write_failed(exc)
        finally:
            self._unblock()

    def _unblock(self) -> None:
        # The last action of the BLOCKED write: from here on nothing is in flight.
        self.blocked = None
        if self.state is State.BLOCKED:
            self.state = State.WAITING

    def _write_failed(self, exc: Exception) -> None:
        if not isinstance(exc, OSError):
            logger.error("stream %s: writing failed", self.settings.name, exc_info=exc)
        self._interrupt(Stop.DISCONNECT)

    def write_if_idle(self, chunk: bytes) -> bool:
        """Write `chunk` now if the source waits with nothing in flight (WAITING); else False.

        For sources fed from elsewhere (a topic broker's fan-out): every chunk
        the source produced was handed to the server, so `chunk` goes out in
        order, without waking the response task. When False, the caller hands
        the chunk to the source instead.
        """
        if self.state is not State.WAITING or self.stop is not None:
            return False
        self._write_now(chunk)
        return self.stop is None

    def _keepalive_due(self) -> None:
        self.timer = None
        if self.state is State.CLOSING or self.state is State.DONE:
            return
        interval = self.settings.keepalive
        remaining = self.last_write + interval - self.loop.time()
        if self.state is not State.WAITING:
            remaining = interval  # a write is on its way: the connection is not silent
        if remaining <= _TIMER_SLACK:
            self.state = State.BLOCKED
            self.blocked = self.loop.create_task(self._write_keepalive())
            remaining = interval
        self.timer = self.loop.call_later(remaining, self._keepalive_due)

    # -- stopping -----------------------------------------------------------

    def end(self) -> None:
        """End the response cleanly, now, as on server shutdown (see `shutdown`).

        The source is cancelled at its await and closed, as on a disconnect
        (a handler's `finally` runs now); then the body gets its last chunk,
        after what was already handed to the server, or a 200 with only the
        preamble when nothing was sent yet: a clean end, after which SSE
        clients reconnect. Call it on the response's event loop.
        """
        self._interrupt(Stop.SHUTDOWN)

    async def _watch_disconnect(self) -> None:
        while (await self.receive())["type"] != "http.disconnect":
            pass  # a request body nobody read: drop it
        self._interrupt(Stop.DISCONNECT)

    def _interrupt(self, reason: Stop) -> None:
        if self.stop is Stop.DISCONNECT or self.state in (State.CLOSING, State.DONE):
            return
        self.stop = reason
        if self.state is State.RUNNING:
            return  # called from the pump itself: it sees `stop` and returns
        if not self.cancel_requested and self.task is not None:
            # Interrupt the task where it waits: in the source (which sees
            # CancelledError at its await, as on any cancelled request) or in
            # a send. run() takes the cancellation back.
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
