"""JSON Schemas of one catalog: `$ref` resolution and schema checks.

Spec format v1 allows `{$ref: '#/schemas/Name'}` inside a file and
`{$ref: 'common.yaml#/schemas/Name'}` to a file beside it (never leaving the
specs folder). Every schema a catalog uses ends up in one `$defs` table under
its Python class name, with refs rewritten to `#/$defs/Name`: the form
datamodel-code-generator, jsonschema and the OpenAPI catalog all read.
"""

from __future__ import annotations

import difflib
import functools
import json
from collections.abc import Callable
from pathlib import PurePosixPath
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from ssegen.ir.naming import pascal
from ssegen.spec import keywords
from ssegen.spec.loader import Document, Loc
from ssegen.spec.schema_walk import defs_name, defs_ref, in_place_refs

Schema = dict[str, Any]
_LOCAL = "#/schemas/"
# What a `$ref` that could not be resolved becomes once it is reported: the
# schema stays valid, and checks that would only repeat the error skip it.
UNRESOLVED = "#"


def metaschema_error(schema: Schema) -> SchemaError | None:
    """Why `schema` is not a JSON Schema 2020-12, or None; remembered per schema text.

    Checking against the metaschema is most of a build's time, and `ssegen diff`
    builds two versions that share most schemas.
    """
    try:
        text = json.dumps(schema, sort_keys=True)
    except (TypeError, ValueError):
        return _metaschema_error(schema)
    return _cached_metaschema_error(text)


@functools.lru_cache(maxsize=8192)
def _cached_metaschema_error(text: str) -> SchemaError | None:
    return _metaschema_error(json.loads(text))


def _metaschema_error(schema: Any) -> SchemaError | None:
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        return exc
    return None


def reaches_unresolved(schema: Any, defs: dict[str, Schema]) -> bool:
    """Whether `schema`, or a `$defs` entry it refers to, holds an unresolved `$ref`."""
    seen: set[str] = set()
    todo = [schema]
    while todo:
        node = todo.pop()
        if isinstance(node, list):
            todo.extend(node)
        elif isinstance(node, dict):
            ref = node.get("$ref")
            if ref == UNRESOLVED:
                return True
            name = defs_name(node)
            if name is not None and name not in seen:
                seen.add(name)
                todo.append(defs.get(name))
            todo.extend(value for key, value in node.items() if key != "$ref")
    return False


