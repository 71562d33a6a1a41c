"""What a generated router tells the runtime about one stream.

Generated code builds one `StreamSpec` per stream at import time; everything
that is constant per event type (the `event:` line, the payload kind) is
decided here once, so the hot path only looks it up.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from ssegen.wire import (
    DEFAULT_EMPTY_STATUS,
    DEFAULT_KEEPALIVE,
    DEFAULT_MAX_BODY,
    EMPTY_STATUSES,
    event_prefix,
)

if TYPE_CHECKING:
    from .refusals import ErrorFormat
    from .response_headers import ResponseHeaders

PayloadKind = Literal["json", "text", "none"]
IdsMode = Literal["sequence", "handler"]


def check_field_value(kind: str, value: str) -> str:
    """Return `value` when it may be written as one SSE field value, else raise ValueError.

    WHATWG HTML, "Parsing an event stream": a field value ends at the first CR
    or LF, so either one inside an event name or id would let a value forge
    further fields (or a whole event). NUL is refused too: the parser ignores
    an `id` field that contains it, which would silently break resumption.
    """
    if "\r" in value or "\n" in value or "\0" in value:
        raise ValueError(f"an SSE {kind} must not contain CR, LF or NUL: {value!r}")
    return value


TellKind = Literal["const", "member", "other", "text", "empty"]


@dataclass(frozen=True, slots=True)
class Tell:
    """How a client tells an event from others sent under its wire name (ssegen.ir.variants).

    const: its JSON `property` is `value`; member: it alone has the member
    `property`; other: the JSON payload no other variant claims; text: its
    text is `value`; empty: its `data:` line is empty.
    """

    kind: TellKind
    property: str | None = None
    value: str | None = None


@dataclass(frozen=True, slots=True)
class EventSpec:
    """One declared event: its generated class and its wire name.

    Several classes may share one wire name (or none): the runtime writes by
    class, and clients tell such variants apart by their data (ssegen.ir.variants).

    Instances of `cls` carry the payload in `.data` (a pydantic model for
    `json`, a `str` for `text`, nothing for `none`) and, in `ids: handler`
    streams, their id in `.id`.

    `prefix` is computed once: the `event:` line followed by the start of the
    first `data:` line, the bytes every instance of this event begins with.
    """

    cls: type
    name: str | None  # None: no `event:` line (clients see `message`)
    payload: PayloadKind
    terminal: bool = False
    tell: Tell | None = None  # set for events sharing their wire name with others
    prefix: bytes = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.name is not None:
            check_field_value("event name", self.name)
        if self.payload not in ("json", "text", "none"):
            raise ValueError(f"unknown payload kind {self.payload!r} for event {self.name!r}")
        # "data: " keeps its space: the parser strips exactly one space after the
        # colon, so a payload line that itself starts with a space survives.
        object.__setattr__(self, "prefix", event_prefix(self.name))


@dataclass(frozen=True, slots=True)
class StreamSpec:
    """One declared stream, as spec format v1 describes it.

    `keepalive` is in seconds (0 turns it off); `retry` in milliseconds, sent
    once per response; `ids` is None for a stream that is not resumable.
    `preamble` is what every response starts with (the `retry:` field).
    `max_body` is the largest request body in bytes (`request_body.py`
    enforces it on the routes of streams with a body). `empty_status` is the
    answer of a handler that ends without an event: 204, or 202 (MCP-style
    notifications). `errors` is the API's own error envelope for refusals
    before the stream starts (`refusals.py`); None: RFC 9457 problems.
    `headers` is the class of the response headers its handler may set
    (`response_headers.py`). `security` lists the alternatives a caller may
    authenticate by (`security.py`): each maps scheme names to the scopes it
    needs; None: the stream is public.
    """

    name: str
    events: Sequence[EventSpec]
    retry: int | None = None
    keepalive: float = DEFAULT_KEEPALIVE
    empty_status: int = DEFAULT_EMPTY_STATUS
    ids: IdsMode | None = None
    resume_query: str | None = None
    error: type | None = None
    max_body: int = DEFAULT_MAX_BODY
    errors: ErrorFormat | None = None
    headers: type[ResponseHeaders] | None = None
    security: Sequence[Mapping[str, Sequence[str]]] | None = None
    by_class: dict[type, EventSpec] = field(init=False, repr=False, compare=False)
    preamble: bytes = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_class", {event.cls: event for event in self.events})
        if self.retry is not None and (type(self.retry) is not int or self.retry < 0):
            raise ValueError(
                f"retry must be a non-negative integer of milliseconds: {self.retry!r}"
            )
        if self.keepalive < 0:
            raise ValueError(f"keepalive must be >= 0 seconds: {self.keepalive!r}")
        if self.empty_status not in EMPTY_STATUSES:
            raise ValueError(f"empty_status must be 202 or 204: {self.empty_status!r}")
        if type(self.max_body) is not int or self.max_body < 1:
            raise ValueError(f"max_body must be a positive integer of bytes: {self.max_body!r}")
        if self.error is not None and self.error not in self.by_class:
            raise ValueError(f"the error event {self.error!r} is not one of the stream's events")
        # The retry field needs no blank line of its own: per WHATWG it takes
        # effect as soon as its line is parsed, and without a blank line it
        # cannot be mistaken for an (empty) event by lenient clients.
        preamble = b"" if self.retry is None else b"retry: %d\n" % self.retry
        object.__setattr__(self, "preamble", preamble)
