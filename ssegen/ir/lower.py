"""Lower a checked spec to the IR: decide every Python name and type once.

Python names come from `naming.py`; two spec names that become one Python
name are an error at the second one's position (spec-format.md). Every spec
value placed in code is turned into a Python literal here with `repr()`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from typing import Any

from ssegen import ir
from ssegen.ir.envelope import lower_errors
from ssegen.ir.imports import BUILD_ROUTER_LOCALS, RESERVED, module_imports
from ssegen.ir.naming import constant, pascal, snake
from ssegen.ir.nested import hoist_nested, omit_none
from ssegen.ir.params import lower_param
from ssegen.ir.refs import Resolver, reaches_unresolved
from ssegen.ir.security import (
    ROUTER_PARAMETERS,
    lower_schemes,
    requirements_literal,
    stream_security,
)
from ssegen.ir.variants import tell_variants
from ssegen.spec.loader import Document, Loc
from ssegen.spec.model import Errors, Event, Spec, Stream
from ssegen.spec.patterns import is_valid_schema, spec_validator
from ssegen.spec.schema_walk import defs_name, resolve
from ssegen.text import one_line, pyliteral
from ssegen.wire import DEFAULT_EMPTY_STATUS, DEFAULT_KEEP, DEFAULT_KEEPALIVE, DEFAULT_MAX_BODY


class _Names:
    """One namespace of generated names; a second claim of a name is an error."""

    def __init__(self, doc: Document, what: str, reserved: frozenset[str] = RESERVED) -> None:
        self.doc = doc
        self.what = what
        self.reserved = reserved
        self.owners: dict[str, str] = {}

    def claim(self, name: str, owner: str, loc: Loc) -> str:
        if name in self.reserved:
            self.doc.error(
                loc,
                f"{owner} becomes Python name '{name}', which generated code reserves",
                key=True,
            )
        elif name in self.owners:
            self.doc.error(
                loc,
                f"{owner} and {self.owners[name]} both become Python {self.what} '{name}'",
                key=True,
            )
        else:
            self.owners[name] = owner
        return name


def lower(doc: Document, spec: Spec, resolver: Resolver, package: str, source: str) -> ir.Catalog:
    classes = _Names(doc, "name")
    for name, schema in spec.schemas.items():
        classes.claim(pascal(name), f"schema '{name}'", ("schemas", name))
        resolver.add_local(name, schema)
    prefix = pascal(package)
    service_class = classes.claim(f"{prefix}Service", f"package '{package}'", ("package",))
    # Route functions are defined inside build_router: they must not hide its locals.
    methods = _Names(doc, "method", RESERVED | BUILD_ROUTER_LOCALS)
    constants = _Names(doc, "constant")
    stems = _event_stems(spec, set(classes.owners))
    keywords = _Names(doc, "parameter of build_router", RESERVED | ROUTER_PARAMETERS)
    schemes = lower_schemes(spec, keywords.claim)
    errors = None
    if spec.errors is not None:
        errors = _errors(
            doc, resolver, classes, spec.errors, f"{prefix}ErrorBody", f"package '{package}'", ()
        )
    streams = tuple(
        _stream(doc, name, stream, resolver, classes, methods, constants, stems, errors, spec)
        for name, stream in spec.streams.items()
    )
    access_class = f"{prefix}Access"
    if any(s.security is not None and s.topic is not None for s in streams):
        classes.claim(access_class, f"package '{package}'", ("package",))
    client, client_error, status_error, interrupted_error = (
        classes.claim(f"{prefix}{suffix}", f"the client of package '{package}'", ("package",))
        for suffix in ("Client", "ClientError", "StatusError", "StreamInterrupted")
    )
    resolver.check_cycles()
    defs = hoist_nested(resolver.defs, set(classes.owners) | RESERVED)
    catalog = ir.Catalog(
        package=package,
        source=source,
        title=spec.info.title,
        version=spec.info.version,
        description=spec.info.description,
        service_class=service_class,
        defs=defs,
        streams=streams,
        omit_none=omit_none(defs),
        security_schemes=schemes,
        access_class=access_class,
        client_class=client,
        client_error=client_error,
        status_error=status_error,
        interrupted_error=interrupted_error,
    )
    return replace(catalog, imports=module_imports(catalog))


def _event_class(stem: str) -> str:
    """`Progress` -> `ProgressEvent`: an event class never reads like an exception (`Error`)."""
    return stem if stem.endswith("Event") else f"{stem}Event"


def _event_stems(spec: Spec, taken: set[str]) -> dict[tuple[str, str], str]:
    """The stem of each event's class names: the event's own name, prefixed with its stream's
    only where the short name would collide (two streams with a `done` event, or a schema,
    union, body or publisher of that name), so names do not stutter (`AnnouncementEvent`,
    not `AnnouncementsAnnouncement`)."""
    fixed = set(taken) | RESERVED
    for name in spec.streams:
        prefix = pascal(name)
        fixed |= {f"{prefix}Event", f"{prefix}Body", f"{prefix}Publisher"}
    shorts = Counter(
        short
        for stream in spec.streams.values()
        for event_name in stream.events
        for short in _stem_names(pascal(event_name))
    )
    return {
        (name, event_name): (
            pascal(event_name)
            if all(
                shorts[short] == 1 and short not in fixed
                for short in _stem_names(pascal(event_name))
            )
            else pascal(name) + pascal(event_name)
        )
        for name, stream in spec.streams.items()
        for event_name in stream.events
    }


def _stem_names(stem: str) -> tuple[str, str]:
    return _event_class(stem), f"{stem}Data"


def _stream(
    doc: Document,
    name: str,
    stream: Stream,
    resolver: Resolver,
    classes: _Names,
    methods: _Names,
    constants: _Names,
    stems: dict[tuple[str, str], str],
    errors: ir.Errors | None,
    spec: Spec,
) -> ir.Stream:
    loc: Loc = ("streams", name)
    owner = f"stream '{name}'"
    prefix = pascal(name)
    method_name = methods.claim(snake(name), owner, loc)
    route_function = method_name
    if stream.topic is not None:
        # It returns the key tuple, so it is not named like the stream it serves.
        route_function = methods.claim(
            f"{snake(name).rstrip('_')}_key", f"the key function of {owner}", loc
        )
    error_hook = methods.claim(
        f"{snake(name).rstrip('_')}_error", f"the error hook of {owner}", loc
    )
    if stream.errors is not None:
        errors = _errors(doc, resolver, classes, stream.errors, f"{prefix}ErrorBody", owner, loc)
    problem_hook = f"{snake(name).rstrip('_')}_problem"
    security = stream_security(spec, stream)
    call_const = constants.claim(f"_{constant(name)}", f"the client call of {owner}", loc)
    failed_class = f"{prefix}Failed"
    if any(event.error for event in stream.events.values()):
        classes.claim(failed_class, f"the error event exception of {owner}", loc)
    access_hook = f"authorize_{snake(name).rstrip('_')}"
    if security is not None and stream.topic is not None:
        methods.claim(access_hook, f"the authorization of {owner}", loc)
    if errors is not None and stream.topic is None:
        methods.claim(problem_hook, f"the problem hook of {owner}", loc)
    params = _params(doc, name, stream, resolver)
    response_headers = _response_headers(doc, name, stream, resolver)
    answer = None
    if stream.answer is not None and stream.topic is None:
        answer = _answer(doc, name, stream, resolver, classes, methods, f"{prefix}Answer")
    headers_class = f"{prefix}Headers"
    if response_headers:
        classes.claim(headers_class, f"the response headers of {owner}", (*loc, "response_headers"))
    body = None
    if stream.body is not None:
        annotation = _model(
            doc,
            resolver,
            classes,
            stream.body,
            f"{prefix}Body",
            f"the body of {owner}",
            (*loc, "body"),
        )
        body = ir.Body(annotation, resolver.rewrite(doc, stream.body, (*loc, "body")))
    events = tell_variants(
        doc,
        name,
        stream.discriminator,
        [
            _event(doc, name, event_name, event, resolver, classes, stems[name, event_name])
            for event_name, event in stream.events.items()
        ],
        resolver.defs,
    )
    topic = None
    if stream.topic is not None:
        key_names = stream.topic.key if stream.topic.key is not None else list(stream.params.path)
        key = tuple(
            p for k in key_names for p in params if p.wire_name == k and p.location != "header"
        )
        topic = ir.Topic(
            const_name=constants.claim(f"{constant(name)}_TOPIC", f"the topic of {owner}", loc),
            publisher_class=classes.claim(f"{prefix}Publisher", f"the publisher of {owner}", loc),
            key=key,
            key_tuple=_key_tuple(key),
            keep=stream.topic.keep,
            ttl=stream.topic.ttl,
            spec_options=_options(
                ("key", tuple(p.wire_name for p in key), ()),
                ("keep", stream.topic.keep, DEFAULT_KEEP),
                ("ttl", None if stream.topic.ttl is None else float(stream.topic.ttl), None),
            ),
        )
    keepalive = float(stream.keepalive)
    ids = stream.resume.ids if stream.resume else None
    resume_query = stream.resume.query if stream.resume else None
    max_body = (stream.max_body or DEFAULT_MAX_BODY) if body is not None else None
    error = next((event for event in events if event.error), None)
    return ir.Stream(
        name=name,
        method_name=method_name,
        route_function=route_function,
        error_hook=error_hook,
        problem_hook=problem_hook,
        const_name=constants.claim(constant(name), owner, loc),
        union_name=classes.claim(f"{prefix}Event", f"the event union of {owner}", loc),
        http_method=stream.method,
        path=stream.path,
        summary=stream.summary,
        description=stream.description,
        tags=tuple(stream.tags),
        deprecated=stream.deprecated,
        params=params,
        body=body,
        max_body=max_body,
        retry=stream.retry,
        keepalive=keepalive,
        empty_status=stream.empty_status,
        ids=ids,
        resume_query=resume_query,
        events=events,
        topic=topic,
        discriminator=stream.discriminator,
        errors=errors,
        answer=answer,
        response_headers=response_headers,
        headers_class=headers_class,
        security=security,
        access_hook=access_hook,
        call_const=call_const,
        failed_class=failed_class,
        spec_options=_options(
            ("retry", stream.retry, None),
            ("keepalive", keepalive, DEFAULT_KEEPALIVE),
            ("empty_status", stream.empty_status, DEFAULT_EMPTY_STATUS),
            ("ids", ids, None),
            ("resume_query", resume_query, None),
            ("max_body", DEFAULT_MAX_BODY if max_body is None else max_body, DEFAULT_MAX_BODY),
        )
        + ((("error", error.class_name),) if error is not None else ())
        + ((("errors", errors.format_literal),) if errors is not None else ())
        + ((("headers", headers_class),) if response_headers else ())
        + ((("security", requirements_literal(security)),) if security is not None else ()),
    )


def _answer(
    doc: Document,
    name: str,
    stream: Stream,
    resolver: Resolver,
    classes: _Names,
    methods: _Names,
    class_name: str,
) -> ir.Answer:
    """The IR of a stream's JSON answer; a body member that chooses it must be a boolean."""
    assert stream.answer is not None
    loc: Loc = ("streams", name, "answer")
    owner = f"the JSON answer of stream '{name}'"
    model = _model(doc, resolver, classes, stream.answer.data, class_name, owner, (*loc, "data"))
    method = methods.claim(
        f"{snake(name).rstrip('_')}_answer", f"the answer method of stream '{name}'", loc
    )
    when = stream.answer.when
    if isinstance(when, str):
        return ir.Answer(model, "accept", None, method)
    if stream.body is not None:
        body = resolve(resolver.rewrite(doc, stream.body, ("streams", name, "body")), resolver.defs)
        properties = body.get("properties")
        member = properties.get(when.body) if isinstance(properties, dict) else None
        kind = resolve(member, resolver.defs).get("type") if isinstance(member, dict) else None
        if kind != "boolean":
            doc.error(
                (*loc, "when", "body"),
                f"the body of stream '{name}' has no boolean member '{when.body}' to choose the "
                "JSON answer by",
            )
    return ir.Answer(model, "body", when.body, method)


