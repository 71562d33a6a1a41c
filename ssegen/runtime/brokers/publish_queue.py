"""Coalescing publishes: concurrent publishes of one process share Redis round trips.

A publish costs one round trip to Redis, so one process publishing
back-to-back, or many tasks publishing at once, would be bounded by the
network's latency, not by Redis. `PublishQueue` instead queues each publish
and lets one task send what is queued as one pipeline, in queue order; while
a pipeline is in flight, new publishes queue up for the next one. A lone
publish is sent at once, alone: coalescing adds no delay, only sharing.

States of the queue:

- idle: nothing queued, no sender task;
- sending: one sender task takes publishes in the order they were submitted,
  up to `max_batch` events at a time (a batch of `publish_many` is one queued
  publish of several events and is never split), and sends them; it returns
  to idle when the queue is empty (it never waits for more: no timer, no
  spinning).

Order: publishes to one instance reach Redis in the order `submit` was
called, because batches are taken and sent in queue order and a pipeline
runs its commands in order. Errors: each publish gets its own reply, so the
error a publish raises is the one it would have raised alone; when the
store is unreachable, that batch and everything queued behind it fail at
once (they would each wait a timeout to fail the same way). A publish whose
caller gave up (cancelled) before its batch was taken is not sent.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

MAX_BATCH = 1000


@dataclass(slots=True)
class QueuedPublish:
    """One publish of `count` events to one instance, waiting for its batch.

    `args` holds the sender's arguments of every event, in order; the future
    gets the sender's reply for all of them.
    """

    redis_key: str
    args: list[Any]
    count: int
    future: asyncio.Future[Any] = field(repr=False)


# Sends one batch; sets every publish's future (a reply, or an exception), or
# raises (then every publish of the batch not yet answered fails with it).
Sender = Callable[[Sequence[QueuedPublish]], Awaitable[None]]
# Which exceptions of a batch also fail everything queued behind it.
Unavailable = tuple[type[BaseException], ...]


class PublishQueue:
    def __init__(
        self, send: Sender, *, unavailable: Unavailable, max_batch: int = MAX_BATCH
    ) -> None:
        self._send = send
        self._unavailable = unavailable
        self._max_batch = max_batch
        self._queue: deque[QueuedPublish] = deque()
        self._sender: asyncio.Task[None] | None = None

    def submit(self, redis_key: str, args: list[Any], count: int = 1) -> asyncio.Future[Any]:
        """Queue a publish of `count` events; the future gets their reply (or the error)."""
        loop = asyncio.get_running_loop()
        queued = QueuedPublish(redis_key, args, count, loop.create_future())
        self._queue.append(queued)
        if self._sender is None:
            self._sender = loop.create_task(self._run(), name="ssegen-redis-publish")
        return queued.future

    async def drain(self) -> None:
        """Wait until everything submitted so far is answered."""
        while self._sender is not None:
            await asyncio.shield(self._sender)

    async def _run(self) -> None:
        try:
            while self._queue:
                batch: list[QueuedPublish] = []
                events = 0
                while self._queue and (
                    not batch or events + self._queue[0].count <= self._max_batch
                ):
                    queued = self._queue.popleft()
                    if not queued.future.done():  # its caller gave up: never sent
                        batch.append(queued)
                        events += queued.count
                if not batch:
                    continue
                try:
                    await self._send(batch)
                except self._unavailable as exc:
                    self._fail(batch, exc)
                    self._fail(self._queue, exc)  # they would meet the same outage
                    self._queue.clear()
                except Exception as exc:  # noqa: BLE001 - each publish gets it, the loop goes on
                    self._fail(batch, exc)
        except BaseException as exc:
            # Cancelled (the loop is closing): no publish is left waiting forever.
            self._fail(self._queue, exc)
            self._queue.clear()
            raise
        finally:
            self._sender = None

    @staticmethod
    def _fail(
        publishes: Sequence[QueuedPublish] | deque[QueuedPublish], exc: BaseException
    ) -> None:
        for queued in publishes:
            if not queued.future.done():
                if isinstance(exc, asyncio.CancelledError):
                    queued.future.cancel()
                else:
                    queued.future.set_exception(exc)
