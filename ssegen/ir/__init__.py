"""The IR: what the templates render, with every Python name already decided.

Frozen dataclasses only, built by `ssegen.ir.lower` (names from `naming`,
parameters from `params`). Strings meant for Python source are either
identifiers checked by `lower.py` or `*_literal`/`annotation` fields built from
`repr()` of spec values: templates paste nothing else into code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

ParamIn = Literal["path", "query", "header"]
Payload = Literal["json", "text", "none"]


@dataclass(frozen=True)
class Import:
    """`from <module> import <names>`; a module starting with "." is the package's own."""

    module: str
    names: tuple[str, ...]


@dataclass(frozen=True)
class Param:
    location: ParamIn
    wire_name: str  # as sent over HTTP
    py_name: str  # the Python parameter name
    annotation: str  # Python type, e.g. "int" or "Literal['a', 'b'] | None"
    route_annotation: str  # e.g. "Annotated[int, Query(alias='from', ge=0)]"
    typing: frozenset[str]  # the `typing` names `annotation` uses, e.g. {"Literal"}
    default_literal: str | None  # Python literal of the default; None when required
    schema: dict[str, Any]
    description: str | None


TellKind = Literal["own", "const", "member", "other", "text", "empty"]


@dataclass(frozen=True)
class Tell:
    """How a client tells an event from the others sent under its wire name (`ir.variants`).

    own: no other event shares its wire name; const: its `property` has the const
    `value` (the stream's `discriminator`); member: it alone has the member
    `property`; other: the JSON payload that matches no other variant; text: the
    text `value`; empty: the empty `data:` line of an event without payload.
    """

    kind: TellKind
    property: str | None = None
    value: str | None = None


@dataclass(frozen=True)
class Event:
    name: str  # the spec's key: class names, catalog components, docs anchors
    wire_name: str | None  # the `event:` line; None: none (clients see `message`)
    class_name: str
    payload: Payload
    data_annotation: str | None  # None when payload is "none"
    typing: frozenset[str]  # the `typing` names `data_annotation` uses
    data_default_literal: (
        str | None
    )  # a text const, or a factory of a model built without arguments
    data_schema: dict[str, Any] | None  # rewritten payload schema (refs to #/$defs)
    summary: str | None
    description: str | None
    examples: tuple[Any, ...]
    terminal: bool
    error: bool
    deprecated: bool
    tell: Tell = Tell("own")

    @property
    def seen_as(self) -> str:
        """The event type a client sees: the wire name, `message` when there is none (WHATWG)."""
        return "message" if self.wire_name is None else self.wire_name


@dataclass(frozen=True)
class Topic:
    const_name: str  # the TopicSpec constant
    publisher_class: str
    key: tuple[Param, ...]
    key_tuple: str  # the instance key as a Python expression of the key parameters
    keep: int
    ttl: float | None
    # TopicSpec's keyword arguments that differ from its defaults, as Python source.
    spec_options: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Body:
    annotation: str
    schema: dict[str, Any]


@dataclass(frozen=True)
class Errors:
    """A stream's declared error envelope (`ssegen.ir.envelope`).

    `model` is the envelope's model class; `validation` the status of a request
    that fails validation; `statuses` the documented error statuses; `base` and
    `fill` how the runtime builds an envelope of a problem; `format_literal`
    the runtime's `ErrorFormat(...)` as Python source.
    """

    model: str
    validation: int
    statuses: tuple[tuple[int, str], ...]
    fill: tuple[tuple[str, Any], ...]  # (JSON pointer, member name or {status: value})
    base: dict[str, Any]
    format_literal: str


@dataclass(frozen=True)
class Answer:
    """A stream's JSON answer (`ssegen.runtime.answer`): its model, what chooses it, its method."""

    model: str
    when: Literal["accept", "body"]
    member: str | None  # the boolean body member, for `when: body`
    method_name: str  # the service method that returns it


Requirement = tuple[tuple[str, tuple[str, ...]], ...]  # (scheme name, scopes) that must all pass


@dataclass(frozen=True)
class SecurityScheme:
    """A spec's security scheme (`security_schemes`): the catalog's and the runtime's view.

    `py_name` is build_router's keyword for its authenticator; `openapi` the
    Security Scheme Object of the catalog; `runtime_literal` the runtime's
    `Scheme(...)` as Python source; `summary` what the docs say it is.
    """

    name: str
    py_name: str
    openapi: dict[str, Any]
    runtime_literal: str
    summary: str


