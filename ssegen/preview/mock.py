"""The mock behind `ssegen serve`: services that stream the examples, publishers for topics.

Each stream sends, in the declared order, every non-terminal event's samples
(`samples.py`), then one terminal event where the stream has any: a new
connection ends with the first terminal event, the next new connection to the
same URL (and body) with the second, and so on, so that every declared event
can be seen. A stream
without terminal events repeats its events until the client leaves. Events go
out `interval` seconds apart. The generated router and ssegen's runtime do the
rest exactly as in production: retry, ids, Last-Event-ID, keepalive, 204.

Resuming works as a real implementation would: with `ids: sequence` the
mock restarts after the position the client sends (event N has id N), with
`ids: handler` it sets id N itself and parses it back. A reconnect after the
terminal event finds nothing left and gets 204, which stops EventSource.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from ssegen import ir
from ssegen.preview.samples import sample_of, samples
from ssegen.runtime import MemoryBroker, ProblemError, TopicSpec
from ssegen.runtime.brokers import Subscription, TopicClosedError


@dataclass(frozen=True)
class Sample:
    """One event to send: its generated class and the keyword arguments that build it."""

    cls: type
    fields: dict[str, Any]

    def build(self, event_id: str | None = None) -> object:
        return (
            self.cls(**self.fields, id=event_id)
            if event_id is not None
            else self.cls(**self.fields)
        )


@dataclass(frozen=True)
class StreamPlan:
    stream: ir.Stream
    body: tuple[Sample, ...]  # the non-terminal events of one connection, in order
    endings: tuple[Sample, ...]  # the terminal events, one per new connection in turn
    skipped: tuple[str, ...]  # events with neither examples nor a synthesizable payload
    answer: object | None = None  # the JSON answer (`answer:`), when one can be synthesized

    @property
    def cycles(self) -> bool:
        """A stream without terminal events repeats its events for as long as it is read."""
        return bool(self.body) and not self.endings

    def connection(self, ending: int) -> tuple[Sample, ...]:
        return self.body + ((self.endings[ending % len(self.endings)],) if self.endings else ())


def _sample(package: ModuleType, event: ir.Event, value: Any) -> Sample:
    cls = getattr(package, event.class_name)
    if event.payload == "json":
        model = getattr(package, str(event.data_annotation), None)
        data = (
            model.model_validate(value)
            if model is not None and hasattr(model, "model_validate")
            else value
        )
        return Sample(cls, {"data": data})
    return Sample(cls, {"data": value} if event.payload == "text" else {})


def plan_stream(catalog: ir.Catalog, stream: ir.Stream, package: ModuleType) -> StreamPlan:
    body: list[Sample] = []
    endings: list[Sample] = []
    skipped: list[str] = []
    for event in stream.events:
        values = samples(event, catalog.defs)
        if not values:
            skipped.append(event.name)
        for value in values[:1] if event.terminal else values:
            (endings if event.terminal else body).append(_sample(package, event, value))
    answer = None
    if stream.answer is not None:
        value = sample_of(catalog.defs.get(stream.answer.model, {}), catalog.defs)
        model = getattr(package, stream.answer.model, None)
        if value is not None and hasattr(model, "model_validate"):
            answer = model.model_validate(value)  # type: ignore[union-attr]
    return StreamPlan(stream, tuple(body), tuple(endings), tuple(skipped), answer)


def _seen(last_event_id: int | str | None) -> int:
    """How many events of the connection the client has already seen."""
    if isinstance(last_event_id, int):
        return last_event_id
    if isinstance(last_event_id, str) and last_event_id.isascii() and last_event_id.isdigit():
        return int(last_event_id)
    return 0


def handler(plan: StreamPlan, interval: float) -> Callable[..., AsyncIterator[object]]:
    """The mock service method of a handler stream."""
    # Per request (parameters and body): a new connection to the same URL ends with the
    # next terminal event; a resuming one with the same as the connection it resumes.
    endings: dict[str, int] = {}

    async def stream_events(self: object, **arguments: Any) -> AsyncIterator[object]:
        last_event_id = arguments.pop("last_event_id", None)
        request = repr(sorted(arguments.items()))
        if last_event_id is None:
            endings[request] = endings.get(request, -1) + 1
        samples = plan.connection(endings.get(request, 0))
        seen = _seen(last_event_id)
        # A stream without a terminal event never ends by itself: cycle, as a log tail would.
        positions = itertools.count(seen) if plan.cycles else range(seen, len(samples))
        for position in positions:
            if position > seen:
                await asyncio.sleep(interval)
            event_id = str(position + 1) if plan.stream.ids == "handler" else None
            yield samples[position % len(samples)].build(event_id)

    stream_events.__name__ = plan.stream.method_name
    return stream_events


def answerer(plan: StreamPlan) -> Callable[..., Any]:
    """The mock `<stream>_answer` method: the synthesized answer, or 501 when there is none."""

    async def answer(self: object, **arguments: Any) -> object:
        if plan.answer is None:
            raise ProblemError(501, detail="The mock cannot build a JSON answer from its schema.")
        return plan.answer

    return answer


def mock_service(base: type, plans: list[StreamPlan], interval: float) -> object:
    """An instance of the generated service class with every stream method mocked."""
    methods: dict[str, Any] = {plan.stream.method_name: handler(plan, interval) for plan in plans}
    for plan in plans:
        if plan.stream.answer is not None:
            methods[plan.stream.answer.method_name] = answerer(plan)
    return type(f"Mock{base.__name__}", (base,), methods)()


class PreviewBroker:
    """A MemoryBroker that starts a publisher for each topic instance someone subscribes to.

    The publisher sends the stream's events `interval` seconds apart: after
    the terminal event (if the stream has one) the instance is closed, as in
    production; a stream without one cycles through its events for as long as
    the server runs.
    """

    def __init__(self, plans: dict[str, StreamPlan], interval: float) -> None:
        self.inner = MemoryBroker()
        self.plans = plans
        self.interval = interval
        self.instances = itertools.count()
        self.publishers: dict[tuple[str, tuple[str, ...]], asyncio.Task[None]] = {}

    async def publish(self, topic: TopicSpec, key: tuple[str, ...], event: object) -> int:
        return await self.inner.publish(topic, key, event)

    async def publish_many(
        self, topic: TopicSpec, key: tuple[str, ...], events: Iterable[object]
    ) -> list[int]:
        return await self.inner.publish_many(topic, key, events)

    async def subscribe(
        self, topic: TopicSpec, key: tuple[str, ...], *, after: int | None
    ) -> Subscription:
        subscription = await self.inner.subscribe(topic, key, after=after)
        ident = (topic.stream.name, key)
        if ident not in self.publishers and not subscription.finished:
            self.publishers[ident] = asyncio.create_task(self._publish(topic, key))
        return subscription

    async def _publish(self, topic: TopicSpec, key: tuple[str, ...]) -> None:
        plan = self.plans[topic.stream.name]
        events = plan.connection(next(self.instances))
        try:
            for position in itertools.count() if plan.cycles else range(len(events)):
                await asyncio.sleep(self.interval)
                await self.inner.publish(topic, key, events[position % len(events)].build())
        except TopicClosedError:
            return

    async def aclose(self) -> None:
        for task in self.publishers.values():
            task.cancel()
        await asyncio.gather(*self.publishers.values(), return_exceptions=True)
        self.publishers.clear()
        await self.inner.aclose()
