"""Path, query and header parameters: JSON Schema to a FastAPI parameter.

A parameter schema must be a scalar (`string`, `integer`, `number`,
`boolean`), an enum of scalars, or (query and header only) an array of them:
what a URL or a header can carry. Path parameters are required; query and
header parameters are optional, with their `default` or `None`, unless they say
`required: true` (an ssegen key, removed before the schema is read as JSON Schema).
"""

from __future__ import annotations

from typing import Any

from ssegen import ir
from ssegen.ir.imports import LOCAL_NAMES
from ssegen.ir.naming import escape_keyword, snake
from ssegen.spec.loader import Document, Loc
from ssegen.spec.patterns import is_valid_schema, spec_validator
from ssegen.text import one_line

_SCALARS = {"string": "str", "integer": "int", "number": "float", "boolean": "bool"}
# JSON Schema keyword -> FastAPI Query/Path/Header keyword.
_CONSTRAINTS = {
    "minimum": "ge",
    "maximum": "le",
    "exclusiveMinimum": "gt",
    "exclusiveMaximum": "lt",
    "minLength": "min_length",
    "maxLength": "max_length",
    "pattern": "pattern",
}
_NUMBERS = ("int", "float")
_APPLIES = {
    **dict.fromkeys(("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"), _NUMBERS),
    **dict.fromkeys(("minLength", "maxLength", "pattern"), ("str",)),
}


def lower_param(
    doc: Document,
    location: str,
    wire_name: str,
    schema: dict[str, Any],
    loc: Loc,
    *,
    required: bool = False,
) -> ir.Param | None:
    typed = _annotation(doc, location, schema, loc)
    if typed is None:
        return None
    annotation, typing_names = typed
    py_name = _python_name(snake(wire_name) if location == "header" else wire_name)
    default_literal: str | None = None
    if "default" in schema:
        default = schema["default"]
        if location == "path" or required:
            doc.error(
                (*loc, "default"),
                "a required parameter has no default: remove it",
                key=True,
            )
        elif not is_valid_schema(schema):
            pass  # the schema's own error is reported; its default cannot be checked
        elif next(iter(spec_validator(schema).iter_errors(default)), None) is not None:
            doc.error(
                (*loc, "default"),
                f"default {one_line(repr(default), 80)} does not match the parameter's schema",
            )
        else:
            default_literal = repr(default)
    elif location != "path" and not required:
        annotation = f"{annotation} | None"
        default_literal = "None"
    kwargs: list[str] = []
    if location == "header" or py_name != wire_name:
        kwargs.append(f"alias={wire_name!r}")
    for keyword, fastapi_name in _CONSTRAINTS.items():
        # As in JSON Schema, a keyword applies to its type only (`minLength` to strings).
        if keyword in schema and annotation.split(" |")[0] in _APPLIES[keyword]:
            kwargs.append(f"{fastapi_name}={schema[keyword]!r}")
    if isinstance(schema.get("description"), str):
        kwargs.append(f"description={schema['description']!r}")
    function = location.capitalize()
    return ir.Param(
        location=location,  # type: ignore[arg-type]
        wire_name=wire_name,
        py_name=py_name,
        annotation=annotation,
        route_annotation=f"Annotated[{annotation}, {function}({', '.join(kwargs)})]",
        typing=typing_names,
        default_literal=default_literal,
        schema=schema,
        description=schema.get("description")
        if isinstance(schema.get("description"), str)
        else None,
    )


def _python_name(wire_name: str) -> str:
    # Path and query names already match [A-Za-z_][A-Za-z0-9_]*: only keywords change.
    name = escape_keyword(wire_name) if wire_name.isidentifier() else snake(wire_name)
    return f"{name}_" if name in LOCAL_NAMES else name


# A Python type and the `typing` names it uses.
Typed = tuple[str, frozenset[str]]
_LITERAL = frozenset({"Literal"})


def _annotation(doc: Document, location: str, schema: dict[str, Any], loc: Loc) -> Typed | None:
    scalar = _scalar(schema)
    if scalar is not None:
        return scalar
    if (
        location != "path"
        and schema.get("type") == "array"
        and isinstance(schema.get("items"), dict)
    ):
        item = _scalar(schema["items"])
        if item is not None:
            return f"list[{item[0]}]", item[1]
    allowed = "a string, integer, number or boolean schema, or an enum"
    if location != "path":
        allowed += ", or an array of those"
    doc.error(loc, f"{location} parameter must be {allowed}")
    return None


def _scalar(schema: dict[str, Any]) -> Typed | None:
    values = schema.get("enum")
    if values is None and "const" in schema:
        values = [schema["const"]]
    if isinstance(values, list) and values:
        if all(isinstance(v, str) for v in values) or all(
            isinstance(v, int) and not isinstance(v, bool) for v in values
        ):
            return "Literal[" + ", ".join(repr(v) for v in values) + "]", _LITERAL
        return None
    kind = schema.get("type")
    scalar = _SCALARS.get(kind) if isinstance(kind, str) else None
    return None if scalar is None else (scalar, frozenset())
