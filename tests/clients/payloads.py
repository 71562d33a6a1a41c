"""The hostile payloads every client must receive exactly as they were sent.

Text payloads go out as one `data:` line per line of text (spec format v1), so
what a client can get back is fixed by the WHATWG parsing rules
(https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation):
lines end at CRLF, LF or CR, and the data lines of one event are joined with
LF. A text payload therefore arrives with every CRLF and CR turned into LF and
nothing else changed. JSON payloads escape CR and LF, so they arrive byte for
byte.
"""

from __future__ import annotations

import json
import re

from pydantic import BaseModel, ConfigDict, Field, RootModel

HOSTILE_TEXTS: tuple[str, ...] = (
    "plain",
    "",
    "two\nlines",
    "crlf\r\nline",
    "lone\rcr",
    "mixed\r\n\r\rend\n\n",
    "trailing newline\n",
    "\n",
    "\r\n",
    " leading space",
    "  two leading spaces",
    "nul\x00byte",
    "line\u2028separator\u2029paragraph",
    # str.splitlines() splits on all of these, the SSE grammar on none of them:
    # a runtime that splits text with splitlines() corrupts them.
    "vt\x0bff\x0cfs\x1cgs\x1drs\x1enel\x85end",
    "\n\nevent: x\ndata: injected",
    "\r\n\r\nid: 999\r\nretry: 1\r\n\r\n",
    "data: fake field",
    ": a comment line",
    "event: x",
    "\ufeffbom in the middle",
    "unicode: \u00e9\u00df\u4e2d\u6587 \U0001f600",
    'tab\tand backslash \\ and "quotes"',
)

TEXT_PAYLOAD_LINE_ENDS = re.compile(r"\r\n|\r")


def as_received(text: str) -> str:
    """What a conformant client hands over for the text payload `text`."""
    return TEXT_PAYLOAD_LINE_ENDS.sub("\n", text)


class Blob(BaseModel):
    """A JSON payload; `text` goes out under its alias, as pydantic writes it."""

    model_config = ConfigDict(populate_by_name=True)

    index: int
    text: str = Field(alias="textValue")


class Quote(RootModel[str]):
    """A JSON payload that is a bare string, as a `{type: string}` schema generates."""


class Tick(BaseModel):
    """One numbered event of a resumable stream."""

    n: int


def hostile_blobs() -> list[Blob]:
    return [
        Blob.model_validate({"index": i, "textValue": text}) for i, text in enumerate(HOSTILE_TEXTS)
    ]


def hostile_quotes() -> list[Quote]:
    return [Quote(text) for text in HOSTILE_TEXTS]


def expected_hostile_events() -> list[tuple[str, str]]:
    """(event name, data) as every client must report the `/hostile` stream."""
    events = [("log", as_received(text)) for text in HOSTILE_TEXTS]
    events += [("blob", blob.model_dump_json(by_alias=True)) for blob in hostile_blobs()]
    events += [("quote", quote.model_dump_json()) for quote in hostile_quotes()]
    events.append(("end", ""))
    return events


# The `failed` event's payload when the handler raised and no hook described
# the failure: ssegen's documented default, nothing of the exception in it.
DEFAULT_PROBLEM = {
    "type": "about:blank",
    "title": "Internal Server Error",
    "status": 500,
    "detail": "The stream failed.",
}


def upstream_problem(retry_after: int) -> dict[str, object]:
    """The `failed` payload the `/failing` service's hook builds (RFC 9457 fields)."""
    return {
        "type": "https://example.test/problems/upstream-unavailable",
        "title": "Upstream unavailable",
        "status": 503,
        "detail": f"Try again in {retry_after} s.",
    }


# `/variants`: (event key, payload) in the order sent. Every one but `end` goes
# out without an `event:` line or as `message`, so clients see `message` with
# the exact data; the data alone tells the variants apart.
VARIANTS: tuple[tuple[str, object], ...] = (
    ("chunk", {"object": "chunk", "text": "Hel"}),
    ("ping", "ping"),
    ("chunk", {"object": "chunk", "text": "lo\n"}),
    ("usage", {"usage": {"total": 2}}),
    ("done", "[DONE]"),
)


def variant_data(payload: object) -> str:
    """The data a client receives for a `/variants` payload: compact JSON, or the text."""
    return payload if isinstance(payload, str) else json.dumps(payload, separators=(",", ":"))


def expected_variant_events() -> list[tuple[str, str]]:
    return [("message", variant_data(payload)) for _, payload in VARIANTS] + [("end", "")]
