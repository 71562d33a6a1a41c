"""Topic brokers: where published events are kept and how they reach subscribers.

`MemoryBroker` (one process, the default) and `RedisBroker` (Redis Streams,
any number of processes and hosts) implement the same `Broker` interface
with the same guarantees: subscribe before replay (nothing lost or doubled
around a reconnect), ids that are monotonic integers, a resume position out
of retention reported as missed events, a terminal event that closes the
instance, and a bounded buffer per subscriber.

What users see of it: README, "Runtime" > "Topics".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .broker import (
    Broker,
    BrokerError,
    BrokerUnavailableError,
    DurabilityError,
    DurabilityUnsupportedError,
    TopicClosedError,
)
from .default import REDIS_URL_VARIABLE, TOPICS_MODE_VARIABLE, default_broker
from .entry import Entry
from .memory import MemoryBroker
from .subscription import EndReason, Subscription
from .topic_spec import TopicSpec
from .workers import PartitionedTopicsError

if TYPE_CHECKING:
    from .redis_streams import RedisBroker

__all__ = [
    "REDIS_URL_VARIABLE",
    "TOPICS_MODE_VARIABLE",
    "Broker",
    "BrokerError",
    "BrokerUnavailableError",
    "DurabilityError",
    "DurabilityUnsupportedError",
    "EndReason",
    "Entry",
    "MemoryBroker",
    "PartitionedTopicsError",
    "RedisBroker",
    "Subscription",
    "TopicClosedError",
    "TopicSpec",
    "default_broker",
]


def __getattr__(name: str) -> object:
    # RedisBroker needs the optional `redis` package (the `redis` extra), so it
    # is imported on first use: `ssegen.runtime` works without it.
    if name == "RedisBroker":
        from .redis_streams import RedisBroker

        return RedisBroker
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
