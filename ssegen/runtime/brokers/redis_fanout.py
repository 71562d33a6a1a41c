"""One `XREAD BLOCK` loop per process that feeds every local subscriber.

A thousand browsers watching one job on one server must not hold a thousand
Redis connections: this process reads each topic instance's stream once, on
one blocking connection, and offers each entry to all of its local
subscribers (`Fanout`). One `XREAD` covers every instance with a subscriber
here, each from its own cursor.

The cursor of an instance is fixed (its last id, read with `XREVRANGE`)
before its first subscriber attaches and never moves past an entry without
offering it to the subscribers attached at that moment. A subscriber reads
its replay only after attaching, so any entry either was in Redis before the
replay read (and is replayed) or is read here after the attach (and arrives
live): subscribe before replay, nothing lost; duplicates are dropped by id.
A read's reply belongs to the fanouts it was issued for: an instance whose
last subscriber left while the read was in flight may be opening again, and
only its own `XREVRANGE` may set the new fanout's cursor (the reply moving
it first let a second subscriber attach at that cursor, which the opening
then moved past entries never offered).

A new instance must join a blocked `XREAD` without waiting for its timeout.
The loop also reads a wake stream of its own, and `XADD` to it wakes the
loop: unlike `CLIENT UNBLOCK`, that cannot race with an `XREAD` still in
flight, since `XREAD` from an explicit id returns at once when a newer entry
exists.

Redis changing under the loop: redis-py retries a command once after a
dropped connection, so the loop can go on reading from a Redis that
restarted (perhaps empty, perhaps from an older snapshot) or from a promoted
replica. The loop knows the server it started reading from (its epoch, see
`redis_streams.py`); an entry written under another one is offered as a
`gap`, since what was published in between may be lost. A frozen Redis
(stopped process, a network that drops packets) must not hold subscribers
forever either: one `XREAD` gets `block_ms` plus `timeout` seconds, after
which the loop ends every subscription as if Redis had gone away.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import replace
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from .entry import Entry, wire_bytes
from .subscription import Subscription, offer_to_all
from .topic_spec import TopicSpec

logger = logging.getLogger("ssegen.runtime.brokers")

# Entries per instance per XREAD: bounds one read's memory. It also stays
# within the subscriber buffer: one read is offered to a subscriber before it
# can write anything, so a larger read could overflow a buffer that keeps up.
_READ_COUNT = 128

# The server's epoch: its run id (new at every start, so after a restart or a
# restored snapshot) and its replication id (new when a replica is promoted or
# a server takes another's data set). Any change may have cut history short.
EPOCH_LOCAL = """
local info = redis.call('INFO', 'server', 'replication')
local epoch = (string.match(info, 'run_id:(%x+)') or '?') .. ':' ..
              (string.match(info, 'master_replid:(%x+)') or '?')
"""
EPOCH_LUA = EPOCH_LOCAL + "return epoch\n"


def redis_id_number(raw: bytes) -> int:
    """The topic id of a stream entry id: entries are added as `<id>-0`."""
    return int(raw.partition(b"-")[0])


def parse_entry(raw_id: bytes, fields: dict[bytes, bytes], resumable: bool) -> Entry:
    entry_id = redis_id_number(raw_id)
    frame = fields[b"f"]
    return Entry(
        entry_id,
        int(fields[b"p"]),
        wire_bytes(frame, entry_id, resumable),
        fields[b"t"] == b"1",
        fields.get(b"g") == b"1",
    )


def entry_epoch(fields: dict[bytes, bytes]) -> bytes | None:
    """The epoch of the server that wrote an entry (None: written before epochs were kept)."""
    return fields.get(b"e")


def stream_items(reply: Any) -> list[tuple[bytes, list[tuple[bytes, dict[bytes, bytes]]]]]:
    """XREAD's reply as (key, entries) pairs, whichever shape the client parsed it into."""
    if not reply:
        return []
    if isinstance(reply, dict):
        return [(key, _flat(value)) for key, value in reply.items()]
    return [(key, entries) for key, entries in reply]


def _flat(value: Any) -> list[tuple[bytes, dict[bytes, bytes]]]:
    # RESP3 replies come as {key: [entries]} or {key: entries} by redis-py version.
    if value and isinstance(value[0], list) and value[0] and isinstance(value[0][0], tuple):
        return list(value[0])
    return list(value)


class Fanout:
    """The local subscribers of one instance and the id read up to."""

    __slots__ = ("cursor", "epoch", "ready", "subscribers", "topic")

    def __init__(self, topic: TopicSpec, ready: asyncio.Future[None]) -> None:
        self.topic = topic
        self.cursor: bytes | None = None  # None until the last id is known: not read yet
        # The epoch of the server the cursor's entries come from.
        self.epoch: bytes | None = b""
        self.ready = ready
        self.subscribers: set[Subscription] = set()


