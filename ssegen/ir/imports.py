"""Every name the generated modules import or bind, and each module's imports.

One table (`EXTERNAL`) lists what each generated module may import from
outside its package; `module_imports` picks, from IR facts (never from
rendered text), the names a catalog's module uses, and adds the imports
between the package's own modules. The templates only print the result, so
no template can import a name it does not use, or miss one it does.

`RESERVED` is derived from the same table: a schema, event or stream whose
Python name would clash with an imported name is a spec error (`lower.py`),
not a module that fails `mypy --strict`. `LOCAL_NAMES` are the names the
generated functions bind themselves; a parameter takes a trailing `_`
instead (`params.py`).
"""

from __future__ import annotations

from collections.abc import Iterable

from ssegen import ir
from ssegen.ir import Import

# What each generated module may import from outside the package, by source.
EXTERNAL: dict[str, dict[str, tuple[str, ...]]] = {
    "events": {
        "dataclasses": ("dataclass", "field"),
        "typing": ("ClassVar", "Literal", "TypeAlias"),
        "ssegen.runtime": ("ResponseHeaders",),
    },
    "streams": {
        "ssegen.runtime": ("ErrorFormat", "EventSpec", "Scheme", "StreamSpec", "Tell", "TopicSpec")
    },
    "router": {
        "collections.abc": ("AsyncIterable",),
        "typing": ("Annotated", "Literal"),
        "fastapi": ("APIRouter", "Body", "Header", "Path", "Query"),
        "ssegen.runtime": (
            "Answer",
            "Authenticator",
            "Broker",
            "EventStreamResponse",
            "Gate",
            "PrincipalT",
            "StreamRoute",
            "body_flag",
            "check_access",
            "require_access",
            "serve",
            "serve_topic",
        ),
    },
    "service": {
        "abc": ("ABC", "abstractmethod"),
        "collections.abc": ("AsyncIterator",),
        "typing": ("Generic", "Literal"),
        "ssegen.runtime": ("PrincipalT", "ProblemError"),
    },
    "access": {
        "abc": ("ABC", "abstractmethod"),
        "typing": ("Generic", "Literal"),
        "ssegen.runtime": ("PrincipalT",),
    },
    "publishers": {
        "collections.abc": ("Iterable",),
        "typing": ("Literal",),
        "ssegen.runtime": ("Broker", "default_broker"),
    },
    "client": {
        "typing": ("Literal",),
        "ssegen.client": (
            "Client",
            "ClientError",
            "ErrorEventError",
            "Errors",
            "EventStream",
            "Missed",
            "StatusError",
            "StreamCall",
            "StreamInterrupted",
        ),
    },
}

# Module-level names the templates define beside the spec's own.
DEFINED = frozenset({"build_router", "_NO_CONTENT", "SECURITY_SCHEMES", "_ERRORS"})

# What datamodel-code-generator may import into models.py beside the schemas' classes.
MODELS_IMPORTS = frozenset(
    {
        "Annotated",
        "Any",
        "AnyUrl",
        "AwareDatetime",
        "Base64Str",
        "BaseModel",
        "ConfigDict",
        "Decimal",
        "EmailStr",
        "Enum",
        "Field",
        "IPv4Address",
        "IPv4Network",
        "IPv6Address",
        "IPv6Network",
        "Literal",
        "NaiveDatetime",
        "Optional",
        "Path",
        "RootModel",
        "SecretStr",
        "StrEnum",
        "TypeAliasType",
        "UUID",
        "UUID1",
        "UUID3",
        "UUID4",
        "UUID5",
        "Union",
    }
)

RESERVED = frozenset(
    {name for sources in EXTERNAL.values() for names in sources.values() for name in names}
    | DEFINED
    | MODELS_IMPORTS
)

# Names the generated route functions and service methods bind themselves.
LOCAL_NAMES = frozenset(
    {
        "last_event_id",
        "response_headers",
        "wants_json",
        "body",
        "self",
        "service",
        "broker",
        "router",
        "key",
        "principal",
        "access",
        "gate",
    }
)
# The locals of `build_router`, which a route function (named like its stream) would hide.
BUILD_ROUTER_LOCALS = frozenset({"router", "service", "broker", "access", "gate"})


