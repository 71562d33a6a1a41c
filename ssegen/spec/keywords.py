"""Which keys a spec schema may use: JSON Schema 2020-12, as data.

datamodel-code-generator reads more than JSON Schema from a schema: keys
such as `customBasePath`, `customTypePath`, `x-python-type` and
`x-python-import` become imports and base classes in `models.py`, and every
other unknown key lands in its `extras`, some of which it reads too
(`default_factory`, `x-is-base-class`, `discriminator`, `nullable`, ...). A
spec is data, so a schema takes the 2020-12 keywords below and nothing else;
any other key is refused at its position and left out of what the generator
sees. `format` is an annotation (2020-12's default): the models type a value
by its format only where the JSON value round-trips unchanged and no extra
package is needed (`FORMATS`); for every other format the value stays a
plain string or number with its other constraints enforced.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

from ssegen.spec.patterns import pattern_problem

Kind = Literal["schema", "schemas", "named", "value"]

# 2020-12 keyword -> what its value holds: a subschema, a list of them, a map of
# name -> subschema, or a value (data or a constraint, never walked).
KEYWORDS: dict[str, Kind] = {
    **dict.fromkeys(
        ("not", "if", "then", "else", "items", "contains", "additionalProperties"), "schema"
    ),
    **dict.fromkeys(("propertyNames", "contentSchema"), "schema"),
    **dict.fromkeys(("allOf", "anyOf", "oneOf", "prefixItems"), "schemas"),
    **dict.fromkeys(("properties", "patternProperties", "dependentSchemas"), "named"),
    **dict.fromkeys(
        (
            "$ref",
            "$comment",
            "type",
            "enum",
            "const",
            "multipleOf",
            "maximum",
            "exclusiveMaximum",
            "minimum",
            "exclusiveMinimum",
            "maxLength",
            "minLength",
            "pattern",
            "maxItems",
            "minItems",
            "uniqueItems",
            "maxContains",
            "minContains",
            "maxProperties",
            "minProperties",
            "required",
            "dependentRequired",
            "title",
            "description",
            "default",
            "deprecated",
            "readOnly",
            "writeOnly",
            "examples",
            "format",
            "contentEncoding",
            "contentMediaType",
        ),
        "value",
    ),
}

# Keys datamodel-code-generator 0.89.0 reads from a schema beyond JSON Schema
# (its JsonSchemaObject fields and the `extras` its parser and models consult).
GENERATOR_KEYS = frozenset(
    {
        "customBasePath",
        "customTypePath",
        "default_factory",
        "discriminator",
        "nullable",
        "x-enum-varnames",
        "x-enum-descriptions",
        "x-enumNames",
        "x-enum-field-as-literal",
        "x-is-base-class",
        "x-is-classvar",
        "x-propertyNames",
        "x-www-form-urlencoded",
    }
)
GENERATOR_PREFIXES = ("x-python", "x-datamodel-code-generator", "x-avro-", "x-xsd-", "custom")
_SHARED = "name shared schemas under the top-level 'schemas' and use $ref '#/schemas/Name'"
_UNSUPPORTED = {
    **dict.fromkeys(
        (
            "$id",
            "$schema",
            "$anchor",
            "$dynamicRef",
            "$dynamicAnchor",
            "$vocabulary",
            "$recursiveRef",
            "$recursiveAnchor",
            "$defs",
            "definitions",
        ),
        f"is not supported in a spec schema: {_SHARED}",
    ),
    "unevaluatedProperties": "is not enforced by the generated models: use additionalProperties",
    "unevaluatedItems": "is not enforced by the generated models: use items",
    "example": "is not JSON Schema 2020-12: use 'examples' (a list)",
}
# Counts the runtime stores in a machine word (pydantic-core refuses larger ones).
_COUNTS = frozenset(
    {"minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties"}
    | {"minContains", "maxContains"}
)
MAX_COUNT = 2**63 - 1

# (type, format) pairs the models type by format: same JSON value out as in, no extra package.
FORMATS = frozenset(
    {("string", f) for f in ("date", "date-time", "time", "duration", "uuid", "ipv4", "ipv6")}
    | {("integer", "int32"), ("integer", "int64"), ("number", "float"), ("number", "double")}
)


def key_problem(key: str) -> str | None:
    """Why `key` cannot appear in a spec schema, or None for a 2020-12 keyword."""
    if key in KEYWORDS:
        return None
    if key in GENERATOR_KEYS or key.startswith(GENERATOR_PREFIXES):
        return (
            f"'{key}' is a datamodel-code-generator keyword that changes the generated code;"
            " a spec is data: remove it"
        )
    if key in _UNSUPPORTED:
        return f"'{key}' {_UNSUPPORTED[key]}"
    return f"unknown JSON Schema keyword '{_clip(key)}' (spec schemas use JSON Schema 2020-12)"


def value_problems(key: str, value: Any) -> Iterator[tuple[tuple[str, ...], str]]:
    """(location below `key`, message) for each value the runtime cannot serve."""
    if key == "pattern" and isinstance(value, str):
        reason = pattern_problem(value)
        if reason is not None:
            yield (), _pattern_message(value, reason)
    elif key == "patternProperties" and isinstance(value, dict):
        for pattern in value:
            reason = pattern_problem(pattern)
            if reason is not None:
                yield (pattern,), _pattern_message(pattern, reason)
    elif key in _COUNTS and isinstance(value, int) and value > MAX_COUNT:
        yield (), f"'{key}' must be at most {MAX_COUNT}"


def _pattern_message(pattern: str, reason: str) -> str:
    return (
        f"pattern {_clip(pattern)!r} cannot be served by the runtime's linear-time regex"
        f" engine: {reason}"
    )


def _clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def for_models(schema: Any) -> Any:
    """`schema` as datamodel-code-generator gets it: formats outside FORMATS left out."""
    if not isinstance(schema, dict):
        return schema
    result: dict[str, Any] = {}
    for key, value in schema.items():
        kind = KEYWORDS.get(key, "value")
        if key == "format" and (schema.get("type"), value) not in FORMATS:
            continue
        if kind == "schema":
            result[key] = for_models(value)
        elif kind == "schemas" and isinstance(value, list):
            result[key] = [for_models(item) for item in value]
        elif kind == "named" and isinstance(value, dict):
            result[key] = {name: for_models(item) for name, item in value.items()}
        else:
            result[key] = value
    return result
