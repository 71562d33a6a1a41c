"""The OpenAPI 3.2.0 document of every built stream: `generated/openapi.json`.

Shape: shared/design/event-catalog.md. Per stream, one operation whose 200
response is `text/event-stream` with its media type (`itemSchema`, example
frames as `serializedValue`, `x-sse`); the 204 and error responses
the runtime really sends; the Last-Event-ID header and the query fallback of
resumable streams. The document is a pure function of the catalogs, so it is
deterministic: object keys in a fixed order, operations and events in the
order of the specs, components sorted by name.

The media type sits in the operation rather than under `components/mediaTypes`
(new in 3.2): Scalar 1.72 does not follow references to those, and each
stream has exactly one operation, so nothing is repeated.

What users see of it: README, "Event catalog and docs".
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from typing import Any

from ssegen import ir
from ssegen.render import openapi_events as c
from ssegen.render import openapi_runtime as shared
from ssegen.render.markdown import md_code, md_inline
from ssegen.render.wording import listed

OPENAPI_VERSION = "3.2.0"
Document = dict[str, Any]

_NO_CONTENT = "Nothing more to send; do not reconnect (EventSource stops on 204)."
# The stream's declared `empty_status` (MCP answers a notification with 202).
_ACCEPTED = "Accepted, with no event to send: the handler produced none."
_UNAUTHORIZED = "Credentials are missing or were not accepted; nothing was streamed."
_INSUFFICIENT_SCOPE = "The credentials do not grant the scopes the stream needs."
_FOREIGN_INSTANCE = "The caller may not subscribe to this topic instance."


def openapi_document(catalogs: Sequence[ir.Catalog]) -> Document:
    """One OpenAPI 3.2.0 document for `catalogs` (routes are unique: `spec.checks.check_routes`)."""
    shared_ids = _shared_stream_names(catalogs)
    paths: Document = {}
    schemas: dict[str, Any] = {}
    for catalog in catalogs:
        schemas.update(c.payload_schemas(catalog))
        for stream in catalog.streams:
            operation_id = (
                f"{catalog.package}.{stream.name}" if stream.name in shared_ids else stream.name
            )
            operation = _operation(catalog, stream, operation_id)
            paths.setdefault(stream.path, {})[stream.http_method.lower()] = operation
            schemas.update(c.stream_schemas(catalog, stream))
    schemas.update(shared.shared_schemas(shared.referenced({"paths": paths, "schemas": schemas})))
    components: Document = {"schemas": dict(sorted(schemas.items()))}
    schemes = security_schemes(catalogs)
    if schemes:
        components["securitySchemes"] = schemes
    return {
        "openapi": OPENAPI_VERSION,
        "info": _info(catalogs),
        "paths": paths,
        "components": components,
    }


def security_scheme_name(catalog: ir.Catalog, scheme: str) -> str:
    """The component name of a package's scheme: packages may name theirs alike."""
    return f"{catalog.package}.{scheme}"


def security_schemes(catalogs: Sequence[ir.Catalog]) -> Document:
    """The Security Scheme Objects of the schemes the streams use, sorted by name."""
    schemes = {
        security_scheme_name(catalog, scheme.name): scheme.openapi
        for catalog in catalogs
        if catalog.secured
        for scheme in catalog.security_schemes
    }
    return dict(sorted(schemes.items()))


def security(catalog: ir.Catalog, stream: ir.Stream) -> list[Document]:
    """The operation's Security Requirement Objects (`[]`: public, in a package that has some)."""
    return [
        {security_scheme_name(catalog, name): list(scopes) for name, scopes in requirement}
        for requirement in stream.security or ()
    ]