def module_imports(catalog: ir.Catalog) -> dict[str, tuple[Import, ...]]:
    """The imports of each generated Python module (models.py excepted: its generator's own)."""
    handler = catalog.handler_streams
    topics = catalog.topic_streams
    params = [p for s in catalog.streams for p in s.params]
    handler_params = [p for s in handler for p in s.params]
    key_params = [p for s in topics if s.topic is not None for p in s.topic.key]
    locations = {p.location for p in params}
    has_body = any(s.body is not None for s in catalog.streams)
    envelopes = any(s.errors is not None for s in catalog.streams)
    handler_envelopes = [s.errors.model for s in handler if s.errors is not None]
    answers = [s.answer for s in handler if s.answer is not None]
    answer_models = [a.model for a in answers]
    secured_topics = catalog.secured_topics
    access_params = [p for s in secured_topics if s.topic is not None for p in s.topic.key]

    used: dict[str, set[str]] = {
        "events": {"dataclass", "TypeAlias"}
        | _typing(e.typing for e in catalog.events)
        | _typing(p.typing for s in catalog.streams for p in s.response_headers)
        | ({"ClassVar", "ResponseHeaders"} if catalog.headers_classes else set())
        | (
            {"field"}
            if any(e.payload == "json" and e.data_default_literal for e in catalog.events)
            else set()
        ),
        "streams": {"EventSpec", "StreamSpec"}
        | ({"TopicSpec"} if topics else set())
        | ({"ErrorFormat"} if envelopes else set())
        | ({"Scheme"} if catalog.secured else set())
        | ({"Tell"} if any(e.tell.kind != "own" for e in catalog.events) else set()),
        "router": {"APIRouter", "EventStreamResponse", "StreamRoute"}
        | {location.capitalize() for location in locations}
        | _typing(p.typing for p in params)
        | ({"Annotated"} if params or has_body else set())
        | ({"Body"} if has_body else set())
        | ({"AsyncIterable", "serve"} if handler else set())
        | ({"Broker", "serve_topic"} if topics else set())
        | ({"Answer"} if answers else set())
        | ({"body_flag"} if any(a.when == "body" for a in answers) else set())
        | ({"Authenticator", "Gate", "PrincipalT"} if catalog.secured else set())
        | ({"check_access", "require_access"} if secured_topics else set()),
        "service": {"ABC", "abstractmethod", "AsyncIterator"}
        | ({"ProblemError"} if handler_envelopes else set())
        | ({"Generic", "PrincipalT"} if catalog.secured_handlers else set())
        | _typing(p.typing for p in handler_params),
        "access": {"ABC", "abstractmethod", "Generic", "PrincipalT"}
        | _typing(p.typing for p in access_params),
        "client": {"Client", "ClientError", "Errors", "EventStream", "StatusError"}
        | {"StreamCall", "StreamInterrupted"}
        | ({"ErrorEventError"} if any(s.error_event for s in catalog.streams) else set())
        | ({"Missed"} if any("Missed" in s.client_union for s in catalog.streams) else set())
        | _typing(p.typing for p in params),
        "publishers": {"Broker", "Iterable", "default_broker"}
        | _typing(p.typing for p in key_params),
    }
    own: dict[str, list[Import]] = {
        "__init__": [
            Import(".events", tuple(catalog.event_exports)),
            Import(".models", tuple(sorted(catalog.defs))),
            Import(".publishers", tuple(s.topic.publisher_class for s in topics if s.topic)),
            Import(".router", ("build_router",)),
            Import(".service", (catalog.service_class,) if handler else ()),
            Import(".access", (catalog.access_class,) if secured_topics else ()),
        ],
        "events": [Import(".models", tuple(catalog.payload_models))],
        "streams": [
            Import(
                ".events",
                tuple(e.class_name for e in catalog.events) + tuple(catalog.headers_classes),
            ),
            Import(".models", tuple(catalog.envelope_models)),
        ],
        "router": [
            Import(
                ".events",
                tuple(s.union_name for s in handler)
                + tuple(s.headers_class for s in handler if s.response_headers),
            ),
            Import(".models", tuple(sorted(set(catalog.body_models) | set(answer_models)))),
            Import(".service", (catalog.service_class,) if handler else ()),
            Import(".access", (catalog.access_class,) if secured_topics else ()),
            Import(
                ".streams",
                tuple(s.const_name for s in handler)
                + tuple(s.topic.const_name for s in topics if s.topic)
                + (("SECURITY_SCHEMES",) if catalog.secured else ()),
            ),
        ],
        "service": [
            Import(
                ".events",
                tuple(
                    name
                    for s in handler
                    for name in (
                        s.union_name,
                        *([s.error_event.class_name] if s.error_event else []),
                        *([s.headers_class] if s.response_headers else []),
                    )
                ),
            ),
            Import(
                ".models",
                tuple(
                    sorted(set(catalog.body_models) | set(handler_envelopes) | set(answer_models))
                ),
            ),
        ],
        "access": [],
        "client": [
            Import(
                ".events",
                tuple(
                    sorted(
                        {e.class_name for s in catalog.streams for e in s.client_events}
                        | {s.error_event.class_name for s in catalog.streams if s.error_event}
                    )
                ),
            ),
            Import(".models", tuple(catalog.body_models)),
            Import(".streams", tuple(s.const_name for s in catalog.streams)),
        ],
        "publishers": [
            Import(".events", tuple(s.union_name for s in topics)),
            Import(".streams", tuple(s.topic.const_name for s in topics if s.topic)),
        ],
    }
    result: dict[str, tuple[Import, ...]] = {}
    for module in ("__init__", *EXTERNAL):
        external = [
            Import(source, tuple(name for name in names if name in used.get(module, set())))
            for source, names in EXTERNAL.get(module, {}).items()
        ]
        result[module] = tuple(i for i in (*external, *own[module]) if i.names)
    return result


def _typing(groups: Iterable[frozenset[str]]) -> set[str]:
    """The `typing` names that annotations use (each IR annotation lists its own)."""
    return {name for group in groups for name in group}
