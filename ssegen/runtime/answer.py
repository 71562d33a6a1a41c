"""One endpoint, two answers: a stream's JSON answer instead of its events (`answer:` in a spec).

OpenAI answers `stream: false` (or no `stream`) with one JSON object, MCP
answers a request with `application/json` when the client prefers it. A
stream that declares an `answer` has a second service method,
`<stream>_answer`, returning that object; the generated route calls it
instead of the stream method when

- `when: {body: <member>}`: the body's boolean member is not `true`
  (`body_flag`);
- `when: accept`: the request's `Accept` prefers `application/json` to
  `text/event-stream` (`prefers_json`, RFC 9110 section 12.5.1: the highest
  quality wins; equal qualities keep the stream).

and hands `serve` an `Answer`, which it sends as `application/json`, 200. A
failure before it has an object is a refusal in the stream's error format.

What users see of it: README, "Spec format" (`answer`).
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, Generic, TypeVar

T = TypeVar("T")

ACCEPT_PARAMETER = "_ssegen_accept"  # the Accept header, read for `when: accept`
WANTS_JSON = "wants_json"  # what the generated route function is told


class Answer(Generic[T]):
    """The JSON answer a route returns instead of a stream: an awaitable of the object."""

    __slots__ = ("value",)

    def __init__(self, value: Awaitable[T]) -> None:
        self.value = value


def body_flag(body: Any, member: str) -> bool:
    """Whether the member `member` (its JSON name) of a pydantic body is `true`."""
    fields = getattr(type(body), "model_fields", {})
    for name, info in fields.items():
        if (info.alias or name) == member:
            return getattr(body, name, None) is True
    return False


def _quality(params: list[str]) -> float:
    for param in params:
        key, _, value = param.partition("=")
        if key.strip().lower() == "q":
            try:
                return max(0.0, min(1.0, float(value.strip())))
            except ValueError:
                return 0.0
    return 1.0


def _acceptance(accept: str, media_type: str) -> float:
    """The quality `accept` gives `media_type`: its most specific matching range wins."""
    kind = media_type.partition("/")[0]
    best: tuple[int, float] = (-1, 0.0)
    for item in accept.split(","):
        parts = item.split(";")
        value = parts[0].strip().lower()
        if value in (media_type, f"{kind}/*", "*/*"):
            specificity = 2 if value == media_type else 1 if value == f"{kind}/*" else 0
            if specificity > best[0]:
                best = (specificity, _quality(parts[1:]))
    return best[1]


def prefers_json(accept: str | None) -> bool:
    """Whether an Accept header prefers `application/json` to `text/event-stream`."""
    if not accept:
        return False
    return _acceptance(accept, "application/json") > _acceptance(accept, "text/event-stream")
