"""`StreamRoute`: a stream's request, bounded and strict JSON, refused in the stream's format.

`StreamRoute` is the `APIRoute` of every generated stream route. Whatever the
route refuses before its endpoint runs (parameters or a body that do not
validate: FastAPI's RequestValidationError; an HTTPException, ProblemError
or failure of a dependency, such as the stream's security) is answered by the stream's `refusal` (`refusals.py`), with the
stream's validation status (422 unless the spec declares another), not by
FastAPI's app-wide `{"detail": ...}` handlers.

FastAPI reads a route's whole body into memory before it validates anything,
so a size limit has to act earlier. For a stream with a body, in order:

- answers 413 when `Content-Length` declares more than the stream's
  `max_body`, without reading a byte of the body;
- reads the body counting bytes as they arrive (a chunked body declares no
  length) and answers 413 as soon as the count passes the limit: no more than
  the limit plus the one chunk that crossed it is ever held, and the handler
  never runs;
- answers 400 for a JSON body with a number that is not finite: `NaN`,
  `Infinity` and `-Infinity` are not JSON (RFC 8259, section 6) and a literal
  such as `1e999` is beyond a double's range. Python's parser accepts all
  four; pydantic would hand them to the handler, or report them in a 422 that
  FastAPI cannot serialize (a plain-text 500);
- hands FastAPI the request with its body read, and FastAPI goes on as usual.

These refusals too are the stream's `refusal`: problems by default (`problems.py`).

What users see of it: README, "Runtime" > "Request bodies".
"""

from __future__ import annotations

import email.message
import json
import math
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from ssegen.wire import DEFAULT_MAX_BODY
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import Message

from .problems import ProblemError, problem_for, problem_response
from .refusals import DEFAULT_VALIDATION_STATUS, EnvelopeError, Refuse, validation_problem

_RULES_ATTRIBUTE = "__ssegen_route_rules__"
# Long enough for any number a person writes; a 100 kB literal is not echoed back.
_SHOWN_TOKEN = 32

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


def _problem_only(exc: BaseException) -> Response:
    return problem_response(problem_for(exc, stream="route"))


@dataclass(frozen=True, slots=True)
class RouteRules:
    """What `StreamRoute` enforces for one endpoint: `serve` records them from the spec."""

    max_body: int = DEFAULT_MAX_BODY  # bytes
    validation: int = DEFAULT_VALIDATION_STATUS  # the status of a request that fails validation
    refuse: Refuse = _problem_only  # the stream's error format


def set_route_rules(endpoint: Callable[..., Any], rules: RouteRules) -> None:
    """Record on `endpoint` the rules its `StreamRoute` enforces (`serve`, `serve_topic`)."""
    setattr(endpoint, _RULES_ATTRIBUTE, rules)


def route_rules(endpoint: Callable[..., Any]) -> RouteRules:
    """The rules recorded on `endpoint`, else the defaults."""
    rules = getattr(endpoint, _RULES_ATTRIBUTE, None)
    return rules if isinstance(rules, RouteRules) else RouteRules()


class StreamRoute(APIRoute):
    """The `APIRoute` of stream endpoints: bounded strict bodies, refusals in the stream's format.

    For `app.add_api_route(..., route_class_override=StreamRoute)` or
    `APIRouter(route_class=StreamRoute)`; the rules are the ones `serve`
    records from the stream's spec (`max_body`, `errors`).
    """

    def get_route_handler(self) -> Handler:
        rules = route_rules(self.endpoint)
        handler = super().get_route_handler()
        if self.body_field is not None:
            handler = bounded_handler(handler, rules)
        return refusing_handler(handler, rules)


def refusing_handler(handler: Handler, rules: RouteRules) -> Handler:
    """`handler`, with what FastAPI refuses before the endpoint runs answered by `rules.refuse`."""

    async def refusing(request: Request) -> Response:
        try:
            return await handler(request)
        except RequestValidationError as exc:
            return rules.refuse(validation_problem(exc.errors(), rules.validation))
        except (HTTPException, ProblemError, EnvelopeError) as exc:
            # A dependency's refusal: the route's security (security.py) or the app's own.
            return rules.refuse(exc)
        except Exception as exc:  # noqa: BLE001 - a failing dependency: a 500 in the format
            return rules.refuse(exc)

    return refusing


def bounded_handler(handler: Handler, rules: RouteRules) -> Handler:
    """`handler` (FastAPI's, which reads the body) behind the checks of this module."""
    max_body = rules.max_body
    refuse = rules.refuse

    async def read_bounded(request: Request) -> Response:
        declared = declared_length(request.headers)
        if declared is not None and declared > max_body:
            return refuse(too_large(max_body))
        received = 0

        async def receive() -> Message:
            nonlocal received
            message = await request.receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_body:
                    raise _TooLarge
            return message

        # A request of its own with the counting receive: its body() keeps what
        # it read, and FastAPI's handler takes it from there without reading again.
        counted = Request(request.scope, receive)
        try:
            body = await counted.body()
        except _TooLarge:
            return refuse(too_large(max_body))
        except ClientDisconnect:
            # Nobody reads this answer; FastAPI would give the same status.
            return refuse(ProblemError(400, detail="The request body was cut short."))
        if is_json(counted.headers.get("content-type")):
            token = non_finite_number(body)
            if token is not None:
                return refuse(not_finite(token))
        return await handler(counted)

    return read_bounded


def declared_length(headers: Headers) -> int | None:
    """The body size `Content-Length` declares, or None when it is absent or not a number.

    A value that does not parse is left to the byte count (and to the server,
    which refuses it before the app sees it); one too long for `int()` is
    larger than any limit.
    """
    value = headers.get("content-length")
    if value is None or not (value.isascii() and value.isdigit()):
        return None
    digits = value.lstrip("0") or "0"
    return int(digits) if len(digits) <= 18 else 10**18


def is_json(content_type: str | None) -> bool:
    """Whether FastAPI parses a body of this content type as JSON (none: checked too)."""
    if not content_type:
        return True
    message = email.message.Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    )


class _TooLarge(Exception):
    pass


class _NotFinite(ValueError):
    def __init__(self, token: str) -> None:
        super().__init__(token)
        self.token = token


def _refuse_constant(token: str) -> Any:
    raise _NotFinite(token)


def _finite_float(token: str) -> float:
    value = float(token)
    if not math.isfinite(value):
        raise _NotFinite(token)
    return value


def non_finite_number(body: bytes) -> str | None:
    """The first number in the JSON `body` that is not finite, as written; else None.

    A body that is not JSON for another reason gives None: FastAPI reports it
    as it always does.
    """
    try:
        json.loads(body, parse_constant=_refuse_constant, parse_float=_finite_float)
    except _NotFinite as exc:
        return exc.token
    except (ValueError, RecursionError):
        return None
    return None


def too_large(max_body: int) -> ProblemError:
    return ProblemError(
        413,
        "Content Too Large",  # RFC 9110's name; Python's HTTPStatus has the older one
        detail=f"The request body is larger than this stream's limit of {max_body} bytes.",
        extensions={"max_body": max_body},
    )


def not_finite(token: str) -> ProblemError:
    shown = token if len(token) <= _SHOWN_TOKEN else token[:_SHOWN_TOKEN] + "..."
    if token in ("NaN", "Infinity", "-Infinity"):
        reason = f"{shown} is not a JSON number"
    else:
        reason = f"{shown} is beyond the range of a double-precision number"
    return ProblemError(400, detail=f"The request body is not valid JSON: {reason}.")
