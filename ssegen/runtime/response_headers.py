"""Response headers a handler sets before its first event (a stream's `headers:` in its spec).

Generated code passes each call a fresh `<Stream>Headers` (a subclass of
`ResponseHeaders`, one attribute per declared header, None until set). The
headers are taken, and the object sealed, the moment the handler yields its
first event, ends or raises (`sealed_at_first_event`): a rule that does not
depend on when the writer happens to send the status line. They go out with
the stream, the empty answer or the refusal alike. Setting a header after
that raises `HeadersSentError` in the handler, at the line that does it,
instead of being silently lost; a value with CR, LF or NUL (which would forge
headers) is dropped with an error in the log.

What users see of it: README, "Spec format" (`headers`).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, AsyncIterable, Sequence
from typing import Any, ClassVar

from .stream import check_field_value

logger = logging.getLogger("ssegen.runtime")


class HeadersSentError(RuntimeError):
    """A response header was set after the response started."""


class ResponseHeaders:
    """Base of the generated `<Stream>Headers` classes.

    `WIRE_NAMES` maps each attribute to its header name. Values are sent as
    `str(value)` (booleans as `true`/`false`, as JSON writes them); None is
    not sent.
    """

    WIRE_NAMES: ClassVar[dict[str, str]] = {}
    _sealed: bool = False

    def __setattr__(self, name: str, value: Any) -> None:
        if self._sealed:
            raise HeadersSentError(
                f"response header {self.WIRE_NAMES.get(name, name)!r} set after the response "
                "started: set response headers before the first event"
            )
        super().__setattr__(name, value)


def _text(value: Any) -> str:
    if value is True or value is False:
        return "true" if value else "false"
    return str(value)


def wire_headers(headers: ResponseHeaders | None) -> Sequence[tuple[bytes, bytes]]:
    """Seal `headers` and return what it sets as raw ASGI headers (raises ValueError on CR/LF)."""
    if headers is None:
        return ()
    object.__setattr__(headers, "_sealed", True)
    raw = []
    for attribute, name in type(headers).WIRE_NAMES.items():
        value = getattr(headers, attribute, None)
        if value is not None:
            text = check_field_value("response header value", _text(value))
            raw.append((name.lower().encode("latin-1"), text.encode("latin-1")))
    return tuple(raw)


class SentHeaders:
    """The raw headers of one response, taken from its `ResponseHeaders` once (`take`)."""

    __slots__ = ("headers", "name", "raw")

    def __init__(self, headers: ResponseHeaders, name: str) -> None:
        self.headers = headers
        self.name = name
        self.raw: Sequence[tuple[bytes, bytes]] | None = None

    def take(self) -> Sequence[tuple[bytes, bytes]]:
        """Seal the headers and return them; later calls return the same."""
        if self.raw is None:
            try:
                self.raw = wire_headers(self.headers)
            except ValueError:
                logger.exception("stream %s: a response header cannot be sent", self.name)
                self.raw = ()
        return self.raw


async def sealed_at_first_event(
    events: AsyncIterable[object], sent: SentHeaders
) -> AsyncGenerator[object, None]:
    """`events`, with the headers taken when the first event arrives (or the handler ends)."""
    iterator = aiter(events)
    try:
        try:
            first = await anext(iterator)
        except StopAsyncIteration:
            sent.take()
            return
        except BaseException:
            sent.take()
            raise
        sent.take()
        yield first
        async for event in iterator:
            yield event
    finally:
        aclose = getattr(iterator, "aclose", None)
        if aclose is not None:
            await aclose()
