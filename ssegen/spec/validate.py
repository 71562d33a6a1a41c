"""Validate a loaded document against the spec model, as positioned diagnostics.

To report every error of a file at once, validation recovers: a key whose
value is wrong is reported and dropped (its default applies), and the rest is
validated again, so one bad `retry` does not hide an undeclared path
parameter three lines below. A stream or event that cannot stand without the
dropped key is dropped whole, without a second message.
"""

from __future__ import annotations

import copy
import difflib
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError
from ssegen.spec import keywords
from ssegen.spec.loader import Document, Loc
from ssegen.spec.model import Spec

_ROUNDS = 50
# Stand-ins for missing top-level keys, so the streams are still checked.
_PLACEHOLDERS: dict[Loc, Any] = {
    ("ssegen",): 1,
    ("info",): {"title": "?", "version": "?"},
    ("info", "title"): "?",
    ("info", "version"): "?",
}


def validate(doc: Document) -> Spec | None:
    """The spec, or None when even recovery leaves no valid spec; errors go on `doc`."""
    if not isinstance(doc.data, dict):
        doc.error((), "a spec file must be a mapping with the keys ssegen, info and streams")
        return None
    data = copy.deepcopy(doc.data)
    dropped: set[Loc] = set()
    reported: set[tuple[Loc, str]] = set()
    for _ in range(_ROUNDS):
        try:
            spec = Spec.model_validate(data)
        except ValidationError as exc:
            progress = False
            before = set(dropped)
            for error in exc.errors(include_url=False):
                loc: Loc = tuple(error["loc"])
                if any(len(d) > len(loc) and d[: len(loc)] == loc for d in before):
                    continue  # a container emptied by our own drops: not the user's error
                if error["type"] == "missing" and loc in _PLACEHOLDERS and _within(loc, before):
                    progress |= _fill(data, loc)  # dropped as invalid, reported already
                    continue
                if error["type"] == "missing" and _within(loc, before):
                    progress |= _drop(
                        data, _item(loc), dropped
                    )  # it was missing because we dropped it
                    continue
                if (loc, error["type"]) not in reported:
                    reported.add((loc, error["type"]))
                    _report(doc, loc, error)
                if error["type"] == "missing" and loc in _PLACEHOLDERS:
                    progress |= _fill(data, loc)
                    continue
                target = _item(loc) if error["type"] == "missing" else loc
                progress |= _drop(data, target, dropped)
            if not progress:
                return None
        else:
            # With errors reported, the recovered spec is still checked and lowered
            # to find more errors, but never rendered (the pipeline sees the errors).
            return spec
    return None


def _report(doc: Document, loc: Loc, error: Any) -> None:
    kind = error["type"]
    if kind == "extra_forbidden":
        fields = sorted(_fields_at(loc[:-1]))
        close = difflib.get_close_matches(str(loc[-1]), fields, n=1, cutoff=0.7)
        misplaced = _belongs_under(doc, loc)
        if misplaced:
            doc.error(loc, f"unknown key '{loc[-1]}' here: {misplaced}", key=True)
        elif close:
            doc.error(loc, f"unknown key '{loc[-1]}': did you mean '{close[0]}'?", key=True)
        else:
            allowed = ", ".join(fields)
            doc.error(loc, f"unknown key '{loc[-1]}' (expected one of: {allowed})", key=True)
    elif kind == "missing":
        doc.error(loc[:-1], f"missing required key '{loc[-1]}'" + _under(loc[:-1]))
    elif kind in _MAPPING_TYPES:
        # pydantic says "a valid dictionary or instance of Event": say what the user wrote.
        message = f"{_dotted(loc)}: must be a mapping of keys, not {_describe(error['input'])}"
        misplaced = _belongs_under(doc, loc)
        doc.error(loc, f"{message}; {misplaced}" if misplaced else message, key=bool(misplaced))
    else:
        doc.error(loc, f"{_dotted(loc)}: {_lower_first(error['msg'])}")


_MAPPING_TYPES = frozenset({"model_type", "model_attributes_type", "dict_type"})


