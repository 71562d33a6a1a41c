"""Components for what the runtime sends itself, in the `ssegen.` namespace.

RFC 9457 problem details (a bad Last-Event-ID, a body or parameters that do
not validate, a failure before the first event), each validation error they
list, and the `ssegen.missed` event of resumable topics
(ssegen.runtime.topic). Only those the document references are included.
"""

from __future__ import annotations

from typing import Any

from ssegen.render.openapi_events import COMPONENTS, MISSED, ref
from ssegen.wire import MISSED_EVENT

Schema = dict[str, Any]

PROBLEM = "ssegen.Problem"
VALIDATION_ERROR = "ssegen.ValidationError"
# Values that are data, never references; not "default", which is also a response status.
_EXAMPLE_KEYWORDS = frozenset({"const", "enum", "examples", "example"})


def referenced(node: Any) -> set[str]:
    """The component schema names `node` refers to (directly)."""
    if isinstance(node, list):
        return set().union(*(referenced(item) for item in node)) if node else set()
    if not isinstance(node, dict):
        return set()
    found: set[str] = set()
    for key, value in node.items():
        if key == "$ref" and isinstance(value, str) and value.startswith(COMPONENTS):
            found.add(value.removeprefix(COMPONENTS))
        elif key not in _EXAMPLE_KEYWORDS:
            found |= referenced(value)
    return found


def shared_schemas(used: set[str]) -> dict[str, Schema]:
    """What the runtime sends itself, those of `used`: problems, validation errors, missed events."""
    schemas: dict[str, Schema] = {
        PROBLEM: {
            "type": "object",
            "description": "Problem details (RFC 9457), sent as `application/problem+json`.",
            "required": ["type", "title", "status"],
            "properties": {
                "type": {"type": "string", "format": "uri-reference", "default": "about:blank"},
                "title": {"type": "string"},
                "status": {"type": "integer"},
                "detail": {"type": "string"},
                "instance": {"type": "string", "format": "uri-reference"},
                "errors": {
                    "type": "array",
                    "description": "The validation errors of a request that does not validate.",
                    "items": ref(VALIDATION_ERROR),
                },
            },
        },
        VALIDATION_ERROR: {
            "type": "object",
            "required": ["loc", "msg", "type"],
            "properties": {
                "loc": {
                    "type": "array",
                    "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
                },
                "msg": {"type": "string"},
                "type": {"type": "string"},
            },
        },
        MISSED: {
            "type": "object",
            "title": MISSED_EVENT,
            "description": (
                "Sent first to a subscriber whose Last-Event-ID is no longer retained: events were"
                " missed; refetch the state they would have built. It carries no id."
            ),
            "required": ["event", "data"],
            "properties": {
                "event": {"const": MISSED_EVENT},
                "data": {
                    "type": "string",
                    "contentMediaType": "application/json",
                    "contentSchema": {
                        "type": "object",
                        "required": ["last_event_id"],
                        "properties": {"last_event_id": {"type": "string"}},
                    },
                },
            },
        },
    }
    pending, kept = [name for name in used if name in schemas], set()
    while pending:
        name = pending.pop()
        if name not in kept:
            kept.add(name)
            pending.extend(sorted(referenced(schemas[name]) & set(schemas)))
    return {name: schema for name, schema in schemas.items() if name in kept}
