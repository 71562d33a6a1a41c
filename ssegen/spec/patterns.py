"""Regular expressions of a spec, matched in linear time.

Generated models and FastAPI parameters match `pattern` with pydantic-core's
Rust regex engine, which cannot backtrack catastrophically but refuses
look-arounds and backreferences and caps a compiled pattern's size. ssegen
refuses at build time every pattern that engine cannot compile (so no model
ever falls back to Python's backtracking `re`, and nothing fails at import),
and checks examples and defaults with that same engine: `'^(a+)+$'` against
`'aaa…a!'` answers at once, at build time and at request time alike.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, time, timedelta
from functools import lru_cache
from ipaddress import IPv4Address, IPv6Address
from typing import Any
from uuid import UUID

from jsonschema import Draft202012Validator, FormatChecker, ValidationError, validators
from jsonschema.exceptions import SchemaError as JsonSchemaError
from jsonschema.protocols import Validator
from pydantic import AwareDatetime, TypeAdapter
from pydantic_core import SchemaError, SchemaValidator, core_schema


class PatternError(Exception):
    """A pattern the linear-time engine cannot compile (specs refuse them before any match)."""


@lru_cache(maxsize=1024)
def _compile(pattern: str) -> SchemaValidator | str:
    try:
        return SchemaValidator(core_schema.str_schema(pattern=pattern))
    except SchemaError as exc:
        return _reason(str(exc))


def _reason(message: str) -> str:
    """The last meaningful line of pydantic-core's multi-line regex error."""
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    for line in reversed(lines):
        if line.startswith("error: "):
            return line.removeprefix("error: ")
    last = lines[-1] if lines else "invalid pattern"
    return last.removeprefix("SchemaError: ")


def pattern_problem(pattern: str) -> str | None:
    """Why the runtime's regex engine cannot serve `pattern`, or None when it can."""
    compiled = _compile(pattern)
    return compiled if isinstance(compiled, str) else None


def search(pattern: str, text: str) -> bool:
    """JSON Schema's `pattern` (an unanchored search), in linear time."""
    compiled = _compile(pattern)
    if isinstance(compiled, str):
        raise PatternError(compiled)
    return compiled.isinstance_python(text)


def _pattern(validator: Any, pattern: Any, instance: Any, schema: Any) -> Iterator[Any]:
    if validator.is_type(instance, "string") and not search(pattern, instance):
        yield ValidationError(f"{_short(instance)} does not match {_short(pattern)}")


def _pattern_properties(validator: Any, patterns: Any, instance: Any, schema: Any) -> Iterator[Any]:
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in patterns.items():
        for key, value in instance.items():
            if search(pattern, key):
                yield from validator.descend(value, subschema, path=key, schema_path=pattern)


def _additional_properties(
    validator: Any, additional: Any, instance: Any, schema: Any
) -> Iterator[Any]:
    if not validator.is_type(instance, "object"):
        return
    properties = schema.get("properties", {})
    patterns = schema.get("patternProperties", {})
    extras = [
        key
        for key in instance
        if key not in properties and not any(search(p, key) for p in patterns)
    ]
    if validator.is_type(additional, "object"):
        for extra in extras:
            yield from validator.descend(instance[extra], additional, path=extra)
    elif additional is False and extras:
        names = ", ".join(_short(key) for key in sorted(extras))
        yield ValidationError(f"additional properties are not allowed ({names})")


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# Every keyword that matches a regex, on the linear-time engine. (`unevaluatedProperties`
# would too, but spec schemas refuse it: see keywords.py.)
SpecValidator: type[Validator] = validators.extend(  # type: ignore[no-untyped-call]
    Draft202012Validator,
    {
        "pattern": _pattern,
        "patternProperties": _pattern_properties,
        "additionalProperties": _additional_properties,
    },
)


def is_valid_schema(schema: Any) -> bool:
    """Whether `schema` is a JSON Schema at all (its errors are reported where it is
    declared; what is built from it, such as example checks, is skipped when not)."""
    try:
        text = json.dumps(schema, sort_keys=True)
    except (TypeError, ValueError):
        return _valid(schema)
    return _valid_text(text)


@lru_cache(maxsize=8192)
def _valid_text(text: str) -> bool:
    return _valid(json.loads(text))


def _valid(schema: Any) -> bool:
    try:
        SpecValidator.check_schema(schema)
    except JsonSchemaError:
        return False
    return True


# The string formats the models type (keywords.FORMATS), checked as the models check
# them, so an example the build accepts is one the generated model accepts too.
_FORMAT_TYPES: dict[str, Any] = {
    "date": date,
    "date-time": AwareDatetime,
    "time": time,
    "duration": timedelta,
    "uuid": UUID,
    "ipv4": IPv4Address,
    "ipv6": IPv6Address,
}
MODEL_FORMATS = FormatChecker(formats=())


def _format_check(adapter: TypeAdapter[Any]) -> Any:
    def check(value: object) -> bool:
        if isinstance(value, str):
            adapter.validate_python(value)
        return True

    return check


for _name, _kind in _FORMAT_TYPES.items():
    MODEL_FORMATS.checks(_name, raises=ValueError)(_format_check(TypeAdapter(_kind)))


def spec_validator(schema: Any) -> Validator:
    """A validator of `schema` with linear-time patterns and the models' formats."""
    return SpecValidator(schema, format_checker=MODEL_FORMATS)
