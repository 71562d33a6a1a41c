"""An asyncio event loop on a virtual clock, for replayable schedules of timers and tasks.

Time moves only as the loop runs: each iteration of the loop costs `TICK`
seconds (so work that never lets the loop idle is seen as time passing), and
when nothing is ready the clock jumps to the next timer. A schedule therefore
runs the same way every time, whatever the machine's load, and no test waits
for real time. Two hazards become failures instead of hangs:

- `Deadlock`: nothing is ready, no timer is set and no file descriptor can
  wake the loop: every task waits on something nobody will complete;
- `Spin`: more than `max_iterations` iterations, i.e. something keeps the loop
  busy without end (a task that awaits in a loop without making progress).

A task that spins without ever returning to the loop cannot be interrupted
from inside it; `watchdog` raises `Hung` inside the stuck thread then, so the
test that hung fails with its stack, and the next test starts on a fresh loop.
"""

from __future__ import annotations

import asyncio
import ctypes
import faulthandler
import os
import selectors
import sys
import threading
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")

TICK = 1e-6  # virtual seconds one loop iteration costs


class Deadlock(AssertionError):
    pass


class Spin(AssertionError):
    pass


class Hung(AssertionError):
    """Raised inside a thread that stayed in one block longer than its watchdog allows."""


class _Selector(selectors.DefaultSelector):
    """Polls real file descriptors without blocking; a wait becomes a jump of the clock."""

    loop: VirtualClockLoop

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        events = super().select(0)
        loop = self.loop
        loop.iterations += 1
        if loop.iterations > loop.max_iterations:
            raise Spin(f"the loop ran {loop.iterations} iterations without the schedule ending")
        loop.now += TICK
        if not events and timeout is not None and timeout > 0:
            loop.now += timeout
        elif not events and timeout is None and not loop._ready:  # type: ignore[attr-defined]
            raise Deadlock("every task waits, and no timer or I/O can wake any of them")
        return events


class VirtualClockLoop(asyncio.SelectorEventLoop):
    def __init__(self, max_iterations: int = 2_000_000) -> None:
        selector = _Selector()
        selector.loop = self
        self.now = 0.0
        self.iterations = 0
        self.max_iterations = max_iterations
        super().__init__(selector)

    def time(self) -> float:
        return self.now


def run_virtual(main: Callable[[], Coroutine[Any, Any, T]], max_iterations: int = 2_000_000) -> T:
    """Run `main()` on a fresh virtual-clock loop; the loop is closed afterwards."""
    loop = VirtualClockLoop(max_iterations)
    try:
        asyncio.set_event_loop(loop)
        return loop.run_until_complete(main())
    finally:
        asyncio.set_event_loop(None)
        loop.close()


@contextmanager
def watchdog(label: str, seconds: float = 120.0) -> Iterator[None]:
    """Fail with `Hung` if the block runs longer than `seconds`.

    Only for a loop stuck inside one callback, which nothing on that loop can
    detect: the exception is raised asynchronously in the thread that entered
    the block, at its next Python instruction. The bound is far above what any
    schedule needs, even on a busy machine. Should the thread never run Python
    again (stuck in C), the process ends after as long again, printing every stack.
    """
    thread = threading.get_ident()
    fired = threading.Event()

    def expire() -> None:
        fired.set()
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread), ctypes.py_object(Hung))
        if done.wait(seconds):
            return
        stderr = sys.__stderr__
        assert stderr is not None
        stderr.write(f"\nHUNG: {label} did not finish in {2 * seconds} s\n")
        faulthandler.dump_traceback(file=stderr, all_threads=True)
        os._exit(70)

    done = threading.Event()
    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    timer.start()
    try:
        yield
    except Hung as hung:
        raise Hung(
            f"{label} did not finish in {seconds} s (a callback never returned to the loop)"
        ) from hung
    finally:
        done.set()
        timer.cancel()
        if fired.is_set():
            # The exception may still be pending if the block ended on its own meanwhile.
            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread), None)
