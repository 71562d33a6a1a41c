"""The parts of the OpenAPI document that describe events: payload and frame schemas, media types.

Component names are namespaced so that nothing can clash, inside a package or
across packages: `jobs.Problem` (a payload model, named as its Python class),
`jobs.job_events` (the frame union of a stream),
`jobs.job_events.progress` (one event's frame), `ssegen.Problem` (what the
runtime itself sends). Python class names start with a capital or `_`,
stream names with a lowercase letter and never contain a dot, so the three
kinds cannot meet; all of them match the `^[a-zA-Z0-9._-]+$` that OpenAPI
requires of component names.

The frame shape follows OpenAPI 3.2.0, "Special Considerations for
Server-Sent Events": an `itemSchema` whose items are the fields of one event,
here one `oneOf` branch per event with the event name as `const` and the
payload described by `contentMediaType`/`contentSchema` (JSON Schema 2020-12,
section 8).
"""

from __future__ import annotations

from typing import Any

from ssegen import ir
from ssegen.render.frames import example_frames
from ssegen.render.wording import number
from ssegen.spec.schema_walk import defs_name
from ssegen.wire import MISSED_EVENT

Schema = dict[str, Any]

MISSED = "ssegen.Missed"  # the branch of `ssegen.missed` (openapi_runtime.py)
# Keywords whose values are data, not subschemas: a `$ref` key inside them is not a reference.
_DATA_KEYWORDS = frozenset({"const", "enum", "default", "examples", "example"})
COMPONENTS = "#/components/schemas/"


def ref(name: str) -> Schema:
    return {"$ref": COMPONENTS + name}


def schema_name(catalog: ir.Catalog, class_name: str) -> str:
    return f"{catalog.package}.{class_name}"


def stream_name(catalog: ir.Catalog, stream: ir.Stream) -> str:
    return f"{catalog.package}.{stream.name}"


def event_name(catalog: ir.Catalog, stream: ir.Stream, event: ir.Event) -> str:
    return f"{catalog.package}.{stream.name}.{event.name}"


def rewrite(schema: Any, catalog: ir.Catalog) -> Any:
    """A catalog schema with its `#/$defs/Name` refs pointed at the package's components."""
    if isinstance(schema, list):
        return [rewrite(item, catalog) for item in schema]
    if not isinstance(schema, dict):
        return schema
    result: Schema = {}
    for key, value in schema.items():
        if key == "$ref" and (name := defs_name(schema)) is not None:
            result[key] = ref(schema_name(catalog, name))["$ref"]
        elif key in _DATA_KEYWORDS:
            result[key] = value
        else:
            result[key] = rewrite(value, catalog)
    return result


def payload_schemas(catalog: ir.Catalog) -> dict[str, Schema]:
    """Every model of the package (payloads, bodies, `schemas`) under its component name."""
    return {
        schema_name(catalog, name): rewrite(schema, catalog)
        for name, schema in catalog.defs.items()
    }


def data_schema(catalog: ir.Catalog, event: ir.Event) -> Schema:
    """The `data` field of an event's frame: a JSON document, a text, or empty."""
    # `type` and `description` too: viewers that ignore contentSchema still say what comes.
    if event.payload == "json":
        if event.data_annotation in catalog.defs:
            name = schema_name(catalog, str(event.data_annotation))
            content, what = ref(name), f"JSON, model `{name}`."
        else:
            content, what = rewrite(event.data_schema or {}, catalog), "JSON."
        return {
            "type": "string",
            "description": what,
            "contentMediaType": "application/json",
            "contentSchema": content,
        }
    if event.payload == "text":
        text = rewrite(event.data_schema or {}, catalog)
        return {"type": "string", "description": "Text.", **text, "contentMediaType": "text/plain"}
    # An empty data line: browsers drop an event without one.
    return {"const": "", "description": "Empty: the event has no payload."}


def _description(summary: str | None, description: str | None) -> str | None:
    parts = [text.strip() for text in (summary, description) if text and text.strip()]
    return "\n\n".join(parts) or None


def variant(event: ir.Event) -> Schema | None:
    """`x-sse-variant`: how a client tells this event from others seen under its name."""
    tell = event.tell
    if tell.kind == "const":
        return {"discriminator": tell.property, "value": tell.value}
    if tell.kind == "member":
        return {"member": tell.property}
    if tell.kind in ("text", "empty"):
        return {"text": tell.value}
    if tell.kind == "other":
        return {"other": True}
    return None


