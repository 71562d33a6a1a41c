"""The schedule streams' service and what their bodies must be: shared by the in-process and uvicorn runs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from runtime_schedule import (
    DoneEvent,
    RuntimeScheduleService,
    StepsEvent,
    TickData,
    TickEvent,
)

from tests.runtime.schedules import HandlerSchedule

PREAMBLE = b"retry: 1000\n"
ERROR_TEXT = "The stream failed."


class Scheduled(RuntimeScheduleService):
    """Runs the handler part of the schedule its path names; records which started and whose `finally` ran."""

    def __init__(self, *schedules: HandlerSchedule) -> None:
        self.schedules = {s.seed: s for s in schedules}
        self.started: set[int] = set()
        self.closed: set[int] = set()

    async def steps(self, *, seed: int, last_event_id: int | None) -> AsyncIterator[StepsEvent]:
        schedule = self.schedules[seed]
        self.started.add(seed)
        n = 0
        try:
            for action in schedule.actions:
                if action[0] == "event":
                    yield TickEvent(data=TickData(n=n))
                    n += 1
                elif action[0] == "burst":
                    for _ in range(action[1]):
                        yield TickEvent(data=TickData(n=n))
                        n += 1
                elif action[0] == "bare":
                    await asyncio.sleep(0)
                else:
                    await asyncio.sleep(action[1])
            if schedule.ending == "terminal":
                yield DoneEvent()
            elif schedule.ending == "raise":
                raise RuntimeError("the schedule fails here")
        finally:
            self.closed.add(seed)


def expected_handler_frames(schedule: HandlerSchedule) -> list[bytes]:
    frames = [
        b'event: tick\ndata: {"n":%d}\nid: %d\n\n' % (n, n + 1)
        for n in range(schedule.event_count())
    ]
    next_id = len(frames) + 1
    if schedule.ending == "terminal":
        frames.append(b"event: done\ndata: \nid: %d\n\n" % next_id)
    elif schedule.ending == "raise":
        frames.append(b"event: failed\ndata: %s\nid: %d\n\n" % (ERROR_TEXT.encode(), next_id))
    return frames


def split_stream(body: bytes, *, complete: bool) -> tuple[list[bytes], int]:
    """(event frames, keepalive comments) of a body after its preamble; a cut frame only if not complete."""
    frames: list[bytes] = []
    comments = 0
    rest = body
    while rest:
        if rest.startswith(b":\n"):
            comments += 1
            rest = rest[2:]
            continue
        end = rest.find(b"\n\n")
        if end < 0:
            assert not complete, f"the complete body ends inside a frame: {rest!r}"
            break
        frame, rest = rest[: end + 2], rest[end + 2 :]
        assert b"\n:" not in frame, f"a comment inside a frame: {frame!r}"
        frames.append(frame)
    return frames, comments