def _response_headers(
    doc: Document, stream_name: str, stream: Stream, resolver: Resolver
) -> tuple[ir.Param, ...]:
    """The response headers as optional header parameters: their Python names and types."""
    names = _Names(doc, "response header name")
    result = []
    for wire_name, schema in stream.response_headers.items():
        loc: Loc = ("streams", stream_name, "response_headers", wire_name)
        rewritten = resolver.rewrite(doc, schema, loc)
        param = lower_param(doc, "header", wire_name, rewritten, loc)
        if param is None:
            continue
        if param.annotation.startswith("list["):
            doc.error(loc, "a response header is one value: a string, integer, number or boolean")
            continue
        names.claim(param.py_name, f"response header '{wire_name}'", loc)
        result.append(param)
    return tuple(result)


def _errors(
    doc: Document,
    resolver: Resolver,
    classes: _Names,
    errors: Errors,
    name: str,
    owner: str,
    loc: Loc,
) -> ir.Errors:
    """The IR of an `errors:` section: its envelope model, base and fill."""
    where = (*loc, "errors")
    model = _model(
        doc,
        resolver,
        classes,
        errors.schema_,
        name,
        f"the error envelope of {owner}",
        (*where, "schema"),
    )
    return lower_errors(doc, errors, model, resolver.defs, where)