class FanoutReader:
    """The per-process `XREAD` loop and the instances it reads (see the module docstring)."""

    def __init__(
        self, client: Redis, *, prefix: str, block_ms: int, buffer: int, timeout: float
    ) -> None:
        self._client = client
        self._block_ms = block_ms
        self._timeout = timeout
        self._epoch_script = client.register_script(EPOCH_LUA)
        self._count = min(_READ_COUNT, buffer)
        self._wake_key = f"{prefix}:wake:{uuid.uuid4().hex}"
        self._wake_cursor = b"0-0"
        self._fanouts: dict[str, Fanout] = {}
        self._task: asyncio.Task[None] | None = None

    async def join(self, key: str, topic: TopicSpec, sub: Subscription) -> None:
        """Attach `sub` to instance `key`; from return on, new entries reach it."""
        while True:
            fanout = self._fanouts.get(key)
            if fanout is None:
                fanout = await self._open(key, topic)
            elif not fanout.ready.done():
                await asyncio.shield(fanout.ready)  # another subscriber is opening it
            # Opening failed elsewhere, or Redis went away meanwhile: look again.
            if fanout.cursor is not None and self._fanouts.get(key) is fanout:
                break
        fanout.subscribers.add(sub)
        sub.attach(lambda: self._release(key, fanout, sub))

    async def _open(self, key: str, topic: TopicSpec) -> Fanout:
        fanout = Fanout(topic, asyncio.get_running_loop().create_future())
        self._fanouts[key] = fanout
        try:
            async with asyncio.timeout(self._timeout):
                async with self._client.pipeline(transaction=False) as pipe:
                    pipe.xrevrange(key, count=1)
                    await self._epoch_script(client=pipe)
                    top, epoch = await pipe.execute()
            fanout.epoch = bytes(epoch)
            fanout.cursor = bytes(top[0][0]) if top else b"0-0"
        finally:
            if fanout.cursor is None and self._fanouts.get(key) is fanout:
                del self._fanouts[key]
            fanout.ready.set_result(None)
        self._ensure_running()
        await self._wake()
        return fanout

    def _release(self, key: str, fanout: Fanout, sub: Subscription) -> None:
        fanout.subscribers.discard(sub)
        if not fanout.subscribers and self._fanouts.get(key) is fanout:
            # The loop leaves it out of its next XREAD; no wake needed.
            del self._fanouts[key]

    def end_all(self) -> None:
        """The broker went away: every local subscription ends; the next join starts over."""
        fanouts, self._fanouts = self._fanouts, {}
        for fanout in fanouts.values():
            for sub in fanout.subscribers:
                sub.end("unavailable")
            fanout.subscribers.clear()

    async def aclose(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
        self.end_all()

    async def _wake(self) -> None:
        async with asyncio.timeout(self._timeout):
            async with self._client.pipeline(transaction=False) as pipe:
                pipe.xadd(self._wake_key, {b"w": b""}, maxlen=1, approximate=False)
                pipe.pexpire(self._wake_key, 60_000)
                await pipe.execute()

    def _ensure_running(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        try:
            while self._fanouts:
                streams: dict[str, bytes] = {self._wake_key: self._wake_cursor}
                # The fanouts this read is for: its reply is theirs alone.
                reading: dict[str, Fanout] = {}
                for key, fanout in self._fanouts.items():
                    if fanout.cursor is not None:
                        streams[key] = fanout.cursor
                        reading[key] = fanout
                # A frozen Redis answers nothing, and a client without a
                # socket timeout would wait for good: the read gets a deadline
                # (TimeoutError, an OSError, below).
                async with asyncio.timeout(self._block_ms / 1000 + self._timeout):
                    # redis's stubs want a dict of their key union (dicts are invariant).
                    reply = await self._client.xread(
                        streams,  # type: ignore[arg-type]
                        count=self._count,
                        block=self._block_ms,
                    )
                self._deliver(reply, reading)
        except (RedisError, OSError) as exc:
            logger.warning("topic reader lost Redis (%s); subscribers are disconnected", exc)
            self.end_all()
        except Exception:
            logger.exception("topic reader failed; subscribers are disconnected")
            self.end_all()

    def _deliver(self, reply: Any, reading: dict[str, Fanout]) -> None:
        for raw_key, entries in stream_items(reply):
            key = raw_key.decode() if isinstance(raw_key, bytes) else str(raw_key)
            if key == self._wake_key:
                self._wake_cursor = entries[-1][0]
                continue
            fanout = reading.get(key)
            if fanout is None or self._fanouts.get(key) is not fanout:
                # Its last subscriber left while the read was in flight. The
                # instance may have been opened again meanwhile: that new
                # fanout's cursor is its own `_open`'s to set, and moving it
                # here would let `_open` then move it past entries never offered.
                continue
            resumable = fanout.topic.resumable
            batch = []
            for raw_id, fields in entries:
                entry = parse_entry(raw_id, fields, resumable)
                epoch = entry_epoch(fields)
                if epoch != fanout.epoch:
                    # Written by another server than the one the cursor came
                    # from: the read went on across a restart or a failover.
                    # Later entries of that server follow this one as usual.
                    fanout.epoch = epoch
                    if not entry.gap:
                        entry = replace(entry, gap=True)
                batch.append(entry)
            fanout.cursor = entries[-1][0]
            # One read is one batch: each subscriber writes it at once.
            offer_to_all(fanout.subscribers, batch)
