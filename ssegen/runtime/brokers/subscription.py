"""One subscriber's view of a topic instance: replay, then live, each event once.

Both brokers attach a `Subscription` to the instance *before* they read the
replay (subscribe before replay): from then on every new event is offered to
it live, so an event published while the replay is read is never lost; the
entries that reach it both ways are dropped by id, so none is doubled.

The live buffer is bounded (`limit` entries). A subscriber whose buffer is
full has fallen behind (its writes are blocked by a client that does not
read): it is detached at once and its buffer dropped, and its stream ends
once what was already handed to the server is written. Every SSE client
reconnects after an end, with its `Last-Event-ID`, and replays what it
missed from retention. Memory per subscriber is thus bounded by `limit`
entries (shared with the other subscribers) plus the server's own
per-connection write buffer, whatever the client's speed.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Literal

from .entry import Entry

EndReason = Literal["terminal", "missed", "overflow", "unavailable", "closed"]
"""Why a subscription ended.

terminal: the terminal event was delivered; missed: events after the
subscriber's position are gone (it learns so when it reconnects); overflow:
its buffer filled up; unavailable: the broker went away; closed: closed by
its reader.
"""

ReplayPager = Callable[[int], Awaitable[list[Entry]]]
"""Fetches retained entries after an id, a page at a time; [] when there are no more."""


class Subscription:
    """Entries for one subscriber, in id order, each at most once.

    The broker calls `offer` (live events), `start` (the replay and the
    resume decision) and `end`; the server calls `next_batch` and `close`,
    and may set `sink`.
    """

    __slots__ = (
        "_covered",
        "_ended",
        "_limit",
        "_more",
        "_pending",
        "_release",
        "_replay",
        "_waiter",
        "finished",
        "missed",
        "position",
        "sink",
    )

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._pending: deque[Entry] = deque()
        self._replay: list[Entry] = []
        self._more: ReplayPager | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._ended: EndReason | None = None
        self._release: Callable[[], None] | None = None
        # Gap entries (see entry.py) whose `prev` is at most this id follow
        # anyway: the holes they stand for were in the history when this
        # subscriber started, and it was told (`missed`) or is new. -1: none.
        self._covered = -1
        self.position = 0
        """The id of the last entry delivered (or the resume position)."""
        self.missed = False
        """The resume position was unknown: events after it are lost."""
        self.finished = False
        """The instance ended at or before the resume position: nothing will come."""
        self.sink: Callable[[bytes], bool] | None = None
        """Writes wire bytes at once if the response is idle (else False); set by the server.

        A subscriber that is caught up and whose response waits for it gets a
        live entry written straight from `offer`: no task wakes up per event
        and subscriber, which is most of the cost of fanning out to many.
        """

    # -- broker side -------------------------------------------------------

    def attach(self, release: Callable[[], None]) -> None:
        """Called by the broker once live entries flow; `release` detaches."""
        self._release = release

    def start(
        self,
        *,
        position: int,
        replay: list[Entry],
        missed: bool = False,
        finished: bool = False,
        more: ReplayPager | None = None,
        covered: int = -1,
    ) -> None:
        self.position = position
        self._covered = covered
        self._replay = replay
        self._more = more
        self.missed = missed
        self.finished = finished

    def offer(self, entries: list[Entry], wire: bytes) -> bool:
        """Take live `entries` (consecutive, oldest first; `wire` is their joined bytes).

        False when this subscription takes no more: it has ended, or its
        buffer would overflow (it is then ended). Only the last entry of a
        batch may be terminal.
        """
        if self._ended is not None:
            return False
        sink = self.sink
        if sink is not None and self._caught_up() and self._follows(entries[0]) and sink(wire):
            # Written at once: the reader is not woken for it.
            last = entries[-1]
            self.position = last.id
            if last.terminal:
                self.end("terminal")
            return True
        if len(self._pending) + len(entries) > self._limit:
            self.end("overflow")
            return False
        self._pending.extend(entries)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
        return True

    def _caught_up(self) -> bool:
        return not self._pending and not self._replay and self._more is None

    def _follows(self, entry: Entry) -> bool:
        return entry.id > self.position and self._continues(entry, self.position)

    def _continues(self, entry: Entry, position: int) -> bool:
        """Whether `entry` comes right after `position`, with nothing lost in between."""
        if entry.gap:
            # History may be lost before it: only a hole this subscriber
            # already knows of (or started after) may be crossed.
            return entry.prev == position and position <= self._covered
        # prev == 0: the first event of a new incarnation of the instance,
        # which follows whatever this subscriber had (see entry.py).
        return entry.prev == position or entry.prev == 0

    def end(self, reason: EndReason) -> None:
        if self._ended is None:
            self._ended = reason
        self._more = None
        if reason != "unavailable":
            # Whatever is buffered is dropped: after an overflow the client
            # replays it on reconnect; after a gap it must not be sent. When
            # the broker goes away, what already arrived is still delivered.
            self._pending.clear()
            self._replay = []
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    @property
    def ended(self) -> EndReason | None:
        return self._ended

    # -- reader side -------------------------------------------------------

    async def next_batch(self, timeout: float | None = None) -> list[Entry] | None:
        """The entries ready now, in order; [] after `timeout` s of silence; None at the end."""
        while True:
            if not self._replay and self._more is not None:
                # Replay first: the live buffer only continues where it ends.
                page = await self._more(self.position)
                if page:
                    self._replay = page
                else:
                    self._more = None
            batch = self._take()
            if batch:
                return batch
            if self._ended is not None:
                return None
            if self._more is not None:
                continue
            if not await self._wait(timeout):
                return []

    def _take(self) -> list[Entry]:
        if self._replay:
            source: list[Entry] | deque[Entry] = self._replay
            self._replay = []
            if self._more is not None and self._pending and self._pending[0].prev <= source[-1].id:
                # The live buffer already reaches back to this page: stop paging.
                self._more = None
        else:
            source = self._pending
            self._pending = deque()
        out: list[Entry] = []
        position = self.position
        for entry in source:
            if entry.id <= position:
                continue  # already delivered by the replay (or the other way round)
            if not self._continues(entry, position):
                self.end("missed")
                break
            out.append(entry)
            position = entry.id
            if entry.terminal:
                self.end("terminal")
                break
        self.position = position
        return out

    async def _wait(self, timeout: float | None) -> bool:
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[None] = loop.create_future()
        self._waiter = waiter
        timer = loop.call_later(timeout, _expire, waiter) if timeout else None
        try:
            await waiter
        finally:
            self._waiter = None
            if timer is not None:
                timer.cancel()
        # Woken by an entry or the end; otherwise the timer fired: silence.
        return bool(self._pending) or self._ended is not None

    def close(self) -> None:
        """Detach from the broker; idempotent, never blocks."""
        self.end("closed")
        release, self._release = self._release, None
        if release is not None:
            release()

    async def aclose(self) -> None:
        self.close()


def _expire(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


def offer_to_all(subscribers: set[Subscription], entries: list[Entry]) -> None:
    """Offer a batch to every subscriber; those that take no more are removed from the set.

    The batch's bytes are joined once for all of them. It is split after a
    terminal entry, which ends each subscription it reaches.
    """
    start = 0
    for end, entry in enumerate(entries, 1):
        if entry.terminal or end == len(entries):
            part = entries[start:end]
            wire = part[0].wire if len(part) == 1 else b"".join([e.wire for e in part])
            dropped = [sub for sub in subscribers if not sub.offer(part, wire)]
            for sub in dropped:
                subscribers.discard(sub)
            start = end