def _params(
    doc: Document, stream_name: str, stream: Stream, resolver: Resolver
) -> tuple[ir.Param, ...]:
    names = _Names(doc, "parameter name")
    result = []
    for location in ("path", "query", "header"):
        for wire_name, schema in getattr(stream.params, location).items():
            loc: Loc = ("streams", stream_name, "params", location, wire_name)
            required, schema = _split_required(doc, location, schema, loc)
            rewritten = resolver.rewrite(doc, schema, loc)
            param = lower_param(doc, location, wire_name, rewritten, loc, required=required)
            if param is not None:
                names.claim(param.py_name, f"{location} parameter '{wire_name}'", loc)
                result.append(param)
    return tuple(result)


def _split_required(doc: Document, location: str, schema: Any, loc: Loc) -> tuple[bool, Any]:
    """ssegen's `required: true` on a query or header parameter, and the schema without it."""
    if not isinstance(schema, dict) or "required" not in schema:
        return False, schema
    rest = {key: value for key, value in schema.items() if key != "required"}
    flag = schema["required"]
    if not isinstance(flag, bool) or location == "path":
        doc.error(
            (*loc, "required"),
            "'required' on a parameter is true or false (path parameters are always required)",
            key=True,
        )
        return False, rest
    return flag, rest


def _event(
    doc: Document,
    stream_name: str,
    name: str,
    event: Event,
    resolver: Resolver,
    classes: _Names,
    stem: str,
) -> ir.Event:
    loc: Loc = ("streams", stream_name, "events", name)
    owner = f"event '{name}' of stream '{stream_name}'"
    class_name = classes.claim(_event_class(stem), owner, loc)
    payload: ir.Payload = "none"
    annotation = default = schema = None
    typing_names: frozenset[str] = frozenset()
    if event.data is not None:
        payload = "json"
        annotation = _model(
            doc,
            resolver,
            classes,
            event.data,
            f"{stem}Data",
            f"the data of {owner}",
            (*loc, "data"),
        )
        schema = resolver.rewrite(doc, event.data, (*loc, "data"))
        if annotation in resolver.defs and _needs_no_arguments(resolver.defs[annotation], resolver):
            # `PingEvent()`: a payload whose every required member has a const or a default.
            default = f"field(default_factory={annotation})"
    elif event.text is not None:
        payload = "text"
        schema = (
            {"type": "string"}
            if event.text is True
            else resolver.rewrite(doc, event.text, (*loc, "text"))
        )
        annotation, default, typing_names = _text_annotation(doc, schema, (*loc, "text"))
    examples = tuple(event.examples or ())
    _check_examples(doc, resolver, payload, schema, examples, (*loc, "examples"))
    return ir.Event(
        name=name,
        wire_name=event.wire_name(name),
        class_name=class_name,
        payload=payload,
        data_annotation=annotation,
        typing=typing_names,
        data_default_literal=default,
        data_schema=schema,
        summary=event.summary,
        description=event.description,
        examples=examples,
        terminal=event.terminal or event.error,
        error=event.error,
        deprecated=event.deprecated,
    )