@dataclass(frozen=True)
class Stream:
    name: str  # spec name = operationId
    method_name: str  # service method
    # build_router's function for the route: the service call, or a topic's instance key.
    route_function: str
    error_hook: str  # service method that builds the error event
    problem_hook: str  # service method that builds the error envelope of a refusal
    const_name: str  # the StreamSpec constant
    union_name: str
    http_method: str
    path: str
    summary: str | None
    description: str | None
    tags: tuple[str, ...]
    deprecated: bool
    params: tuple[Param, ...]
    body: Body | None
    max_body: int | None  # bytes; set exactly when there is a body
    retry: int | None
    keepalive: float
    empty_status: int  # the status of a response without events (202 or 204)
    ids: Literal["sequence", "handler"] | None
    resume_query: str | None
    events: tuple[Event, ...]
    topic: Topic | None
    discriminator: str | None  # the JSON property telling variants of one wire name apart
    errors: Errors | None  # the API's own error envelope; None: RFC 9457 problems
    answer: Answer | None  # a JSON answer the route gives instead of the stream
    response_headers: tuple[Param, ...]  # set by the handler before its first event
    headers_class: str  # the `<Stream>Headers` class (only rendered with response_headers)
    # Who may open it: alternatives, any one of which suffices; None: anyone (`security: []`).
    security: tuple[Requirement, ...] | None
    access_hook: str  # a secured topic's authorization method, `authorize_<stream>`
    call_const: str  # the client's `StreamCall` of it (client.py)
    failed_class: str  # the client's exception for its error event (when it has one)
    # StreamSpec's keyword arguments that differ from its defaults, as Python source.
    spec_options: tuple[tuple[str, str], ...]

    @property
    def has_arguments(self) -> bool:
        """Whether the handler takes any keyword argument (a bare `*` needs one)."""
        accept = self.answer is not None and self.answer.when == "accept"
        secured = self.security is not None
        return bool(
            self.params or self.body or self.ids or self.response_headers or accept or secured
        )

    @property
    def named_uniquely(self) -> bool:
        """Every event has an `event:` line of its own: the name alone tells events apart."""
        return all(event.tell.kind == "own" and event.wire_name for event in self.events)

    @property
    def reconnects(self) -> bool:
        """Whether a client may re-request it when cut: resumable, or a GET without a body."""
        return self.ids is not None or (self.http_method == "GET" and self.body is None)

    @property
    def client_call(self) -> str:
        """Its client method called with its required arguments, for snippets (`...` values)."""
        required = [p.py_name for p in self.params if p.default_literal is None]
        required += ["body"] if self.body else []
        return f"{self.method_name}({', '.join(f'{name}=...' for name in required)})"

    @property
    def client_events(self) -> tuple[Event, ...]:
        """The events its client yields: all but the error event, which it raises."""
        return tuple(event for event in self.events if not event.error) or self.events

    @property
    def client_union(self) -> str:
        """What its client method yields: its events, and `Missed` on a resumable topic."""
        names = [event.class_name for event in self.client_events]
        if self.topic is not None and self.ids is not None:
            names.append("Missed")
        return " | ".join(names)

    @property
    def principal_annotation(self) -> str:
        """The type of the caller its handler (or topic authorization) receives."""
        optional = self.security is not None and () in self.security
        return "PrincipalT | None" if optional else "PrincipalT"

    @property
    def error_event(self) -> Event | None:
        return next((event for event in self.events if event.error), None)

    @property
    def terminal_events(self) -> tuple[Event, ...]:
        return tuple(event for event in self.events if event.terminal)

    @property
    def last_event_id_annotation(self) -> str | None:
        return {"sequence": "int | None", "handler": "str | None", None: None}[self.ids]


@dataclass(frozen=True)
class Catalog:
    package: str
    source: str  # spec path as shown in headers, posix, relative
    title: str
    version: str
    description: str | None
    service_class: str
    defs: dict[str, dict[str, Any]]  # JSON Schemas by model class name, nested objects hoisted
    streams: tuple[Stream, ...]
    # Per model: optional members left out when None, their schemas not admitting null.
    omit_none: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Each generated module's imports, by module name (`ssegen.ir.imports`).
    imports: dict[str, tuple[Import, ...]] = field(default_factory=dict)
    security_schemes: tuple[SecurityScheme, ...] = ()
    access_class: str = ""  # the class of its secured topics' authorization (`access.py`)
    client_class: str = ""  # the typed client (`client.py`) and its exceptions' names
    client_error: str = ""
    status_error: str = ""
    interrupted_error: str = ""

    @property
    def secured(self) -> bool:
        """Whether any stream needs credentials: the contract is generic in the principal."""
        return any(s.security is not None for s in self.streams)

    @property
    def secured_topics(self) -> tuple[Stream, ...]:
        return tuple(s for s in self.topic_streams if s.security is not None)

    @property
    def secured_handlers(self) -> bool:
        return any(s.security is not None for s in self.handler_streams)

    @property
    def handler_streams(self) -> tuple[Stream, ...]:
        return tuple(s for s in self.streams if s.topic is None)

    @property
    def topic_streams(self) -> tuple[Stream, ...]:
        return tuple(s for s in self.streams if s.topic is not None)

    @property
    def events(self) -> tuple[Event, ...]:
        return tuple(event for stream in self.streams for event in stream.events)

    @property
    def payload_models(self) -> list[str]:
        """Model classes the event classes refer to."""
        return sorted(
            {e.data_annotation for e in self.events if e.payload == "json" and e.data_annotation}
        )

    @property
    def body_models(self) -> list[str]:
        return sorted({s.body.annotation for s in self.streams if s.body is not None})

    @property
    def answer_models(self) -> list[str]:
        """The JSON answer models of the streams (`answer:`)."""
        return sorted({s.answer.model for s in self.streams if s.answer is not None})

    @property
    def envelope_models(self) -> list[str]:
        """The error envelope models of the streams (`errors:`)."""
        return sorted({s.errors.model for s in self.streams if s.errors is not None})

    @property
    def headers_classes(self) -> list[str]:
        """The `<Stream>Headers` classes of streams that declare response headers."""
        return [s.headers_class for s in self.streams if s.response_headers]

    @property
    def event_exports(self) -> list[str]:
        return sorted(
            [e.class_name for e in self.events]
            + [s.union_name for s in self.streams]
            + self.headers_classes
        )

    @property
    def exports(self) -> list[str]:
        """Everything the package's __init__ re-exports."""
        names = [e.class_name for e in self.events] + [s.union_name for s in self.streams]
        names += self.headers_classes + list(self.defs) + ["build_router"]
        names += [self.service_class] if self.handler_streams else []
        names += [s.topic.publisher_class for s in self.topic_streams if s.topic]
        names += [self.access_class] if self.secured_topics else []
        return sorted(names)
