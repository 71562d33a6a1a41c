"""`serve`: make a generated stream endpoint into a FastAPI endpoint that streams its events.

The endpoint generated code hands over returns the handler's async iterable
of events. `serve` wraps it in an `async def` that FastAPI registers in its
place: FastAPI still reads the endpoint's own parameters (path, query, header,
body) from the wrapper's `__signature__` and validates them as usual; the
wrapper adds the resume position (Last-Event-ID header, query fallback),
parses it itself, calls the endpoint and returns an `EventStreamResponse`.

`adopt_endpoint` and `take_last_event_id` are that treatment on its own, for
every kind of stream endpoint (`serve_topic` uses them too).
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated, Any

from fastapi import Header, Query
from starlette.responses import Response

from .answer import ACCEPT_PARAMETER, WANTS_JSON, Answer, prefers_json
from .encoding import EventTable
from .error_event import default_error_event
from .handler_events import ErrorHook, HandlerEvents
from .problems import ProblemError
from .refusals import DEFAULT_VALIDATION_STATUS, ProblemHook, envelope_response, refuser
from .request_body import RouteRules, set_route_rules
from .response import EventStreamResponse
from .response_headers import SentHeaders, sealed_at_first_event
from .resume import next_sequence_id, parse_last_event_id, pick_last_event_id
from .security import Gate
from .stream import IdsMode, StreamSpec

RESUME_PARAMETER = "last_event_id"
HEADERS_PARAMETER = "response_headers"  # the handler's `<Stream>Headers`, not a request parameter
PRINCIPAL_PARAMETER = "principal"  # the caller of a secured stream (security.py)
# Private names, so that they cannot clash with the endpoint's parameters;
# FastAPI reads them under their aliases.
_HEADER_PARAMETER = "_ssegen_last_event_id_header"
_QUERY_PARAMETER = "_ssegen_last_event_id_query"


def endpoint_signature(
    spec: StreamSpec, endpoint: Callable[..., Any], gate: Gate | None = None
) -> inspect.Signature:
    """The endpoint's signature with `last_event_id` replaced by the header and query parameters.

    A secured stream's `principal` becomes the dependency of `gate` that yields it.
    """
    try:
        # Annotations resolved here, against the endpoint's module: FastAPI
        # would resolve strings against the wrapper's module instead.
        signature = inspect.signature(endpoint, eval_str=True)
    except NameError as exc:
        raise TypeError(
            f"serve({spec.name!r}): cannot resolve the endpoint's annotations: {exc}"
        ) from exc
    parameters = [
        p
        for p in signature.parameters.values()
        if p.name not in (RESUME_PARAMETER, HEADERS_PARAMETER, WANTS_JSON, PRINCIPAL_PARAMETER)
    ]
    if spec.security is not None:
        if gate is None:
            raise TypeError(f"stream {spec.name!r} is secured: serve it with its Gate")
        parameters.append(
            inspect.Parameter(
                PRINCIPAL_PARAMETER,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=gate.dependency(spec.name, spec.security),
            )
        )
    if WANTS_JSON in signature.parameters:
        # `answer: {when: accept}`: the route chooses by the Accept header (answer.py).
        parameters.append(
            inspect.Parameter(
                ACCEPT_PARAMETER,
                inspect.Parameter.KEYWORD_ONLY,
                default=None,
                annotation=Annotated[str | None, Header(alias="Accept", include_in_schema=False)],
            )
        )
    if spec.ids is not None:
        header = Header(
            alias="Last-Event-ID",
            description="The id of the last event received, to resume after it.",
        )
        parameters.append(
            inspect.Parameter(
                _HEADER_PARAMETER,
                inspect.Parameter.KEYWORD_ONLY,
                default=None,
                annotation=Annotated[str | None, header],
            )
        )
        if spec.resume_query:
            query = Query(
                alias=spec.resume_query, description="Used when the Last-Event-ID header is absent."
            )
            parameters.append(
                inspect.Parameter(
                    _QUERY_PARAMETER,
                    inspect.Parameter.KEYWORD_ONLY,
                    default=None,
                    annotation=Annotated[str | None, query],
                )
            )
    return signature.replace(parameters=parameters, return_annotation=Response)


def adopt_endpoint(
    wrapper: Callable[..., Any],
    spec: StreamSpec,
    endpoint: Callable[..., Any],
    gate: Gate | None = None,
) -> None:
    """Make `wrapper` what FastAPI registers in place of `endpoint`.

    FastAPI reads the parameters from `__signature__` (`endpoint_signature`)
    and its defaults (route name, description) from the name and docstring.
    No `__wrapped__`: FastAPI would unwrap it and take the endpoint itself.
    """
    wrapper.__signature__ = endpoint_signature(spec, endpoint, gate)  # type: ignore[attr-defined]
    for attribute in ("__name__", "__qualname__", "__doc__", "__module__"):
        value = getattr(endpoint, attribute, None)
        if value is not None:
            setattr(wrapper, attribute, value)


def take_last_event_id(values: dict[str, Any], ids: IdsMode | None) -> int | str | None:
    """Remove the resume parameters of `endpoint_signature` from `values` and parse them.

    `values` are the keyword arguments FastAPI called the wrapper with; what
    is left are the endpoint's own. The header wins over the query fallback;
    the result is `int | None` for `ids: sequence`, `str | None` for
    `ids: handler`, None for a stream without ids. Raises `ProblemError`
    (400) for a value that does not parse.
    """
    header = values.pop(_HEADER_PARAMETER, None)
    query = values.pop(_QUERY_PARAMETER, None)
    if ids is None:
        return None
    return parse_last_event_id(pick_last_event_id(header, query), ids)


def _as_text(raw: Sequence[tuple[bytes, bytes]]) -> dict[str, str]:
    return {name.decode("latin-1"): value.decode("latin-1") for name, value in raw}


def route_rules_of(spec: StreamSpec, refuse: Callable[[BaseException], Response]) -> RouteRules:
    """What `StreamRoute` enforces for `spec`'s endpoint."""
    validation = spec.errors.validation if spec.errors else DEFAULT_VALIDATION_STATUS
    return RouteRules(max_body=spec.max_body, validation=validation, refuse=refuse)