def _model(
    doc: Document, resolver: Resolver, classes: _Names, schema: Any, name: str, owner: str, loc: Loc
) -> str:
    """The model class of a payload or body: the referenced schema's, or a new one."""
    if isinstance(schema, dict) and set(schema) == {"$ref"}:
        return defs_name(resolver.rewrite(doc, schema, loc)) or "Any"
    classes.claim(name, owner, loc)
    resolver.defs[name] = resolver.rewrite(doc, schema, loc)
    return name


_LITERAL = frozenset({"Literal"})


def _needs_no_arguments(schema: Any, resolver: Resolver) -> bool:
    """Whether the model of an object schema builds without arguments (each required member
    has a const, which becomes its default, or a default)."""
    schema = resolve(schema, resolver.defs)
    if schema.get("type") != "object" or "allOf" in schema or "$ref" in schema:
        return False
    properties = schema.get("properties", {})
    required = schema.get("required", [])
    if not isinstance(properties, dict) or not isinstance(required, list):
        return False
    for name in required:
        member = properties.get(name) if isinstance(name, str) else None
        if not isinstance(member, dict):
            return False
        member = resolve(member, resolver.defs)
        if not ("const" in member or "default" in member):
            return False
    return True


def _options(*options: tuple[str, Any, Any]) -> tuple[tuple[str, str], ...]:
    """(name, Python literal) of each option whose value is not the runtime's default."""
    return tuple((name, pyliteral(value)) for name, value, default in options if value != default)


