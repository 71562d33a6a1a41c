"""The TypeScript client of a catalog: `generated/typescript/<package>.ts`, one file, no imports.

The file holds the payload types (JSON Schema as TypeScript types), a
discriminated union per stream (`{ event: "progress"; data: ...; id: ... }`,
`event` being the event's spec name, so variants sharing a wire name stay
apart), one function per stream (camelCase) returning an `EventStream`, and
the client runtime (templates/typescript/runtime.ts), the same in every file.
Spec strings reach the file only as JSON literals (`json.dumps`) or inside
comments with `*/` broken up.

What users see of it: README, "Clients" > "TypeScript".
"""

from __future__ import annotations

import json
import re
from typing import Any

from ssegen import ir

# Names the runtime uses as types: a payload type of that name would shadow them.
_RUNTIME_TYPES = frozenset(
    {
        "AbortSignal",
        "AsyncGenerator",
        "AsyncIterable",
        "ClientError",
        "E",
        "ErrorEventError",
        "EventStream",
        "EventStreamDecoder",
        "HeadersSource",
        "Missed",
        "Promise",
        "RawEvent",
        "RequestCredentials",
        "StatusError",
        "StreamInterrupted",
        "StreamOptions",
    }
)
_IDENTIFIER = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")
_DEFS_REF = "#/$defs/"


def ts_name(name: str) -> str:
    """A payload or event type's TypeScript name: its Python class name, unless that is taken."""
    return f"{name}_" if name in _RUNTIME_TYPES else name


def camel(snake_name: str) -> str:
    head, *rest = snake_name.split("_")
    return head + "".join(word[:1].upper() + word[1:] for word in rest)


def _key(name: str) -> str:
    return name if _IDENTIFIER.match(name) else json.dumps(name)


def comment(text: str) -> str:
    """Spec text inside a `/** ... */` comment, on one line."""
    return " ".join(text.split()).replace("*/", "*\\/")


def ts_type(schema: Any) -> str:
    """The TypeScript type of a JSON Schema (the subset payloads use; anything else: unknown)."""
    if schema is True or schema == {} or not isinstance(schema, dict):
        return "unknown"
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith(_DEFS_REF):
        return ts_name(ref[len(_DEFS_REF) :])
    if "const" in schema:
        return json.dumps(schema["const"])
    if isinstance(schema.get("enum"), list):
        return " | ".join(dict.fromkeys(json.dumps(value) for value in schema["enum"]))
    for combinator, joiner in (("anyOf", " | "), ("oneOf", " | "), ("allOf", " & ")):
        if isinstance(schema.get(combinator), list):
            return joiner.join(f"({ts_type(part)})" for part in schema[combinator])
    kind = schema.get("type")
    if isinstance(kind, list):
        return " | ".join(ts_type({**schema, "type": single}) for single in kind)
    if kind == "object" or (kind is None and "properties" in schema):
        return _object(schema)
    if kind == "array":
        return f"Array<{ts_type(schema.get('items', True))}>"
    return {
        "string": "string",
        "integer": "number",
        "number": "number",
        "boolean": "boolean",
        "null": "null",
    }.get(str(kind), "unknown")


def _object(schema: dict[str, Any]) -> str:
    required = set(schema.get("required", []))
    members = [
        f"{_key(name)}{'' if name in required else '?'}: {ts_type(value)}"
        for name, value in schema.get("properties", {}).items()
    ]
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict) or (extra is None and not members):
        members.append(f"[key: string]: {ts_type(extra if isinstance(extra, dict) else True)}")
    return "{ " + "; ".join(members) + " }" if members else "{ }"


def _data_type(catalog: ir.Catalog, event: ir.Event) -> str | None:
    if event.payload == "none":
        return None
    if event.data_annotation in catalog.defs:
        return ts_name(event.data_annotation)
    return ts_type(event.data_schema or {"type": "string"})


