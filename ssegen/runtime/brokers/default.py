"""The broker generated code uses when the app passes none.

Choosing the backend is one line: set `SSEGEN_REDIS_URL` (e.g.
`redis://localhost:6379/0`) and every generated publisher and topic route
that was not handed a broker shares one `RedisBroker` on that URL; leave it
unset and they share one process-wide `MemoryBroker`. App code can instead
pass `RedisBroker.from_url(url)` (or any `Broker`) to `build_router(...)`
and to the publishers.
"""

from __future__ import annotations

import os

from .broker import Broker
from .memory import MemoryBroker

REDIS_URL_VARIABLE = "SSEGEN_REDIS_URL"

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
