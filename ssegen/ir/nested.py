"""Nested inline objects as named models, and which members a model leaves out when None.

datamodel-code-generator names an inline object after its property and numbers
clashes (`Delta1`, `Usage1`), and does not say which class came from which
schema. Here every inline object with `properties` becomes a `$defs` entry of
its own first, named by its path from the model that holds it
(`ChunkData.choices[].delta` -> `ChunkDataChoiceDelta`), so the names are
readable, deterministic, checked like every other generated name, and exported
by the package; and every model class is one flat schema whose members the IR
can judge (`omit_none`).

Spec format v1: a payload is exactly its JSON Schema. A member that is not
required and whose schema does not admit null is absent, never `null`; a
member that admits null is sent as `null` when the handler sets it so.
"""

from __future__ import annotations

import functools
from typing import Any

from ssegen.ir.naming import pascal
from ssegen.spec.schema_walk import defs_name, defs_ref

Schema = dict[str, Any]

# What a property keeps beside the `$ref` to its hoisted model: words for readers.
_ANNOTATIONS = ("description", "title", "default", "deprecated", "examples")


@functools.cache
def _words() -> Any:
    """inflect's engine, made on first use.

    inflect decorates its functions with typeguard's `@typechecked`, whose
    instrumentation makes importing it take about two seconds; ssegen passes
    it plain strings, so the import runs with that decorator made a no-op
    (0.1 s; same results).
    """
    try:
        import typeguard
    except ImportError:  # an inflect without typeguard: nothing to neutralize
        import inflect

        return inflect.engine()
    checked = typeguard.typechecked
    typeguard.typechecked = _unchecked  # type: ignore[assignment]
    try:
        import inflect
    finally:
        typeguard.typechecked = checked
    return inflect.engine()


def _unchecked(func: Any = None, **_: Any) -> Any:
    return func if func is not None else (lambda inner: inner)


def hoist_nested(defs: dict[str, Schema], taken: set[str]) -> dict[str, Schema]:
    """`defs` with every nested inline object moved to an entry of its own, in a stable order."""
    out: dict[str, Schema] = {}
    names = set(taken) | set(defs)

    def claim(wanted: str) -> str:
        name, n = wanted, 2
        while name in names:  # a schema or event already has the name: number it, stably
            name, n = f"{wanted}{n}", n + 1
        names.add(name)
        return name

    def value(schema: Any, name: str, item_name: str | None = None) -> Any:
        """A schema in a member position: an inline object becomes a `$ref` to a new model."""
        if not isinstance(schema, dict) or "$ref" in schema:
            return schema
        if _is_class(schema):
            if _admits_null_type(schema):  # `type: [object, "null"]`: the model, or null
                own = {**schema, "type": "object"}
                ref = {"$ref": defs_ref(place(own, name))}
                return {"anyOf": [ref, {"type": "null"}], **_kept(schema)}
            return {"$ref": defs_ref(place(schema, name)), **_kept(schema)}
        return inner(schema, name, item_name)

    def place(schema: Schema, wanted: str) -> str:
        name = claim(wanted)
        out[name] = {}  # reserve the order: parents before their members' models
        out[name] = inner(schema, name)
        return name

    def inner(schema: Schema, name: str, item_name: str | None = None) -> Schema:
        """`schema` with the inline objects of its members hoisted (the schema itself stays)."""
        result = dict(schema)
        properties = schema.get("properties")
        if isinstance(properties, dict):
            result["properties"] = {
                key: value(member, name + pascal(key), name + _singular(pascal(key)))
                for key, member in properties.items()
            }
        items = schema.get("items")
        if isinstance(items, dict):
            result["items"] = value(items, item_name or f"{name}Item")
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            result["additionalProperties"] = value(extra, f"{name}Value")
        for key in ("anyOf", "oneOf"):
            branches = schema.get(key)
            if isinstance(branches, list):
                objects = [b for b in branches if isinstance(b, dict) and _is_class(b)]
                result[key] = [
                    value(b, name if len(objects) == 1 else f"{name}Option{i + 1}")
                    for i, b in enumerate(branches)
                ]
        return result

    for name, schema in defs.items():
        out[name] = {}
        out[name] = inner(schema, name)
    return dict(sorted(out.items()))


def omit_none(defs: dict[str, Schema]) -> dict[str, tuple[str, ...]]:
    """Per model: the wire names of its optional members whose schema does not admit null.

    A member with a default is not among them: its type has no None (strict_nullable).
    """
    result: dict[str, tuple[str, ...]] = {}
    for name, schema in defs.items():
        properties = schema.get("properties")
        if not isinstance(properties, dict):
            continue
        required = schema.get("required")
        required_set = (
            {r for r in required if isinstance(r, str)} if isinstance(required, list) else set()
        )
        members = tuple(
            key
            for key, member in properties.items()
            if key not in required_set
            and not (isinstance(member, dict) and "default" in member)
            and not admits_null(member, defs)
        )
        if members:
            result[name] = members
    return result


def admits_null(schema: Any, defs: dict[str, Schema], seen: frozenset[str] = frozenset()) -> bool:
    """Whether JSON `null` can validate against `schema` (conservatively: when unsure, yes)."""
    if schema is True or schema == {}:
        return True
    if not isinstance(schema, dict):
        return False
    target = defs_name(schema)
    if target is not None:
        if target in seen:
            return False  # a loop through $ref alone holds nothing, null included
        if not admits_null(defs.get(target, {}), defs, seen | {target}):
            return False
    if "const" in schema and schema["const"] is not None:
        return False
    enum = schema.get("enum")
    if isinstance(enum, list) and None not in enum:
        return False
    kind = schema.get("type")
    if isinstance(kind, str) and kind != "null":
        return False
    if isinstance(kind, list) and "null" not in kind:
        return False
    for key in ("anyOf", "oneOf"):
        branches = schema.get(key)
        if isinstance(branches, list) and not any(admits_null(b, defs, seen) for b in branches):
            return False
    members = schema.get("allOf")
    if isinstance(members, list) and not all(admits_null(m, defs, seen) for m in members):
        return False
    return not ("not" in schema and admits_null(schema["not"], defs, seen))


def _is_class(schema: Schema) -> bool:
    """An object schema datamodel-code-generator makes a class of (it has `properties`)."""
    kind = schema.get("type", "object")
    is_object = kind == "object" or (isinstance(kind, list) and "object" in kind)
    return is_object and isinstance(schema.get("properties"), dict) and not schema.get("allOf")


def _admits_null_type(schema: Schema) -> bool:
    kind = schema.get("type")
    return isinstance(kind, list) and "null" in kind


def _kept(schema: Schema) -> Schema:
    return {key: schema[key] for key in _ANNOTATIONS if key in schema}


def _singular(word: str) -> str:
    """`Choices` -> `Choice`: an array's items are named in the singular (`ChoicesItem` when
    the word has no singular form of its own)."""
    singular = _words().singular_noun(word)
    return (
        singular if isinstance(singular, str) and singular and singular != word else f"{word}Item"
    )
