"""Response headers a handler sets before its first event (a stream's `headers:` in its spec).

The status line and the headers go out with the first event, keepalive or
end of a stream, so until then a handler may still set them: generated code
passes each call a fresh `<Stream>Headers` (a subclass of `ResponseHeaders`,
one attribute per declared header, None until set), and the runtime reads it
when the response starts (`wire_headers`), for the stream, for an empty
answer and for a refusal alike. After that the object is sealed: setting a
header too late raises `HeadersSentError` in the handler, at the line that
does it, instead of being silently lost.

What users see of it: README, "Spec format" (`headers`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from .stream import check_field_value


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
