"""What the generator and the runtime must agree on about the wire: names, limits, framing.

The generator (build, check) imports it without importing the runtime, and so
FastAPI; the runtime imports it to send what the generated contract and docs
show. Only pydantic-core, which both sides already load, is imported.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any, Final

import pydantic_core

MISSED_EVENT = "ssegen.missed"
"""The event that tells a resuming topic subscriber it missed events (ssegen.runtime.topic)."""

DEFAULT_KEEPALIVE = 15.0
"""Seconds between keepalive comments of a stream that sets no `keepalive`."""

DEFAULT_KEEP = 1000
"""Events a topic instance retains for replay when its spec sets no `keep`."""

DEFAULT_EMPTY_STATUS: Final = 204
"""The status of a response with no event to send: EventSource stops reconnecting on 204
(WHATWG HTML, "Server-sent events"). A spec may declare 202 instead (`empty_status`)."""

EMPTY_STATUSES = (202, 204)
"""The statuses `empty_status` may declare: both mean success and carry no body."""

DEFAULT_MAX_BODY = 1_048_576
"""Bytes (1 MiB): the request body limit of a stream with a body that sets no `max_body`."""


def json_payload(value: object) -> bytes:
    """Compact JSON through pydantic's own writer, by alias (models, root models, plain data).

    Nulls as the schema declares them (README, "Spec format"): every member goes
    out, defaults included (a `type` const tells variants apart), a member that
    admits null as `null` when None; an optional member that does not admit null
    is left out when None (its generated model field is marked `exclude_if`, see
    ssegen.ir.nested), so no payload breaks its published schema.
    """
    serializer = getattr(type(value), "__pydantic_serializer__", None)
    if serializer is not None:
        payload: bytes = serializer.to_json(value, by_alias=True)
        return payload
    return pydantic_core.to_json(value, by_alias=True)


def text_payload(text: str) -> bytes:
    """The payload part of `data:` lines for a text: each line break starts a new `data: ` line.

    WHATWG: lines end with CRLF, a lone CR or a lone LF, so all three split
    lines; the client joins the `data` lines with LF. Nothing else is a line
    break there: U+2028, NUL and the other characters `str.splitlines` would
    split on travel as they are.
    """
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.replace("\n", "\ndata: ").encode()


def event_prefix(name: str | None) -> bytes:
    """The `event:` line and the start of the first `data:` line of an event called `name`.

    Without a name there is no `event:` line: WHATWG clients dispatch the event
    as `message` (OpenAI's chunks, and its `[DONE]`, go out so).
    """
    start = b"data: "
    return start if name is None else b"event: " + name.encode() + b"\n" + start


def pointer_tokens(pointer: str) -> list[str] | None:
    """The reference tokens of a JSON pointer (RFC 6901), or None when it is not one."""
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        return None
    return [token.replace("~1", "/").replace("~0", "~") for token in pointer[1:].split("/")]


Fill = str | Mapping[int | str, Any]
"""What an `errors.fill` pointer gets: a problem member's name, or a value by status."""


def envelope_document(
    base: Mapping[str, Any], fill: Sequence[tuple[str, Fill]], members: Mapping[str, Any]
) -> dict[str, Any]:
    """An error envelope's JSON: a copy of `base` with each `fill` pointer set.

    A pointer gets the problem member it names, or from a table the value for
    the problem's `status` (else the table's `default`). The build
    (ssegen.ir.envelope, which checks the result against the schema) and the
    runtime (ssegen.runtime.refusals) build envelopes with this one function.
    Without a value the base value stays in place; objects missing on a
    pointer's way are created.
    """
    document = copy.deepcopy(dict(base))
    for pointer, source in fill:
        tokens = pointer_tokens(pointer)
        if isinstance(source, str):
            found, value = source in members, members.get(source)
        else:
            status = members.get("status")
            key = status if isinstance(status, int) and status in source else "default"
            found, value = key in source, source.get(key)
        if not tokens or not found:
            continue
        target = document
        for token in tokens[:-1]:
            inner = target.get(token)
            if not isinstance(inner, dict):
                inner = target[token] = {}
            target = inner
        target[tokens[-1]] = copy.deepcopy(value)
    return document
