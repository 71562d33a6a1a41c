"""The broker interface that generated publishers and topic routes call.

A broker keeps, per topic instance (a `TopicSpec` plus its key values), the
last `keep` events and the subscribers attached in this process. Publishing
encodes the event once, assigns its id (see `entry.py`) and reaches every
subscriber of the instance in every process that shares the broker's store.
Two backends implement it: `MemoryBroker` (one process, nothing to set up)
and `RedisBroker` (Redis Streams: many processes and hosts).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, runtime_checkable

from .subscription import Subscription
from .topic_spec import TopicSpec


class BrokerError(Exception):
    """Base of the errors a broker raises to publishers."""


class BrokerUnavailableError(BrokerError):
    """The broker's store cannot be reached; the event was not published.

    Raised by `publish` when Redis is down or unreachable: the publisher
    decides whether to retry, queue or fail. Subscribers are not sent an
    exception: their streams end cleanly and browsers reconnect.
    """


class DurabilityError(BrokerError):
    """A durable publish was not confirmed in time; the event may still be lost.

    The event *was* published (`event_id`) and subscribers may have received
    it, but Redis did not confirm within the timeout that it is on disk or
    on enough replicas, so a crash can still lose it. Publishing it again
    would send it twice.
    """

    def __init__(self, message: str, event_id: int) -> None:
        super().__init__(message)
        self.event_id = event_id


class DurabilityUnsupportedError(BrokerError):
    """The Redis server cannot make the durable publish asked for; nothing was published."""


class TopicClosedError(BrokerError):
    """The instance already received its terminal event; nothing follows it.

    A terminal event closes an instance until it expires (`ttl`); publishing
    more would reach no one (live subscribers have ended, reconnecting ones
    get 204), so it is refused instead of silently dropped.
    """


@runtime_checkable
class Broker(Protocol):
    """Publishes events to topic instances and subscribes to them."""

    async def publish(self, topic: TopicSpec, key: tuple[str, ...], event: object) -> int:
        """Publish `event` (an instance of one of the stream's event classes).

        Returns the id assigned to the event. Raises `TypeError` for an event
        the stream does not declare, `TopicClosedError` after a terminal
        event, `BrokerUnavailableError` when the store is unreachable.
        """
        ...

    async def publish_many(
        self, topic: TopicSpec, key: tuple[str, ...], events: Iterable[object]
    ) -> list[int]:
        """Publish `events` to one instance, in order, in as few round trips as the store allows.

        Returns their ids. When one fails, raises the error its own `publish`
        would have raised; the events before it were published.
        """
        ...

    async def subscribe(
        self, topic: TopicSpec, key: tuple[str, ...], *, after: int | None
    ) -> Subscription:
        """Attach a subscriber, then prepare its replay.

        `after` is the resume position (a browser's `Last-Event-ID`) or None
        for a new subscriber. In a resumable topic a new subscriber first
        gets every retained event, a resuming one every retained event after
        `after`; in a topic without ids only live events. Raises
        `BrokerUnavailableError` when the store is unreachable.
        """
        ...

    async def aclose(self) -> None:
        """End every subscription of this process and release connections."""
        ...
