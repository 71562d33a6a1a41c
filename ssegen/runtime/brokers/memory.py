"""The in-memory broker: the default, for one process and nothing to set up.

Every topic instance lives in a dict of this process: its last `keep`
events (a bounded deque) and its subscribers. `subscribe` never awaits: a
subscriber is attached and its replay copied in one step of the event loop,
with no event able to slip in between. `publish` retains the event at once
and offers it to the subscribers at the end of the step, together with any
other event published in the same step (see `_yield_to_subscribers`); an
event retained but not yet offered is in a new subscriber's replay and then
offered once more, and dropped as a duplicate by id.

Use one `MemoryBroker` from one event loop (the server's). An idle instance
(no subscriber, nothing published for `ttl` seconds) is dropped the next
time the broker is used after that; an instance nobody published to is
dropped as soon as its last subscriber leaves.

One process only: when the process turns out to be one of several workers
of a server (see `workers.py`), `publish` and `subscribe` raise
`PartitionedTopicsError` (a 500 problem for subscribers), the error is
logged and open subscriptions end, rather than each worker silently keeping
topics of its own. `per_process=True` (or `SSEGEN_TOPICS=per-process`)
accepts that split: for topics whose publishers run in the same worker as
their subscribers.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Iterable
from itertools import islice

from ..encoding import encode_event
from .broker import TopicClosedError
from .entry import Entry, first_id, wire_bytes
from .resume_plan import start_subscription
from .subscription import Subscription, offer_to_all
from .topic_spec import TopicSpec
from .workers import (
    PartitionedTopicsError,
    WorkerRegistration,
    logger,
    partition_message,
    per_process_from_environment,
)

InstanceKey = tuple[str, tuple[str, ...]]

# How often, at most, idle instances are looked for (seconds).
_SWEEP_INTERVAL = 1.0

# How long a burst of publishes may hold subscribers back (seconds).
_BURST = 0.005


class _Instance:
    __slots__ = ("entries", "expires_at", "subscribers", "unflushed")

    def __init__(self, keep: int) -> None:
        self.entries: deque[Entry] = deque(maxlen=keep)
        self.subscribers: set[Subscription] = set()
        self.expires_at = float("inf")
        # Published, retained, not yet offered to the subscribers.
        self.unflushed: list[Entry] = []

    def flush(self) -> None:
        """Offer the events published since the last flush to every subscriber."""
        batch, self.unflushed = self.unflushed, []
        if batch:
            offer_to_all(self.subscribers, batch)

    @property
    def last(self) -> Entry | None:
        return self.entries[-1] if self.entries else None

    def retained_after(self, after: int | None) -> list[Entry]:
        entries = self.entries
        if not entries or after is None:
            return list(entries)
        # Ids of one incarnation are consecutive, so the position is arithmetic.
        skip = after - entries[0].id + 1
        if skip <= 0:
            return list(entries)
        if skip >= len(entries):
            return []  # up to date, or an id never issued here
        return list(islice(entries, skip, None))


class MemoryBroker:
    """Topics in this process's memory (see the module docstring).

    `buffer` bounds each subscriber's backlog of live events: a subscriber
    that falls further behind is disconnected and replays on reconnect. Keep
    it well below the topics' `keep`, so that the events a disconnected
    subscriber has yet to receive are still retained when it comes back.

    `per_process=True` accepts topics split by worker process under a
    server with several workers (default: the `SSEGEN_TOPICS` environment
    variable, `per-process` or unset); otherwise the broker refuses to serve
    in a worker that has siblings (`PartitionedTopicsError`).
    """

    def __init__(self, *, buffer: int = 256, per_process: bool | None = None) -> None:
        if buffer < 1:
            raise ValueError("buffer must be at least 1")
        if per_process is None:
            per_process = per_process_from_environment()
        self._buffer = buffer
        self._instances: dict[InstanceKey, _Instance] = {}
        self._next_sweep = 0.0
        self._resumed = 0.0  # loop time when a publisher last came back from yielding
        self._workers = None if per_process else WorkerRegistration()
        self._siblings: set[int] = set()  # other live workers of this server: refuse to serve
        # In a worker of several, register now (at import of the app): the
        # workers that start later see this one at once.
        self._check_workers()

    async def publish(self, topic: TopicSpec, key: tuple[str, ...], event: object) -> int:
        topic.check_key(key)
        frame = encode_event(topic.stream, event)  # TypeError for a foreign event
        terminal = topic.stream.by_class[type(event)].terminal
        now = self._sweep()
        if self._siblings:
            raise PartitionedTopicsError(topic.stream.name, self._siblings)
        instance = self._instance(topic, key)
        last = instance.last
        if last is not None and last.terminal:
            raise TopicClosedError(f"topic {topic.stream.name!r} {key!r} has ended")
        prev = last.id if last is not None else 0
        entry_id = prev + 1 if prev else first_id()
        entry = Entry(entry_id, prev, wire_bytes(frame, entry_id, topic.resumable), terminal)
        instance.entries.append(entry)
        if topic.ttl is not None:
            instance.expires_at = now + topic.ttl
        if instance.subscribers:
            instance.unflushed.append(entry)
            if len(instance.unflushed) * 2 >= self._buffer:
                # Half a buffer: offered now, and subscribers must write before more.
                instance.flush()
                await self._yield_to_subscribers(now=True)
            else:
                if len(instance.unflushed) == 1:
                    asyncio.get_running_loop().call_soon(instance.flush)
                await self._yield_to_subscribers()
        return entry_id

    async def publish_many(
        self, topic: TopicSpec, key: tuple[str, ...], events: Iterable[object]
    ) -> list[int]:
        """Publish `events` to one instance, in order; the first failure is raised as is.

        A foreign event anywhere in the batch is a TypeError before any is published,
        as on Redis (which encodes the whole batch before sending it).
        """
        batch = list(events)
        for event in batch:
            encode_event(topic.stream, event)  # TypeError for a foreign event
        return [await self.publish(topic, key, event) for event in batch]

    async def subscribe(
        self, topic: TopicSpec, key: tuple[str, ...], *, after: int | None
    ) -> Subscription:
        topic.check_key(key)
        self._sweep()
        if self._siblings:
            raise PartitionedTopicsError(topic.stream.name, self._siblings)
        instance = self._instance(topic, key)
        subscription = Subscription(self._buffer)
        instance.subscribers.add(subscription)
        ident: InstanceKey = (topic.stream.name, key)
        subscription.attach(lambda: self._release(ident, instance, subscription, topic.ttl))
        replay = instance.retained_after(after) if topic.resumable else []
        start_subscription(subscription, topic, after=after, last=instance.last, replay=replay)
        return subscription

    async def _yield_to_subscribers(self, *, now: bool = False) -> None:
        """Let subscribers have the event now, or with the next few of a burst.

        Events reach subscribers in batches (`_Instance.flush`), one write per
        subscriber and batch. A publisher that waited for anything since its
        last event yields at once, so an isolated event is not delayed; one
        publishing in a tight loop goes on for up to `_BURST` seconds (or half
        a subscriber buffer) first, so that its subscribers write many events
        at a time instead of one write per event each.
        """
        loop = asyncio.get_running_loop()
        if now or loop.time() - self._resumed >= _BURST:
            await asyncio.sleep(0)
            self._resumed = loop.time()

    async def aclose(self) -> None:
        instances, self._instances = self._instances, {}
        for instance in instances.values():
            for sub in list(instance.subscribers):
                sub.end("unavailable")
            instance.subscribers.clear()
        if self._workers is not None:
            self._workers.close()
        self._next_sweep = 0.0  # used again: look for siblings again at once

    def _check_workers(self) -> None:
        """Look for sibling workers; refuse to serve (and say why) while there are any."""
        if self._workers is None:
            return
        siblings = self._workers.siblings()
        if siblings and not self._siblings:
            logger.error("ssegen: %s", partition_message(None, sorted(siblings)))
            # Their subscribers reconnect and are told (500) instead of waiting for
            # events published on the other workers.
            for instance in self._instances.values():
                for sub in list(instance.subscribers):
                    sub.end("unavailable")
        elif self._siblings and not siblings:
            logger.warning("ssegen: no other worker process left: in-memory topics served again")
        self._siblings = siblings

    def _instance(self, topic: TopicSpec, key: tuple[str, ...]) -> _Instance:
        ident = (topic.stream.name, key)
        instance = self._instances.get(ident)
        if instance is None:
            instance = self._instances[ident] = _Instance(topic.keep)
        return instance

    def _release(
        self, ident: InstanceKey, instance: _Instance, sub: Subscription, ttl: float | None
    ) -> None:
        instance.subscribers.discard(sub)
        if instance.subscribers or self._instances.get(ident) is not instance:
            return
        if not instance.entries:
            del self._instances[ident]  # nothing was published: nothing to keep
        elif ttl is not None:
            # Idle from now on: the ttl counts from the last publish or the last subscriber.
            instance.expires_at = max(instance.expires_at, time.monotonic() + ttl)

    def _sweep(self) -> float:
        now = time.monotonic()
        if now >= self._next_sweep:
            self._next_sweep = now + _SWEEP_INTERVAL
            self._check_workers()
            expired = [
                ident
                for ident, instance in self._instances.items()
                if not instance.subscribers and instance.expires_at <= now
            ]
            for ident in expired:
                del self._instances[ident]
        return now
