"""A stream's declared error envelope (`errors:`), decided and checked at build time.

The runtime builds an envelope for each refusal it makes itself (a body that
does not validate, a bad Last-Event-ID, a failure before the first event) from
an RFC 9457 problem: it starts from `base` and writes problem members at the
`fill` pointers (ssegen.runtime.refusals). This module computes `base` from the
schema: every required member that is not filled gets its `const`, its
`default`, or `null` when it admits null, and required objects on the way get
built the same way. A required member that gets nothing is an error, and so
is an envelope built from a sample problem that does not match the schema:
a build that succeeds serves envelopes that validate.

What users see of it: README, "Spec format" > "Errors".
"""

from __future__ import annotations

from typing import Any

from ssegen import ir
from ssegen.spec.loader import Document, Loc
from ssegen.spec.model import Errors
from ssegen.spec.patterns import is_valid_schema, spec_validator
from ssegen.spec.schema_walk import resolve
from ssegen.text import one_line, pyliteral
from ssegen.wire import Fill, envelope_document, pointer_tokens

STANDARD_MEMBERS = ("type", "title", "status", "detail", "instance")  # RFC 9457, section 3.1
# Problems like the runtime's own: a validation failure (with its `errors`) and a bare 500.
_SAMPLES: tuple[dict[str, Any], ...] = (
    {
        "type": "about:blank",
        "title": "Bad Request",
        "status": 400,
        "detail": "The request does not validate: messages: Field required.",
        "errors": [{"type": "missing", "loc": ["body", "messages"], "msg": "Field required"}],
    },
    {
        "type": "about:blank",
        "title": "Internal Server Error",
        "status": 500,
        "detail": "The stream failed.",
    },
)
_MISSING = object()


def lower_errors(
    doc: Document, errors: Errors, model: str, defs: dict[str, Any], loc: Loc
) -> ir.Errors:
    """The IR of `errors`, whose schema is the model `model` in `defs` (already rewritten)."""
    schema = defs.get(model, {})
    reported = len(doc.diagnostics)
    fill: list[tuple[str, Fill]] = []
    for pointer, source in errors.fill.items():
        where = (*loc, "fill", pointer)
        tokens = pointer_tokens(pointer)
        if not tokens:
            doc.error(
                where, f"'{pointer}' is not a JSON pointer to a member (RFC 6901): '/error/message'"
            )
        elif not _declared(schema, tokens, defs):
            doc.error(where, f"'{pointer}' names no member of the error envelope's schema")
        if isinstance(source, str):
            if not source:
                doc.error(where, "a problem member's name cannot be empty")
            fill.append((pointer, source))
            continue
        table: dict[int | str, Any] = {}
        for key, value in source.items():
            status = "default" if key == "default" else _status(doc, key, (*where, key))
            if status is not None:
                table[status] = value
        fill.append((pointer, table))
    pointers = {pointer for pointer, _ in fill if pointer_tokens(pointer)}
    base = _object(doc, schema, "", pointers, defs, loc)
    if not isinstance(base, dict):
        base = {}
    statuses = []
    for key, description in errors.statuses.items():
        status = _status(doc, key, (*loc, "statuses", key))
        if status is not None:
            statuses.append((status, description))
    if len(doc.diagnostics) == reported and is_valid_schema(schema):
        _check_samples(doc, {**schema, "$defs": defs}, base, tuple(fill), loc)
    return ir.Errors(
        model=model,
        validation=errors.validation,
        statuses=tuple(sorted(statuses)),
        fill=tuple(fill),
        base=base,
        format_literal=(
            f"ErrorFormat({model}, validation={errors.validation}, "
            f"base={pyliteral(base)}, fill={pyliteral(tuple(fill))})"
        ),
    )


def _status(doc: Document, key: str, loc: Loc) -> int | None:
    """An error status written as a YAML key (`401:`), or None after reporting it."""
    if key.isascii() and key.isdigit() and len(key) == 3 and 400 <= int(key) <= 599:
        return int(key)
    doc.error(loc, f"'{key}' is not an error status (400 to 599)", key=True)
    return None


