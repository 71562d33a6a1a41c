"""Walking the JSON Schemas of a catalog: its `$defs` references, followed or listed.

Every schema a catalog uses sits in one `$defs` table, referred to as
`#/$defs/Name` (`ssegen.ir.refs`); the IR, the renderers and the preview all
read references through these helpers rather than parse them again.
"""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]
DEFS = "#/$defs/"


def defs_ref(name: str) -> str:
    """The `$ref` value of the `$defs` entry `name`."""
    return DEFS + name


def defs_name(schema: Any) -> str | None:
    """The `$defs` name `schema`'s `$ref` points at, or None (no ref, or not to `$defs`)."""
    target = schema.get("$ref") if isinstance(schema, dict) else None
    return (
        target.removeprefix(DEFS) if isinstance(target, str) and target.startswith(DEFS) else None
    )


def resolve(schema: Any, defs: dict[str, Schema]) -> Schema:
    """`schema` with its `$ref` chain followed (to `{}` when a name is unknown)."""
    seen: set[str] = set()
    while (name := defs_name(schema)) is not None and name not in seen:
        seen.add(name)
        schema = defs.get(name, {})
    return schema if isinstance(schema, dict) else {}


def in_place_refs(schema: Any) -> list[str]:
    """The `$defs` names `schema` is made of in place: its `$ref` and its `allOf` members."""
    if not isinstance(schema, dict):
        return []
    name = defs_name(schema)
    found = [name] if name is not None else []
    members = schema.get("allOf")
    for member in members if isinstance(members, list) else []:
        found.extend(in_place_refs(member))
    return found