def serve(
    spec: StreamSpec,
    endpoint: Callable[..., Any],
    *,
    on_error: ErrorHook | None = None,
    on_problem: ProblemHook | None = None,
    gate: Gate | None = None,
) -> Callable[..., Awaitable[Response]]:
    """The FastAPI endpoint that serves `spec` with the events `endpoint` returns.

    `endpoint` returns (or, when async, resolves to) an async iterable of the
    stream's event instances; resumable streams pass it `last_event_id`
    (`int | None` for `ids: sequence`, `str | None` for `ids: handler`);
    streams with `spec.headers` pass it a fresh `response_headers` to set
    before the first event. `on_error(exc)` returns the error event to send
    for a failure after the start, or None for the runtime's default one;
    an endpoint may return an `Answer` instead (answer.py). `on_problem(problem)`
    returns the error envelope for a refusal before the start, or None for the
    one `spec.errors` describes (`refusals.py`). A secured stream (`spec.security`)
    needs the package's `gate`: its principal goes to the endpoint's
    `principal` parameter, if it takes one (`security.py`). Register it with
    `route_class_override=StreamRoute`, so that `spec.max_body` holds and
    every refusal is in the stream's error format (`request_body.py`).
    """
    table = EventTable(spec)
    default_error = default_error_event(spec)
    ids = spec.ids
    endpoint_parameters = inspect.signature(endpoint).parameters
    takes_resume = RESUME_PARAMETER in endpoint_parameters
    headers_class = spec.headers if HEADERS_PARAMETER in endpoint_parameters else None
    takes_accept = WANTS_JSON in endpoint_parameters
    takes_principal = PRINCIPAL_PARAMETER in endpoint_parameters
    declares_error = spec.error is not None
    refuse = refuser(spec, on_problem)

    async def stream_endpoint(**values: Any) -> Response:
        try:
            last_event_id = take_last_event_id(values, ids)
        except ProblemError as problem:
            return refuse(problem)
        if takes_resume:
            values[RESUME_PARAMETER] = last_event_id
        accept = values.pop(ACCEPT_PARAMETER, None)
        if takes_accept:
            values[WANTS_JSON] = prefers_json(accept)
        headers = None if headers_class is None else headers_class()
        if headers is not None:
            values[HEADERS_PARAMETER] = headers
        principal = values.pop(PRINCIPAL_PARAMETER, None)
        if takes_principal:
            values[PRINCIPAL_PARAMETER] = principal
        try:
            events = endpoint(**values)
            if inspect.isawaitable(events):
                events = await events
            if isinstance(events, Answer):
                answer = await events.value
                late = {} if headers is None else _as_text(SentHeaders(headers, spec.name).take())
                return envelope_response(200, answer, late)
        except Exception as exc:  # noqa: BLE001 - every failure gets a response; 500s are logged
            # Nothing is sent yet: a real HTTP error (HTTPException keeps its status).
            return refuse(exc)
        sent = None
        if headers is not None:
            sent = SentHeaders(headers, spec.name)
            events = sealed_at_first_event(events, sent)
        next_id = next_sequence_id(last_event_id if isinstance(last_event_id, int) else None)
        source = HandlerEvents(
            spec, table, events, next_id=next_id, on_error=on_error, default_error=default_error
        )
        return EventStreamResponse(
            source.chunks(),
            keepalive=spec.keepalive,
            empty_status=spec.empty_status,
            preamble=spec.preamble,
            on_error=source.error_chunk if declares_error else None,
            name=spec.name,
            refuse=refuse,
            late_headers=None if sent is None else sent.take,
        )

    adopt_endpoint(stream_endpoint, spec, endpoint, gate)
    set_route_rules(stream_endpoint, route_rules_of(spec, refuse))  # what StreamRoute enforces
    return stream_endpoint
