"""JSON Schemas as the rows of a contract page's tables: name, type, required, constraints.

Objects are flattened: nested fields appear as `total.amount`, fields of the
objects in an array as `messages[].role`, so one table shows a whole payload.
A model that contains itself is expanded once per branch. Type and
constraints come back as Markdown fragments built with `markdown.md_code`;
descriptions stay raw for the template's filters.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ssegen.render.markdown import md_code
from ssegen.spec.schema_walk import defs_name, resolve

Schema = dict[str, Any]
_MAX_DEPTH = 6


@dataclass(frozen=True)
class FieldRow:
    name: str  # raw: `total.amount`, `messages[].role`
    type_md: str
    required: bool
    constraints_md: str
    description: str | None  # raw spec text


def _value(value: Any) -> str:
    """A value of the schema as a code span: strings as they are, everything else as JSON."""
    return md_code(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))


def type_md(schema: Any, defs: dict[str, Schema]) -> str:
    if not isinstance(schema, dict):
        return "any"
    name = defs_name(schema)
    if name is not None:
        return md_code(name)
    kind = schema.get("type")
    if isinstance(kind, list):
        return " or ".join(str(k) for k in kind)
    if kind == "array":
        items = schema.get("items")
        return f"array of {type_md(items, defs)}" if isinstance(items, dict) else "array"
    if isinstance(kind, str):
        return kind
    for combinator, word in (("anyOf", " or "), ("oneOf", " or "), ("allOf", " and ")):
        options = schema.get(combinator)
        if isinstance(options, list) and options:
            return word.join(type_md(option, defs) for option in options)
    values = schema.get("enum", [schema["const"]] if "const" in schema else None)
    if isinstance(values, list) and values and all(isinstance(v, str) for v in values):
        return "string"
    return "any"


_BOUNDS = (
    ("minimum", "≥ {}"),
    ("exclusiveMinimum", "> {}"),
    ("maximum", "≤ {}"),
    ("exclusiveMaximum", "< {}"),
    ("multipleOf", "multiple of {}"),
    ("minLength", "length ≥ {}"),
    ("maxLength", "length ≤ {}"),
    ("minItems", "≥ {} items"),
    ("maxItems", "≤ {} items"),
)


def constraints_md(schema: Any) -> str:
    if not isinstance(schema, dict):
        return ""
    parts: list[str] = []
    if "const" in schema:
        parts.append(f"always {_value(schema['const'])}")
    if isinstance(schema.get("enum"), list):
        parts.append("one of " + ", ".join(_value(v) for v in schema["enum"]))
    for keyword, text in _BOUNDS:
        bound = schema.get(keyword)
        if isinstance(bound, int | float) and not isinstance(bound, bool):
            parts.append(text.format(json.dumps(bound)))
    if schema.get("uniqueItems") is True:
        parts.append("unique items")
    for keyword in ("pattern", "format"):
        if isinstance(schema.get(keyword), str):
            parts.append(f"{keyword} {md_code(schema[keyword])}")
    if "default" in schema:
        parts.append(f"default {_value(schema['default'])}")
    return ", ".join(parts)


def _description(schema: Schema, resolved: Schema) -> str | None:
    text = schema.get("description", resolved.get("description"))
    text = text.strip() if isinstance(text, str) and text.strip() else None
    if schema.get("deprecated") is True or resolved.get("deprecated") is True:
        return f"Deprecated. {text}" if text else "Deprecated."
    return text


def _properties(schema: Schema) -> dict[str, Any] | None:
    properties = schema.get("properties")
    return properties if isinstance(properties, dict) and properties else None


def is_object(schema: Any, defs: dict[str, Schema]) -> bool:
    """True when a table of fields can show `schema`: an object with declared properties."""
    return _properties(resolve(schema, defs)) is not None


def field_rows(schema: Any, defs: dict[str, Schema]) -> tuple[FieldRow, ...]:
    """The rows of an object schema's fields, nested fields flattened; () for other schemas."""
    rows: list[FieldRow] = []
    _object_rows(schema, defs, "", frozenset(), rows)
    return tuple(rows)


def _object_rows(
    schema: Any, defs: dict[str, Schema], prefix: str, seen: frozenset[str], rows: list[FieldRow]
) -> None:
    name = defs_name(schema)
    if name in seen or len(seen) > _MAX_DEPTH:
        return
    seen = seen | {name} if name else seen
    resolved = resolve(schema, defs)
    properties = _properties(resolved)
    if properties is None:
        return
    required = resolved.get("required", [])
    for field, sub in properties.items():
        sub = sub if isinstance(sub, dict) else {}
        target = resolve(sub, defs)
        # A `$ref` with siblings: the siblings refine the referenced schema.
        shown = {**target, **{key: value for key, value in sub.items() if key != "$ref"}}
        rows.append(
            FieldRow(
                name=f"{prefix}{field}",
                type_md=type_md(sub, defs),
                required=isinstance(required, list) and field in required,
                constraints_md=constraints_md(shown),
                description=_description(sub, target),
            )
        )
        if _properties(target) is not None:
            _object_rows(sub, defs, f"{prefix}{field}.", seen, rows)
        elif target.get("type") == "array" and isinstance(target.get("items"), dict):
            _object_rows(target["items"], defs, f"{prefix}{field}[].", seen, rows)
