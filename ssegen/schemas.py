"""JSON Schemas of one catalog: `$ref` resolution and schema checks.

Spec format v1 allows `{$ref: '#/schemas/Name'}` inside a file and
`{$ref: 'common.yaml#/schemas/Name'}` to a file beside it (never leaving the
specs folder). Every schema a catalog uses ends up in one `$defs` table under
its Python class name, with refs rewritten to `#/$defs/Name`: the form
datamodel-code-generator, jsonschema and the OpenAPI catalog all read.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePosixPath
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from ssegen.loader import Document, Loc
from ssegen.naming import pascal

Schema = dict[str, Any]
# Keywords whose values are data, not subschemas: a `$ref` key inside is not a reference.
_DATA_KEYWORDS = frozenset({"const", "enum", "default", "examples", "example"})
_LOCAL = "#/schemas/"


class Resolver:
    """Collects the `$defs` of one catalog while rewriting the refs of its schemas."""

    def __init__(self, doc: Document, open_sibling: Callable[[Document, str], Document | None]):
        self.doc = doc
        self.open_sibling = open_sibling
        self.defs: dict[str, Schema] = {}
        self._origin: dict[str, tuple[str, str]] = {}

    def add_local(self, name: str, schema: Any) -> None:
        self._define(self.doc, name, schema, ("schemas", name))

    def rewrite(self, doc: Document, schema: Any, loc: Loc) -> Schema:
        """`schema` (from `doc` at `loc`) with refs rewritten; problems go to `doc`."""
        if not isinstance(schema, dict):
            doc.error(loc, "a JSON Schema must be a mapping")
            return {}
        result = self._walk(doc, schema, loc)
        assert isinstance(result, dict)
        try:
            Draft202012Validator.check_schema(result)
        except SchemaError as exc:
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
        self.defs[python_name] = {}
        self.defs[python_name] = self.rewrite(doc, schema, loc)
        return python_name

    def _walk(self, doc: Document, node: Any, loc: Loc) -> Any:
        if isinstance(node, list):
            return [self._walk(doc, item, (*loc, i)) for i, item in enumerate(node)]
        if not isinstance(node, dict):
            return node
        result: dict[str, Any] = {}
        for key, value in node.items():
            if key == "$ref":
                result[key] = self._ref(doc, value, (*loc, key))
            elif key in _DATA_KEYWORDS:
                result[key] = value
            else:
                result[key] = self._walk(doc, value, (*loc, key))
        return result

    def _ref(self, doc: Document, ref: Any, loc: Loc) -> str:
        if not isinstance(ref, str):
            doc.error(loc, "$ref must be a string")
            return "#"
        file_part, hash_sign, pointer = ref.partition("#")
        if not hash_sign or not pointer.startswith("/schemas/") or pointer.count("/") != 2:
            doc.error(
                loc, f"unsupported $ref '{ref}': use '#/schemas/Name' or 'file.yaml#/schemas/Name'"
            )
            return "#"
        name = pointer.removeprefix("/schemas/")
        target = doc
        if file_part:
            sibling = self._sibling(doc, file_part, loc)
            if sibling is None:
                return "#"
            target = sibling
        schemas = target.data.get("schemas") if isinstance(target.data, dict) else None
        if not isinstance(schemas, dict) or name not in schemas:
            doc.error(
                loc,
                f"$ref '{ref}' points to no schema: '{name}' is not under schemas in {target.path}",
            )
            return "#"
        if target is self.doc:
            return "#/$defs/" + pascal(name)
        return "#/$defs/" + self._define(target, name, schemas[name], ("schemas", name))

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
