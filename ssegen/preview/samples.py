"""Payloads for the mock service: each event's examples, or a minimal valid value.

An event without examples still reaches the front-end developer: a value is
synthesized from its schema (the `const`, the first `enum` value, the
`default`, or the smallest value of its type that meets the bounds, with
every required property) and kept only if it validates. When none does
(a `pattern` that "string" does not match, say), the event has no sample.
"""

from __future__ import annotations

from typing import Any

from ssegen import ir
from ssegen.spec.patterns import spec_validator
from ssegen.spec.schema_walk import defs_name

Schema = dict[str, Any]
_DEPTH = 8
# A valid value of each format the models type (keywords.FORMATS).
_FORMAT_SAMPLES: dict[Any, str] = {
    "date": "2024-01-01",
    "date-time": "2024-01-01T00:00:00Z",
    "time": "00:00:00",
    "duration": "PT1S",
    "uuid": "00000000-0000-0000-0000-000000000000",
    "ipv4": "192.0.2.1",
    "ipv6": "2001:db8::1",
}


def _synthesize(schema: Any, defs: dict[str, Schema], depth: int = 0) -> Any:
    if not isinstance(schema, dict) or depth > _DEPTH:
        return None
    name = defs_name(schema)
    if name is not None:
        return _synthesize(defs.get(name, {}), defs, depth + 1)
    for keyword in ("const", "default"):
        if keyword in schema:
            return schema[keyword]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    if isinstance(schema.get("examples"), list) and schema["examples"]:
        return schema["examples"][0]
    for combinator in ("oneOf", "anyOf", "allOf"):
        options = schema.get(combinator)
        if isinstance(options, list) and options:
            return _synthesize(options[0], defs, depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object" or (kind is None and "properties" in schema):
        properties = schema.get("properties", {})
        required = schema.get("required", [])
        return {
            name: _synthesize(properties.get(name, {}), defs, depth + 1)
            for name in required
            if isinstance(name, str)
        }
    if kind == "array":
        count = schema.get("minItems", 0)
        return [_synthesize(schema.get("items", {}), defs, depth + 1) for _ in range(count)]
    if kind in ("integer", "number"):
        low = schema.get("minimum", schema.get("exclusiveMinimum", 0))
        if not isinstance(low, int | float):
            return 0
        value = low + 1 if "exclusiveMinimum" in schema and "minimum" not in schema else low
        return int(value) if kind == "integer" else value
    if kind == "boolean":
        return False
    if kind == "string":
        text = _FORMAT_SAMPLES.get(schema.get("format"), "string")
        return (text * (1 + schema.get("minLength", 0) // len(text)))[
            : schema.get("maxLength", None)
        ]
    return None


def sample_of(schema: Schema, defs: dict[str, Schema]) -> Any | None:
    """A synthesized value of `schema` that validates, else None."""
    value = _synthesize(schema, defs)
    validator = spec_validator({**schema, "$defs": defs})  # linear-time patterns
    if value is None or next(iter(validator.iter_errors(value)), None) is not None:
        return None
    return value


def samples(event: ir.Event, defs: dict[str, Schema]) -> tuple[Any, ...]:
    """The payloads the mock sends for `event`: its examples, else one synthesized value, else none."""
    if event.payload == "none":
        return (None,)
    if event.examples:
        return event.examples
    value = sample_of(event.data_schema or {}, defs)
    return () if value is None else (value,)
