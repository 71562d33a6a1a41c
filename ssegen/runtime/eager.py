"""Step an awaitable by hand, so that a result which is already there costs no trip through the loop.

`await source.__anext__()` always hands control to the event loop when the
source has to wait, and the caller cannot tell beforehand whether it will. The
response writer instead starts each step itself with `step.send(None)`:

- `StopIteration` means the source produced its next item without waiting:
  the writer keeps it and asks for the next one;
- a yielded value means the source now waits (for the future it yielded): the
  writer first sends what it holds, then hands the step to the task with
  `finish` exactly as if it had been awaited from the start.

That is how events that are already produced go out as one chunk, while none
is ever held back waiting for more.
"""

from __future__ import annotations

import asyncio
import types
from collections.abc import Coroutine, Generator
from typing import Any, TypeVar

T = TypeVar("T")

Step = Coroutine[Any, Any, T]


@types.coroutine
def finish(step: Step[T], pending: Any) -> Generator[Any, Any, T]:
    """Await the rest of `step`, whose first `send(None)` yielded `pending`.

    `pending` goes up to the task as if `step` had yielded it there (a future
    to wait for, or None for a bare yield); what the task then sends or throws
    (a cancellation) is passed down, as `yield from` would do after its first
    step.
    """
    while True:
        try:
            sent = yield pending
        except GeneratorExit:
            step.close()
            raise
        except BaseException as exc:  # noqa: BLE001 - passed down, as the task would
            try:
                pending = step.throw(exc)
            except StopIteration as done:
                result: T = done.value
                return result
        else:
            try:
                pending = step.send(sent)
            except StopIteration as done:
                result = done.value
                return result


async def abandon(step: Step[Any], pending: Any) -> None:
    """Cancel a step that is waiting for `pending`, and let it finish its cleanup.

    This is what `Task.cancel()` would do had the step been awaited: cancel the
    future it waits for, throw CancelledError at its await, and keep running
    it while it awaits in its `finally` blocks. Whatever it ends with (most
    likely the CancelledError itself) is swallowed: the caller is tearing down.
    """
    if isinstance(pending, asyncio.Future):
        pending.cancel()
    try:
        pending = step.throw(asyncio.CancelledError())
    except (Exception, asyncio.CancelledError):  # noqa: BLE001 - tearing down
        return
    try:
        await finish(step, pending)
    except (Exception, asyncio.CancelledError):  # noqa: BLE001 - tearing down
        return
