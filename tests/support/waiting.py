"""Waiting for a condition instead of for a time: poll it, with a generous deadline.

A test that sleeps a fixed time and then looks passes on an idle machine and
fails on a busy one; one that polls what it waits for passes on both, and the
deadline only keeps a broken build from hanging the suite.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable

# Generous: the bound only keeps a broken runtime from hanging the suite.
PATIENCE = 30.0


def wait_until(
    condition: Callable[[], bool], *, interval: float = 0.01, patience: float = PATIENCE
) -> bool:
    """Poll `condition` until it holds or `patience` runs out; its last value."""
    deadline = time.monotonic() + patience
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()


async def wait_until_async(
    condition: Callable[[], bool | Awaitable[bool]],
    *,
    interval: float = 0.01,
    patience: float = PATIENCE,
) -> bool:
    """`wait_until` for a coroutine: the event loop runs between polls; `condition` may be async."""

    async def holds() -> bool:
        value = condition()
        return await value if inspect.isawaitable(value) else value

    deadline = time.monotonic() + patience
    while time.monotonic() < deadline:
        if await holds():
            return True
        await asyncio.sleep(interval)
    return await holds()
