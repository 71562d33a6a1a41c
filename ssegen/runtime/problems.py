"""Problem details (RFC 9457) for the errors a stream reports before it starts.

Until the first event (or keepalive) goes out, the status line is still
unwritten, so a failure can be a real HTTP error that EventSource and every
other client understand, instead of a 200 with a cut body.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

import pydantic_core
from starlette.exceptions import HTTPException
from starlette.responses import Response

logger = logging.getLogger("ssegen.runtime")

PROBLEM_MEDIA_TYPE = "application/problem+json"


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


class ProblemError(Exception):
    """An error the client is told about as an RFC 9457 problem.

    Raised by the runtime (a bad Last-Event-ID is a 400) and free to raise from
    a handler before its first event. `title` defaults to the status phrase;
    `type` to "about:blank" (RFC 9457 section 4.2.1); `extensions` become
    extra members of the problem object.
    """

    def __init__(
        self,
        status: int,
        title: str | None = None,
        detail: str | None = None,
        *,
        type: str = "about:blank",
        instance: str | None = None,
        headers: Mapping[str, str] | None = None,
        extensions: Mapping[str, Any] | None = None,
    ) -> None:
        self.status = status
        self.title = title if title is not None else _phrase(status)
        self.detail = detail
        self.type = type
        self.instance = instance
        self.headers = dict(headers or {})
        self.extensions = dict(extensions or {})
        super().__init__(f"{status} {self.title}" + (f": {detail}" if detail else ""))

    def to_dict(self) -> dict[str, Any]:
        """The problem object; the standard members win over same-named extensions."""
        problem: dict[str, Any] = {
            **self.extensions,
            "type": self.type,
            "title": self.title,
            "status": self.status,
        }
        if self.detail is not None:
            problem["detail"] = self.detail
        if self.instance is not None:
            problem["instance"] = self.instance
        return problem


def problem_response(problem: ProblemError) -> Response:
    """An `application/problem+json` response; statuses that forbid a body get none."""
    if problem.status < 200 or problem.status in (204, 304):
        return Response(status_code=problem.status, headers=problem.headers)
    # pydantic's writer: compact, UTF-8, and any extension value that is not
    # plain JSON degrades to its str() instead of failing the error response.
    body = pydantic_core.to_json(problem.to_dict(), fallback=str)
    return Response(
        body, status_code=problem.status, headers=problem.headers, media_type=PROBLEM_MEDIA_TYPE
    )


# What a failure that is not the client's business looks like: nothing from
# the exception (message, type, traceback) reaches the client; the log has it.
INTERNAL_ERROR = ProblemError(500, detail="The stream failed.")


def problem_for(exc: BaseException, *, stream: str) -> ProblemError:
    """Map an exception raised before a stream's first event to the problem the client gets.

    A ProblemError is itself; an HTTPException keeps its status and headers
    (a non-string detail becomes the `errors` extension member); anything else
    is logged with its traceback and becomes a bare 500.
    """
    if isinstance(exc, ProblemError):
        return exc
    if isinstance(exc, HTTPException):
        extensions: dict[str, Any] = {}
        detail: str | None = None
        if isinstance(exc.detail, str):
            # starlette's default detail is the status phrase, already the title
            detail = None if exc.detail == _phrase(exc.status_code) else exc.detail
        elif exc.detail is not None:
            extensions["errors"] = exc.detail
        return ProblemError(
            exc.status_code, detail=detail, headers=exc.headers, extensions=extensions
        )
    logger.error("stream %s failed before its first event", stream, exc_info=exc)
    return INTERNAL_ERROR