def _describe(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "empty (null)"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return type(value).__name__


def _belongs_under(doc: Document, loc: Loc) -> str | None:
    """A hint when `loc`'s key is one the mapping above it takes: a mis-indented line.

    `properties:` written at the stream's indentation, under `body:`, or an
    event's `examples:` at the events' level: the key is wrong where it is and
    right one level down, under the key just before it.
    """
    parent = _child_at(doc.data, loc[:-1])
    if not isinstance(parent, dict) or not loc:
        return None
    keys = list(parent)
    key = loc[-1]
    if key not in keys or keys.index(key) == 0:
        return None
    before = keys[keys.index(key) - 1]
    where = doc.keys.get((*loc[:-1], before))
    line = f" (line {where.line})" if where is not None and where.line else ""
    annotation = _annotation_at((*loc[:-1], before))
    if str(key) in _fields_at((*loc[:-1], before)):
        return f"'{key}' is a key of '{before}'{line}: indent it under '{before}'"
    if annotation is Any and str(key) in keywords.KEYWORDS:
        return (
            f"'{key}' is a JSON Schema keyword, and '{before}'{line} holds a schema: "
            f"indent it under '{before}'"
        )
    return None


def _child_at(data: Any, loc: Loc) -> Any:
    for part in loc:
        data = _child(data, part)
    return data


def _item(loc: Loc) -> Loc:
    """The stream or event (or the document) that holds `loc`."""
    for depth in (4, 2):  # ("streams", s, "events", e) then ("streams", s)
        if len(loc) > depth and loc[0] == "streams" and (depth == 2 or loc[2] == "events"):
            return loc[:depth]
    return ()


def _within(loc: Loc, dropped: set[Loc]) -> bool:
    return any(loc[: len(d)] == d for d in dropped)


def _drop(data: Any, loc: Loc, dropped: set[Loc]) -> bool:
    if not loc:
        return False
    parent = data
    for part in loc[:-1]:
        parent = _child(parent, part)
        if parent is None:
            return False
    if isinstance(parent, list):
        # Drop the whole list: the other items must keep their indices (positions).
        return _drop(data, loc[:-1], dropped)
    if isinstance(parent, dict) and loc[-1] in parent:
        del parent[loc[-1]]
        dropped.add(loc)
        return True
    return False


def _fill(data: dict[str, Any], loc: Loc) -> bool:
    parent = data if len(loc) == 1 else data.get(str(loc[0]))
    if not isinstance(parent, dict):
        return False
    parent[str(loc[-1])] = copy.deepcopy(_PLACEHOLDERS[loc])
    return True


def _child(node: Any, part: str | int) -> Any:
    if isinstance(node, dict):
        return node.get(part)
    if isinstance(node, list) and isinstance(part, int) and part < len(node):
        return node[part]
    return None


def _dotted(loc: Loc) -> str:
    return ".".join(str(part) for part in loc) or "document"


def _under(loc: Loc) -> str:
    return f" in {_dotted(loc)}" if loc else ""


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _fields_at(loc: Loc) -> list[str]:
    """The keys the spec model allows at `loc` (for 'expected one of')."""
    current = _unwrap(_annotation_at(loc))
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(_keys(current))
    return []


def _annotation_at(loc: Loc) -> Any:
    """The spec model's type at `loc`; None when the model has no place for it."""
    current: Any = Spec
    parts = list(loc)
    while parts:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = _keys(current).get(str(parts.pop(0)))
            if field is None:
                return None
            current = field.annotation
        elif typing.get_origin(current) in (dict, list):
            parts.pop(0)
            current = typing.get_args(current)[-1]
        else:
            return None
    return current


def _keys(model: type[BaseModel]) -> dict[str, Any]:
    """The model's fields by their key in YAML (`schema`, not `schema_`)."""
    return {field.alias or name: field for name, field in model.model_fields.items()}


def _unwrap(annotation: Any) -> Any:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        return members[0] if len(members) == 1 else annotation
    return annotation