def _route(stream: ir.Stream) -> dict[str, Any]:
    events = []
    for event in stream.events:
        rule: dict[str, Any] = {
            "name": event.name,
            "seenAs": event.seen_as,
            "payload": event.payload,
            "terminal": event.terminal,
            "error": event.error,
        }
        if event.tell.kind != "own":
            rule["tell"] = {
                key: value
                for key, value in (
                    ("kind", event.tell.kind),
                    ("property", event.tell.property),
                    ("value", event.tell.value),
                )
                if value is not None
            }
        events.append(rule)
    return {
        "stream": stream.name,
        "method": stream.http_method,
        "path": stream.path,
        "resumable": stream.ids is not None,
        "hasBody": stream.body is not None,
        "retry": stream.retry,
        "events": events,
    }


def typescript_client(catalog: ir.Catalog, header: str, runtime: str) -> str:
    """The whole `.ts` file of `catalog`."""
    out = [
        header,
        f"/** Typed SSE client of {comment(catalog.title)} {comment(catalog.version)}. */",
        "",
    ]
    out.append("// ---- payload types ----")
    for name, schema in catalog.defs.items():
        out.append(f"export type {ts_name(name)} = {ts_type(schema)};")
    out.append("")
    out.append("// ---- events: one type per event, one union per stream ----")
    for stream in catalog.streams:
        for event in stream.events:
            data = _data_type(catalog, event)
            members = [f"event: {json.dumps(event.name)}"]
            members += [f"data: {data}"] if data is not None else []
            members += ["id: string"]
            if event.summary:
                out.append(f"/** {comment(event.summary)} */")
            out.append(f"export type {ts_name(event.class_name)} = {{ {'; '.join(members)} }};")
        union = " | ".join(ts_name(e.class_name) for e in stream.events)
        out.append(f"export type {ts_name(stream.union_name)} = {union};")
    out.append("")
    out.append("// ---- one function per stream ----")
    for stream in catalog.streams:
        out.extend(_function(catalog, stream))
    out.append("")
    out.append(runtime.rstrip("\n"))
    return "\n".join(out) + "\n"


def _function(catalog: ir.Catalog, stream: ir.Stream) -> list[str]:
    yielded = [ts_name(e.class_name) for e in stream.client_events]
    if stream.topic is not None and stream.ids is not None:
        yielded.append("Missed")
    fields = [
        f"{_key(p.wire_name)}{'?' if p.default_literal is not None else ''}: {ts_type(p.schema)}"
        for p in stream.params
    ]
    if stream.body is not None:
        fields.append(f"body: {_body_type(catalog, stream.body)}")
    groups = {
        location: [p for p in stream.params if p.location == location]
        for location in ("path", "query", "header")
    }
    request = ", ".join(
        f"{'headers' if location == 'header' else location}: {_request_group(params)}"
        for location, params in groups.items()
    )
    if stream.body is not None:
        request += ", body: params.body"
    optional = not any(p.default_literal is None for p in stream.params) and stream.body is None
    signature = "params: { " + "; ".join(fields) + " }" + (" = {}" if optional else "")
    if not fields:
        signature = "params: { [name: string]: never } = {}"
    route = f"_{stream.const_name}_ROUTE"
    lines = [
        f"const {route}: _Route = {json.dumps(_route(stream), indent=2)};",
        f"/** {comment(stream.summary or stream.name)} */",
        f"export function {camel(stream.name)}(",
        "  baseUrl: string,",
        f"  {signature},",
        "  options: StreamOptions = {},",
        f"): EventStream<{' | '.join(yielded)}> {{",
        f"  return _open(baseUrl, {route}, {{ {request} }}, options);",
        "}",
        "",
    ]
    return lines


def _request_group(params: list[ir.Param]) -> str:
    if not params:
        return "{}"
    pairs = ", ".join(f"{_key(p.wire_name)}: params[{json.dumps(p.wire_name)}]" for p in params)
    return "{ " + pairs + " }"


def _body_type(catalog: ir.Catalog, body: ir.Body) -> str:
    return ts_name(body.annotation) if body.annotation in catalog.defs else ts_type(body.schema)
