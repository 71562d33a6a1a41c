"""Checks of one spec that span several fields (spec-format.md, "Meanings").

Each check records a diagnostic at the most precise position it has and goes
on, so that one run reports every problem of a file.
"""

from __future__ import annotations

import keyword
import re

from ssegen.spec.loader import Document
from ssegen.spec.model import (
    EVENT_NAME,
    HEADER_NAME,
    PARAM_NAME,
    SCHEMA_NAME,
    STREAM_NAME,
    WIRE_NAME,
    Spec,
    Stream,
)
from ssegen.spec.security_checks import check_security

_PATH_PARAM = re.compile(r"\{([^{}]*)\}")
_BODYLESS = ("GET",)
# What the runtime and the server set for every stream (ssegen.runtime.response, RFC 9112).
RUNTIME_HEADERS = frozenset(
    {
        "cache-control",
        "connection",
        "content-encoding",
        "content-length",
        "content-type",
        "date",
        "server",
        "transfer-encoding",
        "x-accel-buffering",
    }
)


def check_spec(doc: Document, spec: Spec) -> None:
    if spec.package is not None and (
        not spec.package.isidentifier() or keyword.iskeyword(spec.package)
    ):
        doc.error(
            ("package",), f"package '{spec.package}' must be a valid, non-keyword Python identifier"
        )
    elif spec.package is not None and spec.package.startswith("__"):
        # `__class__`, `__init__`, ...: names Python gives modules and packages themselves.
        doc.error(("package",), f"package '{spec.package}' must not start with '__'")
    for name in spec.schemas:
        if not SCHEMA_NAME.match(name):
            doc.error(
                ("schemas", name),
                f"schema name '{name}' must match {SCHEMA_NAME.pattern}",
                key=True,
            )
    for name, stream in spec.streams.items():
        if not STREAM_NAME.match(name):
            doc.error(
                ("streams", name),
                f"stream name '{name}' must match {STREAM_NAME.pattern}",
                key=True,
            )
        _check_stream(doc, name, stream)
    check_security(doc, spec)


Routes = dict[tuple[str, str], tuple[str, str]]
"""(method, route key) -> (spec path, stream name) of the first stream that serves it."""


def check_routes(doc: Document, spec: Spec, routes: Routes) -> None:
    """Two streams on one method and path, in one file or across the files of a run.

    The one route-conflict rule: FastAPI would serve only the first, and the one
    OpenAPI document of a run could not describe both (templated paths match
    whatever their parameters are called). `routes` is shared by every file.
    """
    own: dict[tuple[str, str], str] = {}
    for name, stream in spec.streams.items():
        loc = ("streams", name, "path")
        route = (stream.method, route_key(stream.path))
        if route in own:
            doc.error(
                loc, f"streams '{own[route]}' and '{name}' both serve {stream.method} {stream.path}"
            )
        own.setdefault(route, name)
        owner_path, owner = routes.setdefault(route, (doc.path, name))
        if owner_path != doc.path:
            doc.error(
                loc,
                f"stream '{owner}' of {owner_path} already serves {stream.method} {stream.path};"
                " the event catalog describes both files, so each route needs its own path",
            )


def route_key(path: str) -> str:
    """A path as routing sees it: `/jobs/{id}` and `/jobs/{job_id}` are one route."""
    return _PATH_PARAM.sub("{}", path)