def render_json(document: Document) -> str:
    """Pretty-printed, non-ASCII kept, trailing newline: readable in a pull-request diff."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _info(catalogs: Sequence[ir.Catalog]) -> Document:
    if len(catalogs) == 1:
        only = catalogs[0]
        info: Document = {"title": only.title, "version": only.version}
        if only.description:
            info["description"] = only.description.strip()
        return info
    # Generated Markdown around the spec's: titles made safe for a heading line.
    sections = [
        f"## {md_inline(catalog.title)} {md_inline(catalog.version)}\n\n"
        f"Package {md_code(catalog.package)}, from {md_code(catalog.source)}."
        + (f"\n\n{catalog.description.strip()}" if catalog.description else "")
        for catalog in catalogs
    ]
    return {
        "title": ", ".join(catalog.title for catalog in catalogs),
        "version": ", ".join(f"{catalog.package} {catalog.version}" for catalog in catalogs),
        "description": "\n\n".join(sections),
    }


def _shared_stream_names(catalogs: Sequence[ir.Catalog]) -> set[str]:
    """Stream names used by more than one package: their operationIds get the package prefix."""
    counts = Counter(stream.name for catalog in catalogs for stream in catalog.streams)
    return {name for name, count in counts.items() if count > 1}


def _operation(catalog: ir.Catalog, stream: ir.Stream, operation_id: str) -> Document:
    operation: Document = {"operationId": operation_id}
    if stream.summary:
        operation["summary"] = stream.summary
    if stream.description:
        operation["description"] = stream.description.strip()
    if stream.tags:
        operation["tags"] = list(stream.tags)
    if stream.deprecated:
        operation["deprecated"] = True
    if catalog.secured:
        operation["security"] = security(catalog, stream)
    if stream.params or stream.ids:
        operation["parameters"] = parameters(stream)
    if stream.body is not None:
        body_schema = (
            c.ref(c.schema_name(catalog, stream.body.annotation))
            if stream.body.annotation in catalog.defs
            else c.rewrite(stream.body.schema, catalog)
        )
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": body_schema}},
        }
    operation["responses"] = responses(catalog, stream)
    return operation


def parameters(stream: ir.Stream) -> list[Document]:
    """The stream's own parameters, then the resume position (header, then query fallback)."""
    return [_parameter(param) for param in stream.params] + _resume_parameters(stream)


def _parameter(param: ir.Param) -> Document:
    parameter: Document = {"name": param.wire_name, "in": param.location}
    if param.description:
        parameter["description"] = param.description
    # The IR's rule: a parameter without a default (path, or `required: true`) must be sent.
    parameter["required"] = param.default_literal is None
    parameter["schema"] = {
        key: value for key, value in param.schema.items() if key != "description"
    }
    return parameter


def _resume_parameters(stream: ir.Stream) -> list[Document]:
    if stream.ids is None:
        return []
    # The runtime's parser (ssegen.runtime.resume): ASCII digits, at most 19 of them.
    schema: Document = (
        {"type": "string", "pattern": "^[0-9]{1,19}$"}
        if stream.ids == "sequence"
        else {"type": "string"}
    )
    parameters: list[Document] = [
        {
            "name": "Last-Event-ID",
            "in": "header",
            "description": "The id of the last event received; the stream resumes after it. "
            "EventSource sends it when it reconnects.",
            "required": False,
            "schema": schema,
        }
    ]
    if stream.resume_query:
        parameters.append(
            {
                "name": stream.resume_query,
                "in": "query",
                "description": "Used when the Last-Event-ID header is absent.",
                "required": False,
                "schema": dict(schema),
            }
        )
    return parameters


def _refusal(catalog: ir.Catalog, stream: ir.Stream, description: str) -> Document:
    """An error response before the stream: the declared envelope, else an RFC 9457 problem."""
    if stream.errors is None:
        content = {"application/problem+json": {"schema": c.ref(shared.PROBLEM)}}
    else:
        model = c.ref(c.schema_name(catalog, stream.errors.model))
        content = {"application/json": {"schema": model}}
    return {"description": description, "content": content}


