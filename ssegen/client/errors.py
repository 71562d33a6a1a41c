"""What a generated client raises: the base classes each package's exceptions extend.

A package's client.py derives `<Package>ClientError` and one class per kind
below, so `except JobsClientError` catches everything one API's client
raises, and `except StatusError` everything of its kind across APIs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Generic, TypeVar

E = TypeVar("E")


class ClientError(Exception):
    """Every error a generated client raises."""


class StatusError(ClientError):
    """The server refused the stream before it started: a status other than 200 or 204.

    `body` is the response's JSON (an RFC 9457 problem, or the API's declared
    error envelope), or its text when it is not JSON; `problem` is the body
    when it is `application/problem+json`.
    """

    def __init__(self, status: int, headers: Mapping[str, str], content: bytes) -> None:
        self.status = status
        self.headers = dict(headers)
        self.content_type = self.headers.get("content-type", "")
        text = content.decode("utf-8", errors="replace")
        try:
            self.body: Any = json.loads(text) if text else None
        except ValueError:
            self.body = text
        detail = self.body.get("detail") if isinstance(self.body, dict) else None
        super().__init__(f"{status}" + (f": {detail}" if detail else ""))

    @property
    def problem(self) -> dict[str, Any] | None:
        is_problem = self.content_type.startswith("application/problem+json")
        return self.body if is_problem and isinstance(self.body, dict) else None


class StreamInterrupted(ClientError):
    """The stream was cut before its end, and the contract does not allow a reconnect.

    A stream may be re-requested only when it declares `resume`, or is a GET
    without a body: re-sending anything else could repeat its work (a POST
    that starts an LLM completion). `events` is how many events arrived.
    """

    def __init__(self, stream: str, events: int, cause: BaseException | None = None) -> None:
        self.stream = stream
        self.events = events
        reason = f" ({type(cause).__name__}: {cause})" if cause else ""
        super().__init__(f"stream {stream!r} was cut after {events} events{reason}")


class ErrorEventError(ClientError, Generic[E]):
    """The stream sent its error event (`error: true` in the spec); `event` is that event."""

    def __init__(self, event: E) -> None:
        self.event = event
        super().__init__(f"the stream sent its error event: {event!r}")
