"""Graceful shutdown: open event streams end cleanly when the server stops.

An event stream has no end of its own, and uvicorn's graceful shutdown waits
for every response in progress to finish before it exits. uvicorn tells the
application nothing meanwhile, on purpose (it briefly sent `http.disconnect`
on shutdown, then reverted that: Kludex/uvicorn#2829, #2913), and the ASGI
lifespan `shutdown` message only comes after the last response. Left alone, a
server with one open stream never exits on SIGTERM, or (with
`--timeout-graceful-shutdown`) cancels its streams mid-write, cutting them.

So the runtime ends its streams itself. Every response the runtime writes
is registered here while it is open. While any is open on an event loop, a
timer on that loop asks `shutdown_check` every `POLL_INTERVAL` seconds whether
the server is shutting down; once it is, each open stream ends as a client
disconnect would end it (the handler or subscription is cancelled at its
await and closed, so its `finally` runs now), and then its body is finished
cleanly: the last chunk of the chunked body, never a cut connection. A stream
that had not sent anything yet gets a 200 with only its `retry:` field. Every
SSE client reconnects after a clean end, with its `Last-Event-ID`, and a load
balancer sends it to a server that is still up. Streams that open while the
check still says so end at once the same way.

The default check, `uvicorn_is_exiting`, reads the `should_exit` flag of the
uvicorn `Server` whose signal handlers are installed (uvicorn installs them
when it runs in the main thread: `uvicorn app`, `--workers`, `--reload`,
gunicorn's uvicorn worker, `uvicorn.run`). It only reads: nothing of uvicorn
is patched, and nothing is imported from it unless the app already did.
sse-starlette finds the server the same way (it also patches
`Server.handle_exit`, which this module does not need).

Elsewhere (a uvicorn `Server` run in a thread, or another server), call
`end_streams()` from the server's own shutdown signal, or install a check of
your own with `set_shutdown_check`; `set_shutdown_check(None)` turns the
automatic check off.

What users see of it: README, "Runtime" > "Graceful shutdown".
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import Callable
from functools import partial

logger = logging.getLogger("ssegen.runtime")

ShutdownCheck = Callable[[], bool]
Ender = Callable[[], None]

# Seconds between two looks at the shutdown check, on each loop that has open
# streams. uvicorn's own main loop looks at `should_exit` every 0.1 s.
POLL_INTERVAL = 0.1


def uvicorn_is_exiting() -> bool:
    """True when the uvicorn server that handles this process's signals is shutting down.

    uvicorn (0.54) installs its `Server.handle_exit` as the SIGTERM and SIGINT
    handler while it serves from the main thread, and that sets
    `Server.should_exit`. A server run in another thread installs none: this
    check then stays False (see the module docstring).
    """
    module = sys.modules.get("uvicorn.server")
    server_class = getattr(module, "Server", None)
    if server_class is None:
        return False
    for signum in (signal.SIGTERM, signal.SIGINT):
        server = getattr(signal.getsignal(signum), "__self__", None)
        if isinstance(server, server_class) and getattr(server, "should_exit", False):
            return True
    return False


_check: ShutdownCheck | None = uvicorn_is_exiting


def _shutting_down() -> bool:
    check = _check
    if check is None:
        return False
    try:
        return bool(check())
    except Exception:
        # A broken check must neither fail the stream that asks nor stop the polling.
        logger.exception("the shutdown check %r failed", check)
        return False


def set_shutdown_check(check: ShutdownCheck | None) -> None:
    """Replace how the runtime notices that the server is shutting down.

    `check` is called on the server's event loop, every `POLL_INTERVAL`
    seconds while streams are open, and must return quickly; once it returns
    True, open streams end, and so do streams that open while it still does.
    None turns the automatic check off: only `end_streams()` ends streams.
    """
    global _check
    _check = check


class _OpenStreams:
    """The open streams of one event loop, and the timer that asks the shutdown check."""

    __slots__ = ("draining", "enders", "loop", "timer")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.enders: set[Ender] = set()
        self.timer: asyncio.TimerHandle | None = None
        # The check last said the server is shutting down. True at first, so
        # that the first stream of a loop asks the check before it starts.
        self.draining = True

    def add(self, end: Ender) -> bool:
        """Register an open stream; False when the server is shutting down."""
        if self.draining:
            if _shutting_down():
                return False
            self.draining = False
        self.enders.add(end)
        if self.timer is None and _check is not None:
            self.timer = self.loop.call_later(POLL_INTERVAL, self.poll)
        return True

    def discard(self, end: Ender) -> None:
        self.enders.discard(end)
        if not self.enders:
            # No timer ticks on a loop without open streams, and no entry
            # outlives them (a closed loop is not kept alive here).
            if self.timer is not None:
                self.timer.cancel()
                self.timer = None
            if _streams.get(self.loop) is self:
                del _streams[self.loop]

    def end_all(self) -> None:
        for end in list(self.enders):
            end()

    def poll(self) -> None:
        self.timer = None
        if not self.enders or _check is None:
            return
        if _shutting_down():
            self.draining = True
            self.end_all()
        self.timer = self.loop.call_later(POLL_INTERVAL, self.poll)


# One entry per event loop with open streams. It is only changed from that
# loop's thread; `end_streams` reads a snapshot from any thread. No lock: a
# signal handler may call `end_streams` while the main thread holds one.
_streams: dict[asyncio.AbstractEventLoop, _OpenStreams] = {}


def open_stream(end: Ender) -> Callable[[], None] | None:
    """Register a stream of the running loop that `end()` ends; returns its unregister.

    None when the server is shutting down: the stream must end at once.
    Called by the response writer.
    """
    loop = asyncio.get_running_loop()
    streams = _streams.get(loop) or _OpenStreams(loop)
    if not streams.add(end):
        return None
    _streams[loop] = streams
    return partial(streams.discard, end)


def end_streams() -> None:
    """End every event stream open in this process, cleanly, as on shutdown.

    Safe to call from any thread and from a signal handler: it only schedules
    the ending on each server loop, and returns at once; the streams end
    during the loops' next iterations (see the module docstring for what
    their clients see). Streams opened afterwards are not affected.
    """
    for loop, streams in list(_streams.items()):
        try:
            loop.call_soon_threadsafe(streams.end_all)
        except RuntimeError:
            pass  # the loop is closed: its streams are gone with it
