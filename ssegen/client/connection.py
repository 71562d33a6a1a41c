"""One stream, read by the contract's rules: connect, read, reconnect or stop.

The states of a stream and what moves it on:

- CONNECTING: the request goes out, with fresh headers (a callable is called
  again, so a refreshed token is used) and, after the first event with an
  id, `Last-Event-ID`. 200 -> OPEN; 204 -> CLOSED (the server says: do not
  reconnect); any other status -> the package's StatusError; a network
  failure -> WAITING, or StreamInterrupted when reconnecting is not allowed.
- OPEN: events are decoded and yielded. The terminal event -> CLOSED after
  it is yielded; the error event -> its exception; the connection cut or
  the body ended before a terminal event -> WAITING, or StreamInterrupted.
  A stream that declares no terminal event and may not reconnect simply ends.
- WAITING: sleeps the reconnection time (the server's last `retry:`, else
  the spec's `retry`, else 3 s; `reconnect_delay` overrides it), then
  CONNECTING. `max_reconnects` failed attempts in a row end it with
  StreamInterrupted.
- CLOSED: the iterator ends.

Reconnecting is allowed only when the stream declares `resume` or is a GET
without a body (README, "Clients"): a POST that starts work is never re-sent.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from urllib.parse import quote

import httpx
from ssegen.runtime.stream import StreamSpec

from .decoder import EventStreamDecoder
from .errors import ErrorEventError, StatusError, StreamInterrupted
from .events import EventTable, Missed, UnknownHandler

logger = logging.getLogger("ssegen.client")

E = TypeVar("E")
HeaderValues = Mapping[str, str]
HeadersSource = HeaderValues | Callable[[], HeaderValues | Awaitable[HeaderValues]]
DEFAULT_RECONNECT_SECONDS = 3.0


@dataclass(frozen=True)
class Errors:
    """A package's exception classes, as its client.py passes them."""

    status: type[StatusError] = StatusError
    interrupted: type[StreamInterrupted] = StreamInterrupted


@dataclass(frozen=True)
class StreamCall(Generic[E]):
    """One stream as its client method opens it: the spec, the route and the exceptions.

    `E` is the union the method yields (its events, and `Missed` on topics);
    `error_event` is the exception raised with the stream's error event.
    """

    spec: StreamSpec
    method: str
    path: str  # the template, `{name}` for each path parameter
    resumable: bool
    has_body: bool
    errors: Errors = Errors()
    error_event: type[ErrorEventError[Any]] | None = None

    @property
    def may_reconnect(self) -> bool:
        return self.resumable or (self.method == "GET" and not self.has_body)

    def url(self, path: Mapping[str, Any]) -> str:
        result = self.path
        for name, value in path.items():
            result = result.replace("{" + name + "}", quote(wire_value(value), safe=""))
        return result