def responses(catalog: ir.Catalog, stream: ir.Stream) -> Document:
    """What the runtime answers, by status: the stream, 204, and the errors it can send."""
    responses: Document = {
        "200": {
            "description": stream_description(stream),
            "content": {"text/event-stream": c.media_type(catalog, stream)},
        }
    }
    if stream.answer is not None:
        answer = c.ref(c.schema_name(catalog, stream.answer.model))
        responses["200"]["content"]["application/json"] = {"schema": answer}
        responses["200"]["description"] += " " + answer_description(stream.answer)
    headers = response_headers(catalog, stream)
    if headers:
        responses["200"]["headers"] = headers
    if stream.topic is None and stream.empty_status != 204:
        responses[str(stream.empty_status)] = {"description": _ACCEPTED}
    if (stream.topic is None and stream.empty_status == 204) or (
        stream.topic is not None and stream.terminal_events
    ):
        responses["204"] = {"description": _NO_CONTENT}
    # Each error status with every reason the runtime (or the spec) gives for it.
    reasons: dict[int, list[str]] = {}
    if stream.ids:
        reasons.setdefault(400, []).append(
            "The Last-Event-ID header or query parameter is not an id of this stream."
        )
    if stream.max_body is not None:
        reasons.setdefault(400, []).append(
            "The body has a number that is not finite (NaN, Infinity, 1e999)."
        )
        reasons.setdefault(413, []).append(
            f"The body is larger than {stream.max_body} bytes; it was not read."
        )
    if stream.params or stream.body is not None:
        validation = stream.errors.validation if stream.errors else 422
        reasons.setdefault(validation, []).append("The parameters or the body do not validate.")
    if stream.security is not None:
        reasons.setdefault(401, []).append(_UNAUTHORIZED)
        if any(scopes for requirement in stream.security for _, scopes in requirement):
            reasons.setdefault(403, []).append(_INSUFFICIENT_SCOPE)
        if stream.topic is not None:
            reasons.setdefault(403, []).append(_FOREIGN_INSTANCE)
    for status, description in stream.errors.statuses if stream.errors else ():
        reasons.setdefault(status, []).append(description)
    for status in sorted(reasons):
        responses[str(status)] = _refusal(catalog, stream, " ".join(reasons[status]))
    if "401" in responses and stream.security is not None:
        responses["401"]["headers"] = {
            "WWW-Authenticate": {
                "description": "A challenge for each scheme the stream accepts (RFC 9110).",
                "schema": {"type": "string"},
            }
        }
    responses["default"] = _refusal(
        catalog, stream, "An error before the first event, such as 500 when the server fails."
    )
    return responses


def answer_description(answer: ir.Answer) -> str:
    """When a stream gives its JSON answer instead of its events."""
    when = (
        "the request's `Accept` prefers `application/json` to `text/event-stream`"
        if answer.when == "accept"
        else f"the body's `{answer.member}` is not `true`"
    )
    return f"One `application/json` object instead, when {when}."


def response_headers(catalog: ir.Catalog, stream: ir.Stream) -> Document:
    """The headers the handler may set (`response_headers`), sent when set."""
    headers: Document = {}
    for header in stream.response_headers:
        schema = {k: v for k, v in header.schema.items() if k != "description"}
        entry: Document = {"schema": c.rewrite(schema, catalog)}
        if header.description:
            entry = {"description": header.description, **entry}
        headers[header.wire_name] = entry
    return headers


def _names(names: Sequence[str], last: str = "and") -> str:
    return listed(names, last, md_code)


def stream_description(stream: ir.Stream) -> str:
    """What the 200 response carries, naming every event (viewers that ignore `itemSchema` show it)."""
    events = _names([event.name for event in stream.events])
    text = f"A stream of {events} events."
    if stream.topic is not None:
        text = f"The topic's {events} events, as they are published."
    terminal = [event.name for event in stream.terminal_events]
    if terminal:
        text += f" It ends after {_names(terminal, 'or')}."
    if stream.error_event is not None and stream.topic is None:
        text += f" A failure after the start is sent as `{stream.error_event.name}`."
    return text
