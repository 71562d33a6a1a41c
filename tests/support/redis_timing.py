"""Real Redis clients whose replies come back later: at seeded random times, or when a test says.

`jittery_redis`: the broker's reader, subscribers and publishers share one client but run on
separate connections, so the order in which their replies come back is the
race a deployment meets under load. This client holds every command (and
every pipeline) for a random few milliseconds before it is sent and after
its reply arrives, drawn from one seeded generator: the same seed draws the
same delays, so a failing seed is the first thing to replay. The commands
themselves go to a real redis-server unchanged.

`HeldRedis`: a test holds chosen replies (`hold_replies`) or the next
pipeline that starts with a given command (`hold_pipeline`) until it opens
the `Gate`, to play one exact interleaving the random schedules may take
long to meet.
"""

from __future__ import annotations

import asyncio
import random
from typing import Any, cast

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline


class _Jitter:
    def __init__(self, seed: int, most: float) -> None:
        self._random = random.Random(seed)
        self._most = most

    async def pause(self) -> None:
        # Often no pause at all (a zero-length sleep still yields, the
        # shortest reordering there is), now and then a long one: a command
        # stuck behind a slow one, or a busy server.
        draw = self._random.random()
        if draw < 0.3:
            await asyncio.sleep(0)
        elif draw < 0.95:
            await asyncio.sleep(draw * self._most)
        else:
            await asyncio.sleep(self._random.random() * self._most * 8)


class JitteryPipeline(Pipeline):
    jitter: _Jitter

    async def execute(self, raise_on_error: bool = True) -> list[Any]:
        await self.jitter.pause()
        replies = await super().execute(raise_on_error)
        await self.jitter.pause()
        return replies


class JitteryRedis(Redis):
    jitter: _Jitter

    async def execute_command(self, *args: Any, **options: Any) -> Any:
        await self.jitter.pause()
        reply = await super().execute_command(*args, **options)  # type: ignore[no-untyped-call]
        await self.jitter.pause()
        return reply

    def pipeline(self, transaction: bool = True, shard_hint: str | None = None) -> Pipeline:
        pipe = JitteryPipeline(
            self.connection_pool, self.response_callbacks, transaction, shard_hint
        )
        pipe.jitter = self.jitter
        return pipe


def jittery_redis(url: str, *, seed: int, most: float = 0.004) -> JitteryRedis:
    """A client for `url` with the broker's required settings, delays drawn from `seed`."""
    client = cast(JitteryRedis, JitteryRedis.from_url(url, protocol=2, decode_responses=False))
    client.jitter = _Jitter(seed, most)
    return client


class Gate:
    """One held command: `arrived` once it waits here, and it goes on once `opened`."""

    def __init__(self) -> None:
        self.arrived = asyncio.Event()
        self.opened = asyncio.Event()

    async def hold(self) -> None:
        self.arrived.set()
        await self.opened.wait()

    def open(self) -> None:
        self.opened.set()


class HeldPipeline(Pipeline):
    owner: HeldRedis

    async def execute(self, raise_on_error: bool = True) -> list[Any]:
        gates = self.owner.pipeline_gates
        first = str(self.command_stack[0][0][0]).upper() if self.command_stack else ""
        if first in gates:
            await gates.pop(first).hold()  # held before it is sent
        return await super().execute(raise_on_error)


class HeldRedis(Redis):
    reply_gates: dict[str, Gate]  # command name: the gate its replies wait at
    pipeline_gates: dict[str, Gate]  # first command: the gate the next such pipeline waits at

    async def execute_command(self, *args: Any, **options: Any) -> Any:
        reply = await super().execute_command(*args, **options)  # type: ignore[no-untyped-call]
        gate = self.reply_gates.get(str(args[0]).upper())
        if gate is not None:
            await gate.hold()  # held after its reply arrived
        return reply

    def pipeline(self, transaction: bool = True, shard_hint: str | None = None) -> Pipeline:
        pipe = HeldPipeline(self.connection_pool, self.response_callbacks, transaction, shard_hint)
        pipe.owner = self
        return pipe

    def hold_replies(self, command: str) -> Gate:
        """Hold every reply of `command` from now on (until another gate replaces it)."""
        gate = self.reply_gates[command] = Gate()
        return gate

    def release_replies(self, command: str) -> None:
        """Later replies of `command` are no longer held (held ones wait for their gate)."""
        self.reply_gates.pop(command, None)

    def hold_pipeline(self, first: str) -> Gate:
        """Hold the next pipeline whose first command is `first`, before it is sent."""
        gate = self.pipeline_gates[first] = Gate()
        return gate


def held_redis(url: str) -> HeldRedis:
    """A client for `url` with the broker's required settings and nothing held yet."""
    client = cast(HeldRedis, HeldRedis.from_url(url, protocol=2, decode_responses=False))
    client.reply_gates, client.pipeline_gates = {}, {}
    return client