def wire_value(value: Any) -> str:
    """A parameter as it goes into a path, a query or a header: JSON's booleans, else str."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass(frozen=True)
class Options:
    """How one client reads every stream (`Client`'s keyword arguments)."""

    headers: HeadersSource | None = None
    reconnect_delay: float | None = None  # seconds; None: the server's `retry:`
    max_reconnects: int | None = None  # failed attempts in a row; None: no limit
    on_unknown: UnknownHandler | None = None


async def _headers(source: HeadersSource | None) -> dict[str, str]:
    if source is None:
        return {}
    if callable(source):
        values = source()
        if inspect.isawaitable(values):
            values = await values
        return dict(values)
    return dict(source)


def _read_timeout(spec: StreamSpec) -> httpx.Timeout:
    # A keepalive comment comes every `keepalive` s: three missed ones mean a dead connection.
    read = None if not spec.keepalive else max(3 * spec.keepalive, 10.0)
    return httpx.Timeout(10.0, read=read)


class EventStream(Generic[E]):
    """The events of one stream (an async iterator), and the id to resume it from later.

    `last_event_id` is the last id the server sent (None before any): store
    it to resume in another process, by passing it back to the method.
    """

    def __init__(self, events: Callable[[EventStream[E]], AsyncIterator[E]]) -> None:
        self.last_event_id: str | None = None
        self._events = events(self)

    def __aiter__(self) -> EventStream[E]:
        return self

    async def __anext__(self) -> E:
        return await self._events.__anext__()

    async def aclose(self) -> None:
        """Close the connection now (leaving an `async for` early does it too, at collection)."""
        close = getattr(self._events, "aclose", None)
        if close is not None:
            await close()


def open_stream(
    http: httpx.AsyncClient,
    call: StreamCall[E],
    options: Options,
    **request: Any,
) -> EventStream[E]:
    """`read_stream` as an `EventStream`."""
    return EventStream(lambda stream: read_stream(http, call, options, stream=stream, **request))


async def read_stream(
    http: httpx.AsyncClient,
    call: StreamCall[E],
    options: Options,
    *,
    path: Mapping[str, Any],
    query: Mapping[str, Any],
    headers: Mapping[str, Any],
    body: Any,
    last_event_id: str | None,
    stream: EventStream[E] | None = None,
) -> AsyncIterator[E]:
    """The events of one stream, across reconnects, until its end (see the module's states).

    `stream` is told the last event id as it changes.
    """
    spec = call.spec
    table = EventTable(spec)
    url = call.url(path)
    params = {k: wire_value(v) for k, v in query.items() if v is not None}
    fixed = {k: wire_value(v) for k, v in headers.items() if v is not None}
    content = None if body is None else _body_json(body)
    last_id = last_event_id or ""
    retry_ms = spec.retry
    received = 0
    failures = 0
    while True:
        request_headers = {
            **fixed,
            **await _headers(options.headers),
            "Accept": "text/event-stream",
        }
        if last_id and call.resumable:
            request_headers["Last-Event-ID"] = last_id
        if content is not None:
            request_headers["Content-Type"] = "application/json"
        cause: BaseException | None = None
        try:
            async with http.stream(
                call.method,
                url,
                params=params,
                headers=request_headers,
                content=content,
                timeout=_read_timeout(spec),
            ) as response:
                if response.status_code == 204:
                    return
                if response.status_code != 200:
                    raise call.errors.status(
                        response.status_code, response.headers, await response.aread()
                    )
                decoder = EventStreamDecoder(last_id)
                async for chunk in response.aiter_bytes():
                    for raw in decoder.feed(chunk):
                        last_id = decoder.last_event_id
                        if stream is not None and last_id:
                            stream.last_event_id = last_id
                        event = table.decode(raw)
                        if event is None:
                            _unknown(options, raw)
                            continue
                        received += 1
                        failures = 0
                        if call.error_event is not None and type(event) is spec.error:
                            raise call.error_event(event)
                        yield event
                        if type(event) in table.terminal:
                            return
                    if decoder.retry is not None:
                        retry_ms = decoder.retry
                decoder.close()
        except (httpx.TransportError, httpx.StreamError) as exc:
            cause = exc
        # The body ended, or the connection broke, before a terminal event.
        if not call.may_reconnect:
            if cause is None and not table.terminal:
                return  # a stream without a terminal event may simply end
            raise call.errors.interrupted(spec.name, received, cause)
        failures += 1
        if options.max_reconnects is not None and failures > options.max_reconnects:
            raise call.errors.interrupted(spec.name, received, cause)
        delay = options.reconnect_delay
        if delay is None:
            delay = retry_ms / 1000 if retry_ms is not None else DEFAULT_RECONNECT_SECONDS
        logger.debug("stream %s: reconnecting in %.3f s (%s)", spec.name, delay, cause)
        await asyncio.sleep(delay)


def _unknown(options: Options, raw: Any) -> None:
    if options.on_unknown is not None:
        options.on_unknown(raw)
    else:
        logger.debug("skipped an event this client does not know: %r", raw)


def _body_json(body: Any) -> bytes:
    dump = getattr(body, "model_dump_json", None)
    if dump is not None:
        return bytes(dump(by_alias=True, exclude_unset=True), "utf-8")
    return json.dumps(body).encode()


__all__ = [
    "Errors",
    "EventStream",
    "HeadersSource",
    "Missed",
    "Options",
    "StreamCall",
    "open_stream",
    "read_stream",
]