def _escape(name: str) -> str:
    return name.replace("~", "~0").replace("/", "~1")


def _members(schema: Any, defs: dict[str, Any]) -> tuple[dict[str, Any], set[str]]:
    """The declared properties and required names of an object schema (`$ref`, `allOf` followed)."""
    schema = resolve(schema, defs)
    properties: dict[str, Any] = {}
    required: set[str] = set()
    for part in [schema, *(schema.get("allOf") or [])]:
        part = resolve(part, defs)
        found = part.get("properties")
        if isinstance(found, dict):
            properties.update(found)
        names = part.get("required")
        if isinstance(names, list):
            required.update(name for name in names if isinstance(name, str))
    return properties, required


def _declared(schema: Any, tokens: list[str], defs: dict[str, Any]) -> bool:
    for token in tokens:
        properties, _ = _members(schema, defs)
        if token not in properties:
            return False
        schema = properties[token]
    return True


def _fixed(schema: Any, defs: dict[str, Any]) -> Any:
    """The value a member gets without a problem member: const, default, null; else _MISSING."""
    schema = resolve(schema, defs)
    if "const" in schema:
        return schema["const"]
    if "default" in schema:
        return schema["default"]
    enum = schema.get("enum")
    if isinstance(enum, list) and len(enum) == 1:
        return enum[0]
    if _nullable(schema, defs):
        return None
    return _MISSING


def _nullable(schema: Any, defs: dict[str, Any]) -> bool:
    schema = resolve(schema, defs)
    kind = schema.get("type")
    if kind == "null" or (isinstance(kind, list) and "null" in kind):
        return True
    for keyword in ("anyOf", "oneOf"):
        branches = schema.get(keyword)
        if isinstance(branches, list) and any(_nullable(b, defs) for b in branches):
            return True
    return False


def _object(
    doc: Document, schema: Any, at: str, pointers: set[str], defs: dict[str, Any], loc: Loc
) -> Any:
    """The base value of the object member at pointer `at`."""
    properties, required = _members(schema, defs)
    result: dict[str, Any] = {}
    for name, member in properties.items():
        pointer = f"{at}/{_escape(name)}"
        fixed = _fixed(member, defs)
        if pointer in pointers:
            if fixed is not _MISSING:
                result[name] = fixed  # what a problem without that member leaves there
        elif any(p.startswith(pointer + "/") for p in pointers):
            result[name] = _object(doc, member, pointer, pointers, defs, loc)
        elif name in required:
            if fixed is not _MISSING:
                result[name] = fixed
            elif _members(member, defs)[0]:
                result[name] = _object(doc, member, pointer, pointers, defs, loc)
            else:
                doc.error(
                    loc,
                    f"the error envelope's required member '{pointer}' gets no value: fill it "
                    "from the problem (errors.fill), or give it a const, a default or null",
                )
    return result


def _check_samples(
    doc: Document,
    schema: dict[str, Any],
    base: dict[str, Any],
    fill: tuple[tuple[str, Fill], ...],
    loc: Loc,
) -> None:
    """The envelopes of problems like the runtime's own must match the schema."""
    validator = spec_validator(schema)
    for sample in _SAMPLES:
        document = envelope_document(base, fill, sample)
        try:
            error = next(iter(validator.iter_errors(document)), None)
        except Exception as exc:  # noqa: BLE001 - a broken schema is reported at the schema
            doc.error(loc, f"the error envelope cannot be checked: {one_line(exc)}")
            return
        if error is not None:
            where = "/" + "/".join(_escape(str(p)) for p in error.absolute_path)
            member = next((m for p, m in fill if p == where), None)
            cause = f" (filled from the problem's '{member}')" if member else ""
            doc.error(
                loc,
                f"the error envelope of a {sample['status']} problem does not match its schema "
                f"at '{where}'{cause}: {one_line(error.message)}",
            )
            return
