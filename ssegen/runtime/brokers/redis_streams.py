"""The Redis Streams broker: topics shared by many processes and hosts.

Each topic instance is one Redis stream, `<prefix>:<stream name>:<key ...>`
(key values percent-encoded, so no two instances share a key). Publishing
runs one Lua script, atomically: it refuses an instance that already ended,
numbers the event (see below), `XADD`s it as `<id>-0` with `MAXLEN ~ keep`
and refreshes the instance's expiry (`PEXPIRE ttl`). An entry holds the
encoded frame without its `id:` line (`f`), the terminal flag (`t`), the
previous id (`p`), the epoch of the server that wrote it (`e`) and the gap
flag (`g`, see `entry.py`).

Redis going back in time. A restart from an older snapshot or an AOF that
lost its last second, or a failover to a replica that lagged, leaves an
instance whose newest entries are gone although subscribers received them.
Nothing inside the data set can tell, so every entry records the server's
epoch (`EPOCH_LUA`: its run id, new at every start, and its replication id,
new at every promotion). The script compares it with the epoch of the
newest surviving entry; when they differ, or when this process itself
handed out a higher id for the instance than Redis still has, history may
have been cut after that entry, and the new entry:

- is a `gap`: a subscriber that would cross it is told it may have missed
  events (`resume_plan.py`), instead of silently following the chain;
- takes its id from the clock: `max(last + 1, Redis TIME in µs, this
  process's clock in µs, the last id this process handed out here + 1)`.
  Within one epoch ids stay `last + 1`, so they lag far behind the clock
  (an instance's ids advance one per event, the clock a million per second),
  and after a rollback the clock is past every id handed out before, even
  from a new primary whose clock is somewhat behind.

A subscriber is told `missed` exactly when an event after its id may be
gone: its id is not followed by the chain (out of retention, expired, lost,
never issued), a gap lies on its way, or the newest entry comes from an
earlier epoch (`stale`: events after it may be lost). A Redis restart
therefore tells every resuming subscriber, even one that lost nothing:
Redis cannot tell a restart that lost nothing from one that did.

Subscribers read the retained entries with `XRANGE` from their position
and live entries through this process's one `XREAD BLOCK` loop
(`redis_fanout.py`). `MAXLEN ~` trims whole nodes only, so at least `keep`
entries stay retained.

Redis going away: `publish` and `subscribe` raise `BrokerUnavailableError`;
live subscribers end cleanly (browsers reconnect); the next subscribe after
Redis is back starts over, and Redis's own restart is just one more way an
instance can lose events, which subscribers are told about (`missed`).
Redis freezing (a stopped process, a partition that drops packets): every
command is bounded by `timeout` seconds, after which it raises
`BrokerUnavailableError` (a publish may then have happened or not), and the
`XREAD` loop ends its subscribers the same way.

Durable publishes (`durable=`): `"aof"` returns only once the event is
fsynced to the server's AOF (`WAITAOF 1 0`, Redis 7.2+; before 7.2, only
with `appendfsync always`, under which Redis fsyncs every write before it
answers anyone, readers included); `"replicas"` once `replicas` replicas
have it (`WAIT`). Neither makes an event that subscribers saw survive a
crash before it was confirmed; they make a returned publish survive one.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Literal
from urllib.parse import quote

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from ..encoding import encode_event
from .broker import (
    BrokerError,
    BrokerUnavailableError,
    DurabilityError,
    DurabilityUnsupportedError,
    TopicClosedError,
)
from .entry import Entry
from .publish_queue import MAX_BATCH, PublishQueue, QueuedPublish
from .redis_fanout import EPOCH_LOCAL, EPOCH_LUA, FanoutReader, entry_epoch, parse_entry
from .resume_plan import start_subscription
from .subscription import ReplayPager, Subscription
from .topic_spec import TopicSpec

# One call publishes a batch (publish_queue.py), in order, atomically.
# KEYS[n]: the stream of the n-th queued publish's instance. Its two ARGV: a
# header, 'keep ttl_ms floor clock terminals lengths' (ttl_ms 0: none;
# floor: the least id this process accepts there, its last id + 1, or 0;
# clock: this process's clock in µs; terminals: one '0' or '1' per event;
# lengths: each event's frame length, comma-separated), then every frame,
# joined (one argument per publish, not per event: the client packs far
# fewer). Returns one reply per event: its id, or 'E:<reason>'.
# What a batch needs more than once is read once: the server's epoch (INFO
# is most of a lone publish's cost), each instance's newest entry (then kept
# up to date here), its expiry (set once, after the last event). Lua numbers
# are doubles: exact below 2**53, which every id stays under (checked).
_PUBLISH = (
    EPOCH_LOCAL
    + """
