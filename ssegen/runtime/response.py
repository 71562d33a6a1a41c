"""`EventStreamResponse`: a `text/event-stream` response over an async source of encoded events.

Handler streams (`serve`) and topic streams (`serve_topic`) both return one;
writing it (the start, batching, keepalive, disconnects, errors after the
start) is `writer.StreamWriter`'s, which gets plain settings from here.
"""

from __future__ import annotations

import types
from collections.abc import AsyncGenerator, AsyncIterable, Callable, Mapping, Sequence

from ssegen.wire import DEFAULT_EMPTY_STATUS
from starlette.background import BackgroundTask
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from .refusals import Refuse
from .writer import OnError, StreamWriter, WriterSettings

STREAM_HEADERS: Mapping[str, str] = {
    # Browsers and proxies must not cache or buffer the stream: nginx holds a
    # response back unless told otherwise by X-Accel-Buffering.
    "cache-control": "no-cache",
    "x-accel-buffering": "no",
}

Sink = Callable[[bytes], bool]
"""Writes encoded events at once if the response is idle, else returns False (`write_if_idle`)."""


async def _as_generator(items: AsyncIterable[bytes]) -> AsyncGenerator[bytes, None]:
    """An async generator over any async iterable, closing it (when it can be) when closed."""
    iterator = aiter(items)
    try:
        async for item in iterator:
            yield item
    finally:
        aclose = getattr(iterator, "aclose", None)
        if aclose is not None:
            await aclose()


class EventStreamResponse(Response):
    """A `text/event-stream` response over an async source of encoded events.

    `content` yields bytes, each one or more complete events (see
    `encode_event`); None, or a source that ends without producing anything,
    sends `empty_status` (204, or 202). `preamble` (the `retry:` field) goes
    out once, before the first chunk. `keepalive` is in seconds, 0 for none.
    `on_error` turns an exception raised by `content` after the start into a
    last chunk (or None to just end); `refuse` answers an exception raised
    before anything was sent (default: a problem); `late_headers` returns headers
    set by the handler, read when the response starts; `name` labels log lines. `attach_sink`,
    for sources fed from elsewhere (a topic broker), is called with the
    writer's `Sink` when the response starts and with None when it ends.
    """

    media_type = "text/event-stream"

    def __init__(
        self,
        content: AsyncIterable[bytes] | None = None,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        background: BackgroundTask | None = None,
        *,
        keepalive: float = 15.0,
        empty_status: int = DEFAULT_EMPTY_STATUS,
        preamble: bytes = b"",
        on_error: OnError | None = None,
        name: str = "event stream",
        refuse: Refuse | None = None,
        late_headers: Callable[[], Sequence[tuple[bytes, bytes]]] | None = None,
        attach_sink: Callable[[Sink | None], None] | None = None,
    ) -> None:
        self.status_code = status_code
        if media_type is not None:
            self.media_type = media_type
        self.background = background
        self.init_headers({**STREAM_HEADERS, **(headers or {})})
        self.content = content
        self.keepalive = keepalive
        self.empty_status = empty_status
        self.preamble = preamble
        self.on_error = on_error
        self.name = name
        self.refuse = refuse
        self.late_headers = late_headers
        self.attach_sink = attach_sink

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.content is None:
            await Response(status_code=self.empty_status)(scope, receive, send)
        else:
            source = self.content
            if not isinstance(source, types.AsyncGeneratorType):
                source = _as_generator(source)
            settings = WriterSettings(
                status=self.status_code,
                headers=self.raw_headers,
                preamble=self.preamble,
                keepalive=self.keepalive,
                empty_status=self.empty_status,
                on_error=self.on_error,
                name=self.name,
                refuse=self.refuse,
                late_headers=self.late_headers,
            )
            writer = StreamWriter(settings, source, scope, receive, send)
            attach = self.attach_sink
            if attach is None:
                await writer.run()
            else:
                attach(writer.write_if_idle)
                try:
                    await writer.run()
                finally:
                    attach(None)
        if self.background is not None:
            await self.background()
