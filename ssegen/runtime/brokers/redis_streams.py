"""The Redis Streams broker: topics shared by many processes and hosts.

Each topic instance is one Redis stream, `<prefix>:<stream name>:<key ...>`
(key values percent-encoded, so no two instances share a key). Publishing
runs one Lua script, atomically: it refuses an instance that already ended,
numbers the event (the last id plus one, or the time in microseconds for the
first event, see `entry.py`), `XADD`s it as `<id>-0` with `MAXLEN ~ keep`
and refreshes the instance's expiry (`PEXPIRE ttl`). An entry holds the
encoded frame without its `id:` line (`f`), the terminal flag (`t`) and the
previous id (`p`).

Subscribers read the retained entries with `XRANGE` from their position
and live entries through this process's one `XREAD BLOCK` loop
(`redis_fanout.py`). `MAXLEN ~` trims whole nodes only, so at least `keep`
entries stay retained.

Redis going away: `publish` and `subscribe` raise `BrokerUnavailableError`;
live subscribers end cleanly (browsers reconnect); the next subscribe after
Redis is back starts over, and Redis's own restart is just one more way an
instance can lose events, which subscribers are told about (`missed`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from ..encoding import encode_event
from .broker import BrokerUnavailableError, TopicClosedError
from .entry import Entry
from .redis_fanout import FanoutReader, parse_entry
from .resume_plan import start_subscription
from .subscription import ReplayPager, Subscription
from .topic_spec import TopicSpec

# KEYS[1]: the instance's stream; ARGV: keep, ttl in ms (0: none), frame, terminal flag.
# Lua numbers are doubles: exact below 2**53, which every id stays under.
_PUBLISH = """
local top = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)[1]
local prev = 0
local id
if top then
  local fields = top[2]
  for i = 1, #fields, 2 do
    if fields[i] == 't' and fields[i + 1] == '1' then
      return redis.error_reply('SSEGEN_TOPIC_CLOSED')
    end
  end
  prev = tonumber(string.match(top[1], '^%d+'))
  id = prev + 1
else
  local now = redis.call('TIME')
  id = tonumber(now[1]) * 1000000 + tonumber(now[2])
end
local number = string.format('%.0f', id)
redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], number .. '-0',
           'f', ARGV[3], 't', ARGV[4], 'p', string.format('%.0f', prev))
if ARGV[2] ~= '0' then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return number
"""

# Retained entries read per XRANGE while replaying.
REPLAY_PAGE = 500

_UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, OSError)


@contextmanager
def _reachable() -> Iterator[None]:
    try:
        yield
    except _UNAVAILABLE as exc:
        raise BrokerUnavailableError(f"Redis is unavailable: {exc}") from exc


class RedisBroker:
    """Topics on Redis Streams (see the module docstring).

    Pass a `redis.asyncio.Redis` client made with `decode_responses=False`,
    or use `RedisBroker.from_url`. `buffer` bounds each subscriber's backlog
    of live events, as in `MemoryBroker`.
    """

    def __init__(
        self,
        client: Redis,
        *,
        prefix: str = "ssegen",
        buffer: int = 256,
        owns_client: bool = False,
    ) -> None:
        options: dict[str, Any] = client.connection_pool.connection_kwargs
        if options.get("decode_responses"):
            raise ValueError("RedisBroker needs a client with decode_responses=False")
        if buffer < 1:
            raise ValueError("buffer must be at least 1")
        timeout = options.get("socket_timeout")
        # A blocked XREAD must return before the socket times out.
        block = 5.0 if timeout is None else max(0.05, min(5.0, float(timeout) / 2))
        self._client = client
        self._prefix = prefix
        self._buffer = buffer
        self._owns_client = owns_client
        self._publish = client.register_script(_PUBLISH)
        self._reader = FanoutReader(
            client, prefix=prefix, block_ms=int(block * 1000), buffer=buffer
        )

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        prefix: str = "ssegen",
        buffer: int = 256,
        max_connections: int = 64,
        **options: Any,
    ) -> RedisBroker:
        """A broker on its own client for `url` (`redis://host:port/db`).

        The defaults fail fast when Redis is down (one retry, to replace a
        pooled connection that a Redis restart closed, then an error) instead
        of redis-py's ten retries with backoff: a publisher gets its clear
        exception within a few seconds at most. The pool waits (up to 10 s)
        for a free connection rather than failing when `max_connections`
        are busy, as a burst of subscribers would otherwise see. `options`
        go to the connections and override these defaults.
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
        return cls(Redis.from_pool(pool), prefix=prefix, buffer=buffer, owns_client=True)

    def key(self, topic: TopicSpec, key: tuple[str, ...]) -> str:
        """The Redis key of one instance."""
        topic.check_key(key)
        parts = "".join(":" + quote(part, safe="") for part in key)
        return f"{self._prefix}:{topic.stream.name}{parts}"

    async def publish(self, topic: TopicSpec, key: tuple[str, ...], event: object) -> int:
        redis_key = self.key(topic, key)
        frame = encode_event(topic.stream, event)  # TypeError for a foreign event
        terminal = b"1" if topic.stream.by_class[type(event)].terminal else b"0"
        ttl_ms = 0 if topic.ttl is None else max(1, round(topic.ttl * 1000))
        with _reachable():
            try:
                number = await self._publish(
                    keys=[redis_key], args=[topic.keep, ttl_ms, frame, terminal]
                )
            except ResponseError as exc:
                if "SSEGEN_TOPIC_CLOSED" in str(exc):
                    raise TopicClosedError(
                        f"topic {topic.stream.name!r} {key!r} has ended"
                    ) from None
                raise
        return int(number)

    async def subscribe(
        self, topic: TopicSpec, key: tuple[str, ...], *, after: int | None
    ) -> Subscription:
        redis_key = self.key(topic, key)
        subscription = Subscription(self._buffer)
        with _reachable():
            await self._reader.join(redis_key, topic, subscription)
            try:
                async with self._client.pipeline(transaction=False) as pipe:
                    pipe.xrevrange(redis_key, count=1)
                    if topic.resumable:
                        start = "-" if after is None else f"({after}-0"
                        pipe.xrange(redis_key, min=start, count=REPLAY_PAGE)
                    replies = await pipe.execute()
            except BaseException:
                subscription.close()
                raise
        last = _entries(replies[0], topic)
        replay = _entries(replies[1], topic) if topic.resumable else []
        more = self._pager(redis_key, topic) if len(replay) == REPLAY_PAGE else None
        start_subscription(
            subscription,
            topic,
            after=after,
            last=last[0] if last else None,
            replay=replay,
            more=more,
        )
        return subscription

    def _pager(self, redis_key: str, topic: TopicSpec) -> ReplayPager:
        async def more(position: int) -> list[Entry]:
            try:
                with _reachable():
                    reply: Any = await self._client.xrange(
                        redis_key, min=f"({position}-0", count=REPLAY_PAGE
                    )
            except BrokerUnavailableError:
                return []  # the live loop ends the subscription the same way
            return _entries(reply, topic)

        return more

    async def aclose(self) -> None:
        await self._reader.aclose()
        if self._owns_client:
            await self._client.aclose()


def _entries(reply: list[tuple[bytes, dict[bytes, bytes]]], topic: TopicSpec) -> list[Entry]:
    return [parse_entry(raw_id, fields, topic.resumable) for raw_id, fields in reply]