def _check_stream(doc: Document, name: str, stream: Stream) -> None:
    loc = ("streams", name)
    _check_path(doc, name, stream)
    for where, pattern in (("path", PARAM_NAME), ("query", PARAM_NAME), ("header", HEADER_NAME)):
        for param in getattr(stream.params, where):
            if not pattern.match(param):
                doc.error(
                    (*loc, "params", where, param),
                    f"{where} parameter name '{param}' must match {pattern.pattern}",
                    key=True,
                )
    if stream.body is not None and stream.method in _BODYLESS:
        doc.error(
            (*loc, "body"),
            f"a {stream.method} stream cannot have a body: use POST, PUT or PATCH",
            key=True,
        )
    if stream.topic is not None and "empty_status" in stream.model_fields_set:
        doc.error(
            (*loc, "empty_status"),
            f"'empty_status' is the answer of a handler with nothing to send, and stream "
            f"'{name}' is a topic: its subscribers get 204 once the instance has ended",
            key=True,
        )
    for header in stream.response_headers:
        spot = (*loc, "response_headers", header)
        if not HEADER_NAME.match(header):
            doc.error(
                spot, f"response header name '{header}' must match {HEADER_NAME.pattern}", key=True
            )
        elif header.lower() in RUNTIME_HEADERS:
            doc.error(
                spot,
                f"response header '{header}' is the runtime's own: it frames the stream",
                key=True,
            )
    if stream.answer is not None and stream.topic is not None:
        doc.error(
            (*loc, "answer"),
            f"stream '{name}' is a topic: no handler runs per subscriber to give a JSON answer",
            key=True,
        )
    if (
        stream.answer is not None
        and not isinstance(stream.answer.when, str)
        and stream.body is None
    ):
        doc.error(
            (*loc, "answer", "when"),
            f"the JSON answer is chosen by a body member, and stream '{name}' has no 'body'",
        )
    if stream.response_headers and stream.topic is not None:
        doc.error(
            (*loc, "response_headers"),
            f"stream '{name}' is a topic: no handler runs per subscriber to set response headers",
            key=True,
        )
    if stream.max_body is not None and stream.body is None:
        doc.error(
            (*loc, "max_body"),
            f"'max_body' limits the request body, and stream '{name}' has no 'body'",
            key=True,
        )
    if stream.resume and stream.resume.query and stream.resume.query in stream.params.query:
        doc.error(
            (*loc, "resume", "query"),
            f"resume query parameter '{stream.resume.query}' is already declared under params.query",
        )
    errors = [event for event, spec in stream.events.items() if spec.error]
    for extra in errors[1:]:
        doc.error(
            (*loc, "events", extra, "error"),
            f"stream '{name}' declares more than one error event ('{errors[0]}' and '{extra}')",
        )
    for event_name, event in stream.events.items():
        event_loc = (*loc, "events", event_name)
        if not EVENT_NAME.match(event_name):
            doc.error(
                event_loc, f"event name '{event_name}' must match {EVENT_NAME.pattern}", key=True
            )
        elif event_name.startswith("ssegen."):
            # The runtime's own events (`ssegen.missed` on topics) live under this prefix.
            doc.error(
                event_loc,
                f"event names starting with 'ssegen.' are reserved: '{event_name}'",
                key=True,
            )
        wire_name = event.wire_name(event_name)
        if event.name is not None and not WIRE_NAME.match(event.name):
            doc.error(
                (*event_loc, "name"),
                f"event '{event_name}': the name {event.name!r} must be 1 to 128 printable ASCII "
                "characters without a space at either end (or null: no `event:` line)",
            )
        elif wire_name is not None and wire_name != event_name and wire_name.startswith("ssegen."):
            doc.error(
                (*event_loc, "name"),
                f"event names starting with 'ssegen.' are reserved: '{wire_name}'",
            )
        if event.data is not None and event.text is not None:
            doc.error(
                event_loc, f"event '{event_name}' has both 'data' and 'text': choose one", key=True
            )
        if event.text is not None and event.text is not True and not isinstance(event.text, dict):
            doc.error(
                (*event_loc, "text"),
                "'text' must be true or a string schema such as {const: '[DONE]'}",
            )
    if stream.topic is not None:
        _check_topic(doc, name, stream)


def _check_path(doc: Document, name: str, stream: Stream) -> None:
    loc = ("streams", name)
    used = _PATH_PARAM.findall(stream.path)
    if stream.path.count("{") != len(used) or stream.path.count("}") != len(used):
        doc.error((*loc, "path"), f"path '{stream.path}' has unbalanced braces")
    declared = stream.params.path
    for param in used:
        if used.count(param) > 1:
            doc.error(
                (*loc, "path"),
                f"path parameter '{param}' appears more than once in '{stream.path}'",
            )
        elif param not in declared:
            doc.error((*loc, "path"), f"path parameter '{param}' is not declared under params.path")
    for param in declared:
        if param not in used:
            doc.error(
                (*loc, "params", "path", param),
                f"path parameter '{param}' is declared but not used in path '{stream.path}'",
                key=True,
            )


def _check_topic(doc: Document, name: str, stream: Stream) -> None:
    loc = ("streams", name, "topic")
    assert stream.topic is not None
    if stream.method != "GET":
        doc.error(
            ("streams", name, "method"),
            "a topic stream is subscribed to with GET (EventSource only sends GET)",
        )
    if stream.body is not None:
        doc.error(("streams", name, "body"), "a topic stream cannot have a body", key=True)
    if stream.resume is not None and stream.resume.ids == "handler":
        doc.error(
            ("streams", name, "resume", "ids"),
            "a topic stream's ids are assigned by the broker: use 'ids: sequence'",
        )
    known = {**stream.params.path, **stream.params.query}
    for i, key in enumerate(stream.topic.key or []):
        if key not in known:
            doc.error(
                (*loc, "key", i), f"topic key '{key}' is not a path or query parameter of '{name}'"
            )