def _key_tuple(key: tuple[ir.Param, ...]) -> str:
    """The instance key, `(user_id, str(page),)`: topic keys are strings on every broker."""
    parts = "".join(f"{p.py_name}," if p.annotation == "str" else f"str({p.py_name})," for p in key)
    return f"({parts})"


def _text_annotation(
    doc: Document, schema: dict[str, Any], loc: Loc
) -> tuple[str, str | None, frozenset[str]]:
    """The data annotation of a text event, its default (a const) and the `typing` names used."""
    if schema.get("type", "string") != "string":
        doc.error(loc, "a text payload's schema must be a string schema")
    if "const" in schema:
        if not isinstance(schema["const"], str):
            doc.error(loc, "a text payload's const must be a string")
            return "str", None, frozenset()
        return f"Literal[{schema['const']!r}]", repr(schema["const"]), _LITERAL
    if "enum" in schema:
        values = schema["enum"]
        if (
            not isinstance(values, list)
            or not values
            or not all(isinstance(v, str) for v in values)
        ):
            doc.error(loc, "a text payload's enum must be a list of strings")
            return "str", None, frozenset()
        return "Literal[" + ", ".join(repr(v) for v in values) + "]", None, _LITERAL
    return "str", None, frozenset()


_EXAMPLE_ERRORS = 20  # per example: enough to fix it, never a wall of text


def _check_examples(
    doc: Document,
    resolver: Resolver,
    payload: str,
    schema: dict[str, Any] | None,
    examples: tuple[Any, ...],
    loc: Loc,
) -> None:
    if payload == "none":
        if examples:
            doc.error(loc, "an event without a payload cannot have examples", key=True)
        return
    assert schema is not None
    if not is_valid_schema(schema) or reaches_unresolved(schema, resolver.defs):
        return  # reported at the schema; its examples cannot be checked against it
    validator = spec_validator({**schema, "$defs": resolver.defs})
    for i, example in enumerate(examples):
        try:
            # Every error of the example, not the first: the user fixes them in one pass.
            errors = sorted(
                validator.iter_errors(example),
                key=lambda e: (tuple(str(p) for p in e.absolute_path), e.message),
            )
        except Exception as exc:  # noqa: BLE001 - a broken schema was reported already; say why the example can't be checked
            doc.error((*loc, i), f"example cannot be checked: {one_line(exc)}")
            continue
        for error in errors[:_EXAMPLE_ERRORS]:
            where = (*loc, i, *error.absolute_path)
            doc.error(
                where, f"example does not match the payload schema: {one_line(error.message)}"
            )
        if len(errors) > _EXAMPLE_ERRORS:
            doc.error((*loc, i), f"... and {len(errors) - _EXAMPLE_ERRORS} more errors")
