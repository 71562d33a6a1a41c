"""`serve_topic`: the FastAPI endpoint of a topic stream's subscriber route.

The endpoint generated code hands over returns the topic instance key from
the route's key parameters (and may raise, e.g. HTTPException, to refuse a
subscriber: that is a real HTTP error response). `serve_topic` gives it the
same signature treatment as `serve` (Last-Event-ID header, query fallback,
400 problem for an id that does not parse), subscribes to the broker and
streams through `EventStreamResponse`, which owns keepalive, batching and
disconnects.

What a subscriber sees (topics with `resume: {ids: sequence}`):

- 200 at once (the subscription is in place before the headers go out), then
  every retained event after its `Last-Event-ID` (every retained event when
  it sends none), then live events, each exactly once, in id order;
- 204 when its `Last-Event-ID` is at or after the instance's terminal event:
  WHATWG HTML tells EventSource to stop reconnecting on 204;
- **missed events**: when its `Last-Event-ID` is no longer retained (older
  than the last `keep` events, from an instance that expired or a broker that
  restarted, or never issued), the stream starts with

      event: ssegen.missed
      data: {"last_event_id":"<the id it sent>"}

  and then continues with everything still retained. This is an event, not
  a status, because a browser can observe it: EventSource exposes no status
  codes, and any status but 200 or 204 makes it fail for good (WHATWG: "fail
  the connection") with a bare `error` event. Listen with
  `source.addEventListener("ssegen.missed", ...)` and refetch the state the
  events would have built. It carries no `id:`, so the browser keeps its
  last id and is told again if it reconnects before the next event.
- the stream ends after the terminal event; after a live event that shows a
  gap (the server fell behind retention); after its buffer overflowed (a slow
  client; see `brokers/subscription.py`); when the broker becomes
  unavailable (ending with the comment `:broker unavailable`); and when the
  server shuts down (`shutdown.py`). Every SSE client reconnects after such
  an end, with its `Last-Event-ID`, and resumes without loss within
  retention.
- While the broker is unreachable, a subscribe gets 200 with that comment and
  an immediate end, rather than a 503 that would stop EventSource for good:
  browsers keep retrying every `retry` ms and resume when the broker is back.

A topic without `resume` sends no ids, replays nothing and gets live events
only.

Fan-out cost: a live event reaches a caught-up subscriber whose response is
idle straight from the broker (`Subscription.sink`, the writer's
`write_if_idle`), one write per subscriber and batch of events, without
waking the response's task; anything else (replay, a backlog, a client the
server pushes back on) goes through the subscription's buffer and the
writer's usual path.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncGenerator, Awaitable, Callable
from functools import partial
from typing import Any

from ssegen.wire import MISSED_EVENT
from starlette.responses import Response

from .brokers import Broker, BrokerUnavailableError, Subscription, TopicSpec, default_broker
from .encoding import KEEPALIVE, encode_comment
from .problems import ProblemError
from .refusals import refuser
from .request_body import set_route_rules
from .response import EventStreamResponse
from .security import Gate
from .serve import (
    PRINCIPAL_PARAMETER,
    RESUME_PARAMETER,
    adopt_endpoint,
    route_rules_of,
    take_last_event_id,
)

UNAVAILABLE_COMMENT = encode_comment("broker unavailable")

TopicEndpoint = Callable[..., tuple[str, ...] | Awaitable[tuple[str, ...]]]


def missed_notice(after: int) -> bytes:
    """The `ssegen.missed` event for a subscriber that resumed from `after`."""
    return b'event: %s\ndata: {"last_event_id":"%d"}\n\n' % (MISSED_EVENT.encode(), after)


async def _entries(subscription: Subscription, opening: bytes) -> AsyncGenerator[bytes, None]:
    """The subscription as chunks of encoded events, closing it however the response ends."""
    try:
        # The first chunk sends the headers now: subscribers (and tests) know
        # the subscription is in place before anything is published.
        yield opening
        while True:
            batch = await subscription.next_batch()
            if batch is None:
                if subscription.ended == "unavailable":
                    yield UNAVAILABLE_COMMENT
                return
            yield batch[0].wire if len(batch) == 1 else b"".join([e.wire for e in batch])
    finally:
        subscription.close()


async def _unavailable() -> AsyncGenerator[bytes, None]:
    yield UNAVAILABLE_COMMENT


def serve_topic(
    topic: TopicSpec,
    endpoint: TopicEndpoint,
    *,
    broker: Broker | None = None,
    gate: Gate | None = None,
) -> Callable[..., Awaitable[Response]]:
    """The FastAPI endpoint that serves subscribers of `topic`.

    `endpoint` takes the route's parameters (and `last_event_id: int | None`
    when it declares it) and returns the instance key, e.g. `(job_id,)`.
    `broker` defaults to `default_broker()`, looked up at the first request.
    A secured topic needs its package's `gate`; the endpoint then takes the
    caller as `principal` and refuses a foreign instance (`require_access`).
    """
    spec = topic.stream
    resumable = topic.resumable
    endpoint_parameters = inspect.signature(endpoint).parameters
    takes_resume = RESUME_PARAMETER in endpoint_parameters
    takes_principal = PRINCIPAL_PARAMETER in endpoint_parameters
    chosen: list[Broker] = [broker] if broker is not None else []
    refuse = refuser(spec)

    async def topic_endpoint(**values: Any) -> Response:
        try:
            parsed = take_last_event_id(values, "sequence" if resumable else None)
        except ProblemError as problem:
            return refuse(problem)
        after = parsed if isinstance(parsed, int) else None
        if takes_resume:
            values[RESUME_PARAMETER] = after
        principal = values.pop(PRINCIPAL_PARAMETER, None)
        if takes_principal:
            values[PRINCIPAL_PARAMETER] = principal
        try:
            key = endpoint(**values)
            if inspect.isawaitable(key):
                key = await key
            key = tuple(key)
            topic.check_key(key)
        except Exception as exc:  # noqa: BLE001 - every failure gets a response; 500s are logged
            return refuse(exc)
        if not chosen:
            chosen.append(default_broker())
        try:
            subscription = await chosen[0].subscribe(topic, key, after=after)
        except BrokerUnavailableError:
            return EventStreamResponse(
                _unavailable(), preamble=spec.preamble, keepalive=0, name=spec.name
            )
        except ProblemError as problem:
            # e.g. PartitionedTopicsError: in-memory topics under several workers.
            return refuse(problem)
        if subscription.finished:
            subscription.close()
            return Response(status_code=204)
        opening = missed_notice(after) if subscription.missed and after is not None else KEEPALIVE
        return EventStreamResponse(
            _entries(subscription, opening),
            keepalive=spec.keepalive,
            preamble=spec.preamble,
            name=spec.name,
            refuse=refuse,
            attach_sink=partial(setattr, subscription, "sink"),
        )

    adopt_endpoint(topic_endpoint, spec, endpoint, gate)
    set_route_rules(topic_endpoint, route_rules_of(spec, refuse))
    return topic_endpoint