local replies = {}
local tops = {}
local expiring = {}
local clock = nil
local at = 1
for n = 1, #KEYS do
  local key = KEYS[n]
  local keep, ttl, floor, mine, terminals, lengths =
    string.match(ARGV[at], '^(%d+) (%d+) (%d+) (%d+) ([01]+) ([%d,]+)$')
  local frames = ARGV[at + 1]
  local from = 1
  floor = tonumber(floor)
  at = at + 2
  local top = tops[key]
  if not top then
    -- last: the newest id (nil: none); current: written under this epoch.
    top = {last = nil, current = false, closed = false}
    local newest = redis.call('XREVRANGE', key, '+', '-', 'COUNT', 1)[1]
    if newest then
      local fields = newest[2]
      for i = 1, #fields, 2 do
        if fields[i] == 't' and fields[i + 1] == '1' then
          top.closed = true
        elseif fields[i] == 'e' then
          top.current = fields[i + 1] == epoch
        end
      end
      top.last = tonumber(string.match(newest[1], '^%d+'))
    end
    tops[key] = top
  end
  local e = 0
  for length in string.gmatch(lengths, '%d+') do
    e = e + 1
    local frame = string.sub(frames, from, from + tonumber(length) - 1)
    from = from + tonumber(length)
    if top.closed then
      table.insert(replies, 'E:SSEGEN_TOPIC_CLOSED')
    else
      local prev = top.last or 0
      local id = 0
      local gap = '0'
      local cut = true
      if top.last then
        id = prev + 1
        if top.current and floor <= id then
          cut = false
        else
          gap = '1'
        end
      end
      if cut then
        -- A new instance, or history that may have been cut: ids go on from the clock.
        if not clock then
          local now = redis.call('TIME')
          clock = tonumber(now[1]) * 1000000 + tonumber(now[2])
        end
        local later = math.max(clock, tonumber(mine))
        if later > id then id = later end
      end
      if floor > id then id = floor end
      if id >= 9007199254740992 then
        table.insert(replies, 'E:SSEGEN_ID_RANGE')
      else
        local number = string.format('%.0f', id)
        local terminal = string.sub(terminals, e, e)
        redis.call('XADD', key, 'MAXLEN', '~', keep, number .. '-0',
                   'f', frame, 't', terminal, 'p', string.format('%.0f', prev),
                   'e', epoch, 'g', gap)
        top.last = id
        top.current = true
        top.closed = terminal == '1'
        if ttl ~= '0' then expiring[key] = ttl end
        table.insert(replies, number)
      end
    end
  end
end
for key, ttl in pairs(expiring) do
  redis.call('PEXPIRE', key, ttl)
