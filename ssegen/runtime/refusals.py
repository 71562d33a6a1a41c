"""The answer to a request refused before its stream starts, in the stream's error format.

Every refusal of a generated route goes through `refusal`: a parameter or
body that does not validate, a body too large or not JSON, a Last-Event-ID
that does not parse, an HTTPException from a dependency, a handler that raises
before its first event. Without a declared format the answer is an RFC 9457
problem (`problems.py`). A spec's `errors:` declares the API's own envelope
instead (OpenAI's `{"error": {...}}`, Anthropic's `{"type": "error", ...}`):

- `EnvelopeError(status, body)` raised by a handler answers with that body;
- any other refusal is a problem first, then an envelope: the one the
  stream's `on_problem` hook returns, else the one the spec describes, its
  `base` (the envelope's consts, defaults and nulls, decided at build time by
  ssegen.ir.envelope) with each `fill` pointer set to a member of the problem.

A failure while building the envelope is logged and answered with the problem:
the error path itself never turns a 4xx into a 500.

What users see of it: README, "Spec format" > "Errors".
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pydantic_core
from fastapi.encoders import jsonable_encoder
from ssegen.wire import Fill, envelope_document, json_payload, pointer_tokens
from starlette.responses import Response

from .problems import INTERNAL_ERROR, ProblemError, problem_for, problem_response

if TYPE_CHECKING:
    from .stream import StreamSpec

logger = logging.getLogger("ssegen.runtime")

ProblemHook = Callable[[ProblemError], Any]
"""A stream's `<stream>_problem` hook: the envelope for a problem, or None for the spec's."""

Refuse = Callable[[BaseException], Response]
"""What a route answers for an exception before its stream starts."""

DEFAULT_VALIDATION_STATUS = 422  # FastAPI's, kept when a spec declares none
_LISTED = 3  # validation errors named in `detail`; all of them are in `errors`


class EnvelopeError(Exception):
    """Refuse a request with the API's own error body, before the first event.

    `body` is the envelope (the generated model of the spec's `errors.schema`,
    or plain JSON data) and goes out as `application/json` with `status`.
    """

    def __init__(self, status: int, body: Any, *, headers: Mapping[str, str] | None = None) -> None:
        self.status = status
        self.body = body
        self.headers = dict(headers or {})
        super().__init__(f"{status} error envelope")


@dataclass(frozen=True, slots=True)
class ErrorFormat:
    """A stream's declared error envelope, as generated code hands it to the runtime.

    `envelope` is its model class; `validation` the status of a request that
    fails validation; `base` the JSON object every envelope starts from;
    `fill` pairs a JSON pointer (RFC 6901) into it with the problem member
    (`type`, `title`, `status`, `detail`, `instance` or an extension such as
    `errors`) written there, or with a table of values by status (`default`
    for the others). A problem without `detail` fills its `title`.
    """

    envelope: type
    validation: int = DEFAULT_VALIDATION_STATUS
    base: Mapping[str, Any] = field(default_factory=dict)
    fill: tuple[tuple[str, Fill], ...] = ()

    def __post_init__(self) -> None:
        if type(self.validation) is not int or not 400 <= self.validation <= 499:
            raise ValueError(f"validation must be a 4xx status: {self.validation!r}")
        for pointer, _ in self.fill:
            if not pointer_tokens(pointer):
                raise ValueError(f"not a JSON pointer to a member: {pointer!r}")

    def document(self, problem: ProblemError) -> dict[str, Any]:
        """The envelope's JSON for `problem`, before validation."""
        members = problem.to_dict()
        members.setdefault("detail", problem.title)
        return envelope_document(self.base, self.fill, members)

    def build(self, problem: ProblemError) -> Any:
        """The envelope instance for `problem` (raises when it does not validate)."""
        validate = getattr(self.envelope, "model_validate", None)
        if validate is None:
            raise TypeError(f"error envelope {self.envelope!r} is not a pydantic model")
        return validate(self.document(problem))


def validation_problem(errors: Sequence[Any], status: int) -> ProblemError:
    """The problem for FastAPI's validation errors: each in `errors`, the first few in `detail`."""
    listed = jsonable_encoder(list(errors))
    parts = []
    for error in listed[:_LISTED]:
        where = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
        message = str(error.get("msg", "is not valid"))
        parts.append(f"{where}: {message}" if where else message)
    more = len(listed) - _LISTED
    detail = "The request does not validate: " + "; ".join(parts)
    if more > 0:
        detail += f" (and {more} more)"
    return ProblemError(status, detail=detail + ".", extensions={"errors": listed})


def envelope_response(status: int, body: Any, headers: Mapping[str, str] | None = None) -> Response:
    """`body` as an `application/json` response (an error envelope, or a stream's JSON answer).

    Statuses that forbid a body get none; a body that is not JSON is a logged 500.
    """
    if status < 200 or status in (204, 304):
        return Response(status_code=status, headers=dict(headers or {}))
    try:
        content = json_payload(body)
    except (pydantic_core.PydanticSerializationError, TypeError, ValueError):
        logger.exception("a JSON response (status %d) is not JSON", status)
        return problem_response(INTERNAL_ERROR)
    return Response(
        content, status_code=status, headers=dict(headers or {}), media_type="application/json"
    )


def refusal(
    exc: BaseException, spec: StreamSpec, on_problem: ProblemHook | None = None
) -> Response:
    """The response to `exc`, raised before `spec`'s stream started, in the stream's format."""
    if isinstance(exc, EnvelopeError):
        return envelope_response(exc.status, exc.body, exc.headers)
    problem = problem_for(exc, stream=spec.name)
    errors = spec.errors
    if errors is None:
        return problem_response(problem)
    body = None
    if on_problem is not None:
        try:
            body = on_problem(problem)
        except Exception:
            logger.exception("stream %s: its problem hook failed", spec.name)
    if body is None:
        try:
            body = errors.build(problem)
        except Exception:
            logger.exception("stream %s: cannot build its error envelope", spec.name)
            return problem_response(problem)
    return envelope_response(problem.status, body, problem.headers)


def refuser(spec: StreamSpec, on_problem: ProblemHook | None = None) -> Refuse:
    """`refusal` bound to one stream (what routes, responses and writers call)."""

    def refuse(exc: BaseException) -> Response:
        return refusal(exc, spec, on_problem)

    return refuse