def event_schema(catalog: ir.Catalog, stream: ir.Stream, event: ir.Event) -> Schema:
    """One branch of the frame union: the frames of one event.

    An event sent without an `event:` line has no `event` field (WHATWG: clients
    dispatch it as `message`), so its branch forbids one.
    """
    properties: Schema = {}
    if event.wire_name is not None:
        properties["event"] = {"const": event.wire_name}
    properties["data"] = data_schema(catalog, event)
    if stream.ids:
        properties["id"] = {"type": "string"}
    schema: Schema = {"type": "object", "title": event.name}
    text = _description(event.summary, event.description)
    if text:
        schema["description"] = text
    schema["required"] = [*properties]
    schema["properties"] = properties
    if event.wire_name is None:
        schema["not"] = {"required": ["event"]}
    if (how := variant(event)) is not None:
        schema["x-sse-variant"] = how
    if event.deprecated:
        schema["deprecated"] = True
    if event.terminal:
        schema["x-sse-terminal"] = True
    if event.error:
        schema["x-sse-error"] = True
    return schema


def sends_missed(stream: ir.Stream) -> bool:
    """Resumable topics tell a subscriber whose id is no longer retained (ssegen.runtime.topic)."""
    return stream.topic is not None and stream.ids == "sequence"


def frame_schema(catalog: ir.Catalog, stream: ir.Stream) -> Schema:
    """The union of a stream's frames, discriminated by the event name where it can be.

    When some events share a wire name or have none, the name no longer picks
    the branch: the branches are then `anyOf` (their payloads, which schema
    validators do not decode, tell them apart; see `x-sse-variant`).
    """
    branches = {
        event.name: ref(event_name(catalog, stream, event))["$ref"] for event in stream.events
    }
    if sends_missed(stream):
        branches[MISSED_EVENT] = ref(MISSED)["$ref"]
    named = stream.named_uniquely
    properties: Schema = {"event": {"type": "string"}, "data": {"type": "string"}}
    fields = "`event` and `data`" if named else "`event` (when sent) and `data`"
    if stream.ids:
        properties["id"] = {"type": "string"}
        fields = "`event`, `data` and `id`" if named else "`event` (when sent), `data` and `id`"
    if stream.retry is not None:
        # WHATWG: `retry` is a field of whichever event block it appears in; the runtime
        # sends it once, so it arrives with the first event of every response.
        properties["retry"] = {"type": "integer", "const": stream.retry}
    union = [{"$ref": target} for target in branches.values()]
    schema: Schema = {
        "type": "object",
        "description": f"One event of `{stream.name}` on the wire: its {fields} fields.",
        "required": ["event", "data"] if named else ["data"],
        "properties": properties,
    }
    if not named:
        return {**schema, "anyOf": union}
    mapping = {
        (event.wire_name or event.name): ref(event_name(catalog, stream, event))["$ref"]
        for event in stream.events
    }
    if sends_missed(stream):
        mapping[MISSED_EVENT] = ref(MISSED)["$ref"]
    return {
        **schema,
        "oneOf": union,
        "discriminator": {"propertyName": "event", "mapping": mapping},
    }


def sse_extension(stream: ir.Stream) -> Schema:
    """`x-sse`: what OpenAPI cannot say yet about a stream (design: event-catalog.md)."""
    sse: Schema = {}
    if stream.retry is not None:
        sse["retry"] = stream.retry
    sse["keepalive"] = number(stream.keepalive)
    if stream.ids:
        resume: Schema = {"ids": stream.ids, "header": "Last-Event-ID"}
        if stream.resume_query:
            resume["query"] = stream.resume_query
        sse["resume"] = resume
    terminal = [event.name for event in stream.terminal_events]
    if terminal:
        sse["terminal"] = terminal
    if stream.error_event is not None:
        sse["error"] = stream.error_event.name
    if stream.discriminator is not None:
        sse["discriminator"] = stream.discriminator
    if stream.topic is not None:
        topic: Schema = {"key": [p.wire_name for p in stream.topic.key], "keep": stream.topic.keep}
        if stream.topic.ttl is not None:
            topic["ttl"] = number(stream.topic.ttl)
        sse["topic"] = topic
    if sends_missed(stream):
        sse["missed"] = MISSED_EVENT
    return sse


def media_type(catalog: ir.Catalog, stream: ir.Stream) -> Schema:
    """The `text/event-stream` media type of a stream: item schema, example frames, `x-sse`."""
    media: Schema = {"itemSchema": ref(stream_name(catalog, stream))}
    examples: Schema = {}
    for frame in example_frames(stream):
        example: Schema = {"serializedValue": frame.wire}
        if frame.event.summary:
            example = {"summary": frame.event.summary, **example}
        examples[frame.name] = example
    if examples:
        media["examples"] = examples
    media["x-sse"] = sse_extension(stream)
    return media


def stream_schemas(catalog: ir.Catalog, stream: ir.Stream) -> dict[str, Schema]:
    schemas = {stream_name(catalog, stream): frame_schema(catalog, stream)}
    for event in stream.events:
        schemas[event_name(catalog, stream, event)] = event_schema(catalog, stream, event)
    return schemas