end
return replies
"""
)
_PUBLISH_SHA = hashlib.sha1(_PUBLISH.encode()).hexdigest()

# Retained entries read per XRANGE while replaying.
REPLAY_PAGE = 500

# Instances whose last id this process remembers (see the module docstring).
_REMEMBERED = 4096

Durability = Literal["aof", "replicas"]

_UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, OSError)  # TimeoutError is an OSError

# A queued publish's answer from its batch: the script's reply per event (an
# id, or the error Redis answered) and whether the batch's durability wait
# confirmed them.
_Reply = tuple[list[Any], bool]


class RedisBroker:
    """Topics on Redis Streams (see the module docstring).

    Pass a `redis.asyncio.Redis` client made with `decode_responses=False`,
    or use `RedisBroker.from_url`. `buffer` bounds each subscriber's backlog
    of live events, as in `MemoryBroker`. `timeout` (seconds) bounds every
    Redis round trip of a publish or subscribe, and the wait for a durable
    publish's confirmation. `durable` makes every publish wait until the
    event is on disk (`"aof"`) or on `replicas` replicas (`"replicas"`).
    """

    def __init__(
        self,
        client: Redis,
        *,
        prefix: str = "ssegen",
        buffer: int = 256,
        owns_client: bool = False,
        timeout: float = 5.0,
        durable: Durability | None = None,
        replicas: int = 1,
    ) -> None:
        options: dict[str, Any] = client.connection_pool.connection_kwargs
        if options.get("decode_responses"):
            raise ValueError("RedisBroker needs a client with decode_responses=False")
        if buffer < 1:
            raise ValueError("buffer must be at least 1")
        if not timeout > 0:
            raise ValueError("timeout must be positive")
        if durable not in (None, "aof", "replicas"):
            raise ValueError("durable must be None, 'aof' or 'replicas'")
        if replicas < 1:
            raise ValueError("replicas must be at least 1")
        socket_timeout = _socket_timeout(client)
        # A blocked XREAD must return before the socket times out, and soon
        # enough for the loop's deadline (block + timeout) to mean "frozen".
        block = min(5.0, timeout)
        if socket_timeout is not None:
            block = max(0.05, min(block, float(socket_timeout) / 2))
        self._client = client
        self._prefix = prefix
        self._buffer = buffer
        self._owns_client = owns_client
        self._timeout = timeout
        self._durable = durable
        self._replicas = replicas
        # How this server confirms "aof": "waitaof", or "always" (appendfsync
        # always: nothing to wait for). None: not checked since Redis was
        # last unreachable (it may be another server now).
        self._aof_mode: Literal["waitaof", "always"] | None = None
        # The last id this process handed out per instance, newest last: a
        # floor for the next one when Redis lost what this process saw.
        self._issued: OrderedDict[str, int] = OrderedDict()
        self._epoch = client.register_script(EPOCH_LUA)
        self._queue = PublishQueue(self._send, unavailable=(BrokerUnavailableError,))
        self._reader = FanoutReader(
            client, prefix=prefix, block_ms=int(block * 1000), buffer=buffer, timeout=timeout
        )

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        prefix: str = "ssegen",
        buffer: int = 256,
        max_connections: int = 64,
        timeout: float = 5.0,
        durable: Durability | None = None,
        replicas: int = 1,
        **options: Any,
    ) -> RedisBroker:
        """A broker on its own client for `url` (`redis://host:port/db`).

        The defaults fail fast when Redis is down (one retry, to replace a
        pooled connection that a Redis restart closed, then an error) instead
        of redis-py's ten retries with backoff: a publisher gets its clear
        exception within a few seconds at most. The pool waits (up to 10 s)
        for a free connection rather than failing when `max_connections`
        are busy, as a burst of subscribers would otherwise see. `options`
        go to the connections and override these defaults; `timeout`,
        `durable` and `replicas` are the broker's (see `RedisBroker`).
        """
        settings: dict[str, Any] = {
            "socket_connect_timeout": 2.0,
            "socket_timeout": 10.0,
            "retry": Retry(NoBackoff(), 1),
            "protocol": 2,
            **options,
            "decode_responses": False,
        }
        pool = BlockingConnectionPool.from_url(
            url, max_connections=max_connections, timeout=10, **settings
        )
        return cls(
            Redis.from_pool(pool),
            prefix=prefix,
            buffer=buffer,
            owns_client=True,
            timeout=timeout,
            durable=durable,
            replicas=replicas,
        )

    def key(self, topic: TopicSpec, key: tuple[str, ...]) -> str:
        """The Redis key of one instance."""
        topic.check_key(key)
        parts = "".join(":" + quote(part, safe="") for part in key)
        return f"{self._prefix}:{topic.stream.name}{parts}"

    @contextmanager
    def _reachable(self) -> Iterator[None]:
        try:
            yield
        except _UNAVAILABLE as exc:
            self._aof_mode = None  # look again: it may be another server when it is back
            detail = str(exc) or f"no answer within {self._timeout:g} s"
            raise BrokerUnavailableError(f"Redis is unavailable: {detail}") from exc

    async def publish(self, topic: TopicSpec, key: tuple[str, ...], event: object) -> int:
        redis_key = self.key(topic, key)
        args = self._publish_args(topic, redis_key, [event])  # TypeError for a foreign event
        numbers, confirmed = await self._queue.submit(redis_key, args)
        return self._published(topic, key, redis_key, numbers[0], confirmed)

    async def publish_many(
        self, topic: TopicSpec, key: tuple[str, ...], events: Iterable[object]
    ) -> list[int]:
        """Publish `events` to one instance, in order, in as few round trips as possible.

        Returns their ids. When one fails, raises the error its own `publish`
        would have raised. The events before it were published; after a
        `TopicClosedError` or `BrokerUnavailableError` none after it was, and
        after a `DurabilityError` all were (the whole batch went unconfirmed).
        """
        redis_key = self.key(topic, key)
        batch = list(events)
        # Every chunk is encoded before the first is queued: a foreign event
        # anywhere is a TypeError and nothing is published.
        chunks = [
            (self._publish_args(topic, redis_key, batch[at : at + MAX_BATCH]), at)
            for at in range(0, len(batch), MAX_BATCH)
        ]
        futures = [
            self._queue.submit(redis_key, args, min(MAX_BATCH, len(batch) - at))
            for args, at in chunks
        ]
        replies = await asyncio.gather(*futures, return_exceptions=True)
        ids: list[int] = []
        for reply in replies:
            if isinstance(reply, BaseException):
                raise reply
            numbers, confirmed = reply
            if confirmed and not any(number.startswith(b"E:") for number in numbers):
                ids.extend(int(number) for number in numbers)
                self._remember(redis_key, ids[-1])
                continue
            for number in numbers:  # raises at the first that failed
                ids.append(self._published(topic, key, redis_key, number, confirmed))
        return ids

    def _publish_args(
        self, topic: TopicSpec, redis_key: str, events: Sequence[object]
    ) -> list[Any]:
        """The script's two arguments for `events` to one instance: a header, the frames."""
        frames = [encode_event(topic.stream, event) for event in events]  # TypeError if foreign
        by_class = topic.stream.by_class
        terminals = "".join("1" if by_class[type(event)].terminal else "0" for event in events)
        lengths = ",".join([str(len(frame)) for frame in frames])
        ttl_ms = 0 if topic.ttl is None else max(1, round(topic.ttl * 1000))
        issued = self._issued.get(redis_key)
        floor = 0 if issued is None else issued + 1
        clock = time.time_ns() // 1000
        header = f"{topic.keep} {ttl_ms} {floor} {clock} {terminals} {lengths}"
        return [header.encode(), b"".join(frames)]

    def _published(
        self,
        topic: TopicSpec,
        key: tuple[str, ...],
        redis_key: str,
        number: Any,
        confirmed: bool,
    ) -> int:
        """The id of one answered publish, or the error it answers."""
        if number == b"E:SSEGEN_TOPIC_CLOSED":
            raise TopicClosedError(f"topic {topic.stream.name!r} {key!r} has ended")
        if number == b"E:SSEGEN_ID_RANGE":
            raise BrokerError(f"topic {topic.stream.name!r} {key!r} ran out of ids below 2**53")
        event_id = int(number)
        self._remember(redis_key, event_id)
        if not confirmed:
            where = "on disk" if self._durable == "aof" else f"on {self._replicas} replica(s)"
            raise DurabilityError(
                f"event {event_id} was published but Redis did not confirm it {where} "
                f"within {self._timeout:g} s",
                event_id,
            )
        return event_id

    async def _send(self, batch: Sequence[QueuedPublish]) -> None:
        """Send one batch of publishes as one pipeline (the PublishQueue's sender).

        The script is loaded first in the same pipeline, so no EVALSHA of it
        meets NOSCRIPT (a restarted or flushed server): a retry of part of a
        batch could break the order of an instance. WAIT and WAITAOF wait for
        this connection's own writes, so one at the end confirms the batch;
        half the timeout, so that an unconfirmed event is reported as such.
        """
        with self._reachable():
            async with asyncio.timeout(self._timeout):
                if self._durable == "aof" and self._aof_mode is None:
                    self._aof_mode = await self._check_aof()
                waits = self._durable is not None and not (
                    self._durable == "aof" and self._aof_mode == "always"
                )
                async with self._client.pipeline(transaction=False) as pipe:
                    pipe.script_load(_PUBLISH)
                    keys = [queued.redis_key for queued in batch]
                    args = [arg for queued in batch for arg in queued.args]
                    pipe.evalsha(_PUBLISH_SHA, len(keys), *keys, *args)
                    if waits:
                        wait_ms = max(1, int(self._timeout * 500))
                        if self._durable == "aof":
                            pipe.execute_command("WAITAOF", 1, 0, wait_ms)
                        else:
                            pipe.execute_command("WAIT", self._replicas, wait_ms)
                    replies = await pipe.execute(raise_on_error=False)
        for reply in replies:
            if isinstance(reply, _UNAVAILABLE):
                raise BrokerUnavailableError(f"Redis is unavailable: {reply}")
            if isinstance(reply, BaseException):
                raise reply  # the script itself failed: every publish of the batch gets it
        confirmed = True
        if waits:
            acks = replies[-1]
            if isinstance(acks, BaseException):
                confirmed = False
            elif self._durable == "aof":
                confirmed = int(acks[0]) >= 1
            else:
                confirmed = int(acks) >= self._replicas
        numbers = replies[1]
        at = 0
        for queued in batch:
            if not queued.future.done():
                queued.future.set_result((numbers[at : at + queued.count], confirmed))
            at += queued.count

    async def _check_aof(self) -> Literal["waitaof", "always"]:
        """How this server can confirm that a write is on disk; raises if it cannot."""
        server: Any = await self._client.info("server")
        persistence: Any = await self._client.info("persistence")
        version = str(server.get("redis_version", "0"))
        if not int(persistence.get("aof_enabled", 0)):
            raise DurabilityUnsupportedError(
                f"durable='aof' needs the append-only file: Redis {version} at "
                "this URL runs with appendonly no"
            )
        if tuple(int(part) for part in version.split(".")[:2]) >= (7, 2):
            return "waitaof"
        try:
            reply: Any = await self._client.config_get("appendfsync")
        except ResponseError as exc:
            raise DurabilityUnsupportedError(
                f"durable='aof' on Redis {version} (no WAITAOF, which came in 7.2) needs "
                f"appendfsync always, and CONFIG GET is refused: {exc}"
            ) from None
        fsync = reply.get(b"appendfsync", reply.get("appendfsync", b""))
        fsync = fsync.decode() if isinstance(fsync, bytes) else str(fsync)
        if fsync != "always":
            raise DurabilityUnsupportedError(
                f"durable='aof' on Redis {version} (no WAITAOF, which came in 7.2) needs "
                f"appendfsync always; this server has appendfsync {fsync}"
            )
        return "always"

    def _remember(self, redis_key: str, event_id: int) -> None:
        issued = self._issued
        if issued.get(redis_key, 0) < event_id:
            issued[redis_key] = event_id
        issued.move_to_end(redis_key)
        if len(issued) > _REMEMBERED:
            issued.popitem(last=False)

    async def subscribe(
        self, topic: TopicSpec, key: tuple[str, ...], *, after: int | None
    ) -> Subscription:
        redis_key = self.key(topic, key)
        subscription = Subscription(self._buffer)
        with self._reachable():
            async with asyncio.timeout(self._timeout):
                await self._reader.join(redis_key, topic, subscription)
            try:
                async with asyncio.timeout(self._timeout):
                    async with self._client.pipeline(transaction=False) as pipe:
                        pipe.xrevrange(redis_key, count=1)
                        await self._epoch(client=pipe)
                        if topic.resumable:
                            start = "-" if after is None else f"({after}-0"
                            pipe.xrange(redis_key, min=start, count=REPLAY_PAGE)
                        replies = await pipe.execute()
            except BaseException:
                subscription.close()
                raise
        top = replies[0][0] if replies[0] else None
        last = _entries(replies[0], topic)
        # Written by an earlier server: what came after it may be lost.
        stale = top is not None and entry_epoch(top[1]) != bytes(replies[1])
        replay = _entries(replies[2], topic) if topic.resumable else []
        more = self._pager(redis_key, topic) if len(replay) == REPLAY_PAGE else None
        start_subscription(
            subscription,
            topic,
            after=after,
            last=last[0] if last else None,
            replay=replay,
            more=more,
            stale=stale,
        )
        return subscription

    def _pager(self, redis_key: str, topic: TopicSpec) -> ReplayPager:
        async def more(position: int) -> list[Entry]:
            try:
                with self._reachable():
                    async with asyncio.timeout(self._timeout):
                        reply: Any = await self._client.xrange(
                            redis_key, min=f"({position}-0", count=REPLAY_PAGE
                        )
            except BrokerUnavailableError:
                return []  # the live loop ends the subscription the same way
            return _entries(reply, topic)

        return more

    async def aclose(self) -> None:
        await self._queue.drain()
        await self._reader.aclose()
        if self._owns_client:
            await self._client.aclose()


def _socket_timeout(client: Redis) -> float | None:
    """The read timeout the client's connections really have.

    A client made by `Redis.from_url` leaves `socket_timeout` out of its
    pool's settings when the URL does not give one, and its connections
    then take their class's default (5 s since redis-py 8, None before): a
    blocked `XREAD` as long as that would time out as if Redis were gone.
    An unconnected connection built from the pool's settings says which.
    """
    pool = client.connection_pool
    timeout = pool.connection_class(**pool.connection_kwargs).socket_timeout
    return None if timeout is None else float(timeout)


def _entries(reply: list[tuple[bytes, dict[bytes, bytes]]], topic: TopicSpec) -> list[Entry]:
    return [parse_entry(raw_id, fields, topic.resumable) for raw_id, fields in reply]
