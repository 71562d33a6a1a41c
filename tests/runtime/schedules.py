"""Seeded schedules for the response writer: what the handler, the publisher and the client do, when.

A schedule is drawn from `random.Random(seed)` alone, so a seed names it and
replays it. Times are in the stream's keepalive interval (1 s in
tests/runtime/specs/schedule.yaml), on the virtual clock of
tests/support/virtual_loop.py: gaps fall just under, at and just over the
keepalive, where a timer and the handler wake together.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Literal

KEEPALIVE = 1.0
# Just under, at and just over the keepalive (and its timer's slack), and well past it.
GAPS = (0.0, 0.3, 0.994, 0.995, 0.999, 1.0, 1.001, 1.005, 1.5, 2.0, 3.5)

Action = (
    tuple[Literal["event"]]
    | tuple[Literal["burst"], int]
    | tuple[Literal["bare"]]
    | tuple[Literal["gap"], float]
)
Ending = Literal["return", "terminal", "raise"]


@dataclass(frozen=True)
class Client:
    """What the client does: how much the connection buffers, when it stops reading, when it leaves."""

    window: int | None  # unread bytes before the server is pushed back; None: never
    pauses: tuple[tuple[float, float], ...]  # (start, length): not reading
    disconnect_at: float | None
    shutdown_at: float | None  # the server shuts down (end_streams)
    raise_when_gone: bool  # sends after a disconnect raise OSError, else return

    def stops_at(self) -> float | None:
        times = [t for t in (self.disconnect_at, self.shutdown_at) if t is not None]
        return min(times) if times else None


@dataclass(frozen=True)
class HandlerSchedule:
    seed: int
    actions: tuple[Action, ...]
    ending: Ending
    client: Client

    def duration(self) -> float:
        return sum(a[1] for a in self.actions if a[0] == "gap")

    def event_count(self) -> int:
        return sum(
            1 if a[0] == "event" else a[1] for a in self.actions if a[0] in ("event", "burst")
        )


@dataclass(frozen=True)
class TopicSchedule:
    seed: int
    before: int  # events published before the subscriber connects
    publishes: tuple[tuple[float, int], ...]  # (time, how many at once)
    terminal: bool  # a terminal event after the last publish
    client: Client
    end: float = field(default=0.0)  # when the schedule is over


def _client(rng: random.Random, span: float, *, must_stop: bool = False) -> Client:
    window = rng.choice([None, None, 64, 512, 4096])
    pauses = tuple(
        (round(rng.uniform(0, span), 3), rng.choice([0.2, 1.0, 2.5]))
        for _ in range(rng.choice([0, 0, 1, 2]))
    )
    stop_times = [round(rng.uniform(0, span + 0.5), 3), span + 0.5]
    disconnect_at = rng.choice([None, None, *stop_times])
    shutdown_at = rng.choice([None, None, *stop_times])
    if must_stop and disconnect_at is None and shutdown_at is None:
        if rng.random() < 0.5:
            disconnect_at = span + 0.5
        else:
            shutdown_at = span + 0.5
    return Client(window, pauses, disconnect_at, shutdown_at, rng.random() < 0.5)


def handler_schedule(seed: int) -> HandlerSchedule:
    rng = random.Random(seed)
    actions: list[Action] = []
    for _ in range(rng.randint(0, 9)):
        kind = rng.choice(["event", "event", "burst", "bare", "gap", "gap", "gap"])
        if kind == "event":
            actions.append(("event",))
        elif kind == "burst":
            actions.append(("burst", rng.randint(2, 60)))
        elif kind == "bare":
            actions.append(("bare",))
        else:
            actions.append(("gap", rng.choice(GAPS) * KEEPALIVE))
    ending: Ending = rng.choice(["return", "terminal", "raise"])
    duration = sum(a[1] for a in actions if a[0] == "gap")
    return HandlerSchedule(seed, tuple(actions), ending, _client(rng, duration))


def topic_schedule(seed: int) -> TopicSchedule:
    rng = random.Random(seed)
    t = 0.0
    publishes = []
    for _ in range(rng.randint(0, 8)):
        t += rng.choice(GAPS) * KEEPALIVE
        publishes.append((round(t, 6), rng.choice([1, 1, 2, 5, 20])))
    terminal = rng.random() < 0.4
    client = _client(rng, t, must_stop=not terminal)
    return TopicSchedule(seed, rng.choice([0, 0, 3]), tuple(publishes), terminal, client, t + 0.5)
