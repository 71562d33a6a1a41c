"""Where a reconnecting client resumes: the Last-Event-ID header, else a query fallback.

EventSource sends `Last-Event-ID` on every reconnect once it has seen an id
(WHATWG HTML, "Server-sent events", reestablishing the connection). Clients
that cannot set headers use the stream's `resume.query` parameter instead;
the header wins when both are sent. A value that does not parse is a 400
problem: a FastAPI 422 would be just as final for EventSource, but says less.

What users see of it: README, "Runtime" > "Resume".
"""

from __future__ import annotations

import re

from .problems import ProblemError
from .stream import IdsMode

# ASCII digits only (str.isdigit would accept "²", int() would accept " 1_0 "),
# and at most 19 of them, checked before int() so that no length costs time.
_SEQUENCE_ID = re.compile(r"[0-9]{1,19}")
# Sequence ids are int64s, the next id included: a client can resume from at
# most 2**63 - 2, whose next event is numbered 2**63 - 1. A larger value was
# never sent by the runtime (and would overflow an int64 column downstream).
MAX_SEQUENCE_ID = 2**63 - 2
# The longest `ids: handler` id a client may resume from, in characters. Ids
# are cursors, not documents; without a bound every reconnect could make the
# handler parse a header as long as the server accepts (uvicorn: 64 KiB+).
MAX_HANDLER_ID_LENGTH = 1024


def pick_last_event_id(header: str | None, query: str | None) -> str | None:
    """The raw resume value: the header when present and non-empty, else the query parameter.

    An empty value means "no id": WHATWG clients reset their last event id to
    the empty string and then stop sending the header.
    """
    if header:
        return _header_text(header)
    return query or None


def _header_text(value: str) -> str:
    """The header's text: EventSource sends the id encoded as UTF-8 (WHATWG HTML).

    Starlette hands header values over decoded as latin-1, so the bytes are
    recovered and decoded again. Bytes that are not UTF-8 become lone
    surrogates (surrogateescape), which `parse_last_event_id` refuses.
    """
    try:
        return value.encode("latin-1").decode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return value  # not latin-1 decoded bytes: already text


def parse_last_event_id(raw: str | None, ids: IdsMode) -> int | str | None:
    """Parse a resume value for a stream with `ids` (raises ProblemError 400 when it does not parse).

    `sequence`: a non-negative integer of ASCII digits, at most `MAX_SEQUENCE_ID`,
    the last id the client saw. `handler`: any string of at most
    `MAX_HANDLER_ID_LENGTH` characters an `id:` field could have carried (no
    CR, LF or NUL).
    """
    if raw is None:
        return None
    if ids == "sequence":
        if _SEQUENCE_ID.fullmatch(raw) is None or int(raw) > MAX_SEQUENCE_ID:
            raise ProblemError(
                400,
                detail="Last-Event-ID must be a non-negative integer, the id of the last event "
                f"received (at most {MAX_SEQUENCE_ID}).",
            )
        return int(raw)
    if len(raw) > MAX_HANDLER_ID_LENGTH:
        raise ProblemError(
            400, detail=f"Last-Event-ID must be at most {MAX_HANDLER_ID_LENGTH} characters."
        )
    if "\r" in raw or "\n" in raw or "\0" in raw:
        raise ProblemError(400, detail="Last-Event-ID must not contain CR, LF or NUL.")
    try:
        raw.encode()
    except UnicodeEncodeError:
        raise ProblemError(400, detail="Last-Event-ID must be UTF-8.") from None
    return raw


def next_sequence_id(last_event_id: int | None) -> int:
    """`ids: sequence` numbers events 1, 2, 3 ... and continues after the id a client resumes from."""
    return 1 if last_event_id is None else last_event_id + 1
