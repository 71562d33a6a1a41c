"""The broker generated code uses when the app passes none.

Choosing the backend is one line: set `SSEGEN_REDIS_URL` (e.g.
`redis://localhost:6379/0`) and every generated publisher and topic route
that was not handed a broker shares one `RedisBroker` on that URL; leave it
unset and they share one process-wide `MemoryBroker`. App code can instead
pass `RedisBroker.from_url(url)` (or any `Broker`) to `build_router(...)`
and to the publishers.

The `MemoryBroker` serves one process: under several worker processes
(`uvicorn --workers N`, `WEB_CONCURRENCY`, gunicorn) it refuses to publish
and subscribe, with an error that says to set `SSEGEN_REDIS_URL`, unless
`SSEGEN_TOPICS=per-process` accepts topics split by worker (see
`workers.py`).
"""

from __future__ import annotations

import os

from .broker import Broker
from .memory import MemoryBroker
from .workers import TOPICS_MODE_VARIABLE

REDIS_URL_VARIABLE = "SSEGEN_REDIS_URL"

__all__ = ["REDIS_URL_VARIABLE", "TOPICS_MODE_VARIABLE", "default_broker"]

_default: Broker | None = None


def default_broker() -> Broker:
    """The process-wide broker, created on first use (see the module docstring)."""
    global _default
    if _default is None:
        url = os.environ.get(REDIS_URL_VARIABLE)
        if url:
            # Imported here: `redis` is an optional dependency (the `redis` extra).
            from .redis_streams import RedisBroker

            _default = RedisBroker.from_url(url)
        else:
            _default = MemoryBroker()
    return _default