class Resolver:
    """Collects the `$defs` of one catalog while rewriting the refs of its schemas."""

    def __init__(self, doc: Document, open_sibling: Callable[[Document, str], Document | None]):
        self.doc = doc
        self.open_sibling = open_sibling
        self.defs: dict[str, Schema] = {}
        self._origin: dict[str, tuple[str, str]] = {}
        self._docs: dict[str, Document] = {}

    def add_local(self, name: str, schema: Any) -> None:
        self._define(self.doc, name, schema, ("schemas", name))

    def rewrite(self, doc: Document, schema: Any, loc: Loc) -> Schema:
        """`schema` (from `doc` at `loc`) with refs rewritten; problems go to `doc`."""
        if not isinstance(schema, dict):
            doc.error(loc, "a JSON Schema must be a mapping")
            return {}
        result = self._walk(doc, schema, loc)
        assert isinstance(result, dict)
        exc = metaschema_error(result)
        if exc is not None:
            where = (*loc, *exc.path) if exc.path else loc
            doc.error(where, f"invalid JSON Schema: {exc.message}")
        return result

    def _define(self, doc: Document, name: str, schema: Any, loc: Loc) -> str:
        python_name = pascal(name)
        origin = (doc.path, name)
        known = self._origin.get(python_name)
        if known == origin:
            return python_name
        if known is not None:
            doc.error(
                loc,
                f"schema '{name}' becomes Python name '{python_name}', "
                f"which '{known[1]}' in {known[0]} already uses",
                key=True,
            )
            return python_name
        self._origin[python_name] = origin
        self._docs[python_name] = doc
        self.defs[python_name] = {}
        self.defs[python_name] = self.rewrite(doc, schema, loc)
        return python_name

    def check_cycles(self) -> None:
        """Report schemas that reach themselves through `$ref` and `allOf` alone.

        Such a loop never reaches a schema of its own (`A: {$ref: '#/schemas/A'}`), so
        no model can be built from it; a loop through `properties` or `items` is fine.
        """
        reported: set[str] = set()
        for start in sorted(self._origin):
            path = self._loop(start)
            if path is None or reported & set(path):
                continue
            reported.update(path)
            names = " -> ".join(self._origin[name][1] for name in [start, *path])
            name = self._origin[start][1]
            self._docs[start].error(
                ("schemas", name),
                f"schema '{name}' refers back to itself through $ref/allOf alone ({names}):"
                " no model can be built from it; put the loop inside properties or items",
                key=True,
            )

    def _loop(self, start: str) -> list[str] | None:
        """The names from `start` back to itself, each schema visited once (no blow-up)."""
        parents: dict[str, str] = {}
        todo = [start]
        while todo:
            name = todo.pop()
            for target in in_place_refs(self.defs.get(name)):
                if target == start:
                    path = [name]
                    while path[-1] != start:
                        path.append(parents[path[-1]])
                    return [*reversed(path[:-1]), start]
                if target not in parents and target in self.defs:
                    parents[target] = name
                    todo.append(target)
        return None

    def _walk(self, doc: Document, node: Any, loc: Loc) -> Any:
        """A schema with refs rewritten; keys that are not 2020-12 keywords reported and left out."""
        if not isinstance(node, dict):
            return node  # `true`/`false`, or a non-schema that check_schema reports
        result: dict[str, Any] = {}
        for key, value in node.items():
            here = (*loc, key)
            problem = keywords.key_problem(key)
            if problem is not None:
                doc.error(here, problem, key=True)
                continue
            bad = list(keywords.value_problems(key, value))
            for below, message in bad:
                doc.error((*here, *below), message, key=bool(below))
            if bad:
                continue  # refused: not also reported by check_schema, never generated
            kind = keywords.KEYWORDS[key]
            if key == "$ref":
                result[key] = self._ref(doc, value, here)
            elif kind == "schema":
                result[key] = self._walk(doc, value, here)
            elif kind == "schemas" and isinstance(value, list):
                result[key] = [self._walk(doc, item, (*here, i)) for i, item in enumerate(value)]
            elif kind == "named" and isinstance(value, dict):
                result[key] = {
                    name: self._walk(doc, item, (*here, name)) for name, item in value.items()
                }
            else:
                result[key] = value
        return result

    def _ref(self, doc: Document, ref: Any, loc: Loc) -> str:
        if not isinstance(ref, str):
            doc.error(loc, "$ref must be a string")
            return UNRESOLVED
        file_part, hash_sign, pointer = ref.partition("#")
        if not hash_sign or not pointer.startswith("/schemas/") or pointer.count("/") != 2:
            doc.error(
                loc, f"unsupported $ref '{ref}': use '#/schemas/Name' or 'file.yaml#/schemas/Name'"
            )
            return UNRESOLVED
        name = pointer.removeprefix("/schemas/")
        target = doc
        if file_part:
            sibling = self._sibling(doc, file_part, loc)
            if sibling is None:
                return UNRESOLVED
            target = sibling
        schemas = target.data.get("schemas") if isinstance(target.data, dict) else None
        if not isinstance(schemas, dict) or name not in schemas:
            known = [str(key) for key in schemas] if isinstance(schemas, dict) else []
            close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
            hint = f": did you mean '{close[0]}'?" if close else ""
            doc.error(
                loc,
                f"$ref '{ref}' points to no schema: '{name}' is not under schemas in "
                f"{target.path}{hint}",
            )
            return UNRESOLVED
        if target is self.doc:
            return defs_ref(pascal(name))
        return defs_ref(self._define(target, name, schemas[name], ("schemas", name)))

    def _sibling(self, doc: Document, file_part: str, loc: Loc) -> Document | None:
        relative = PurePosixPath(file_part)
        if (
            relative.is_absolute()
            or ".." in relative.parts
            or "\\" in file_part
            or ":" in file_part
        ):
            doc.error(
                loc, f"$ref file '{file_part}' must be a relative path inside the specs folder"
            )
            return None
        sibling = self.open_sibling(doc, file_part)
        if sibling is None:
            doc.error(loc, f"$ref file '{file_part}' was not found beside {doc.path}")
        elif sibling.data is None:
            doc.error(loc, f"$ref file '{file_part}' could not be loaded")
            return None
        return sibling
