"""Validate a loaded document against the spec model, as positioned diagnostics."""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from ssegen.loader import Document, Loc
from ssegen.spec import Spec


def validate(doc: Document) -> Spec | None:
    """The spec, or None with every shape error recorded on `doc`."""
    if not isinstance(doc.data, dict):
        doc.error((), "a spec file must be a mapping with the keys ssegen, info and streams")
        return None
    try:
        return Spec.model_validate(doc.data)
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            loc: Loc = tuple(error["loc"])
            kind = error["type"]
            if kind == "extra_forbidden":
                allowed = ", ".join(sorted(_fields_at(loc[:-1])))
                doc.error(loc, f"unknown key '{loc[-1]}' (expected one of: {allowed})", key=True)
            elif kind == "missing":
                doc.error(loc[:-1], f"missing required key '{loc[-1]}'" + _under(loc[:-1]))
            else:
                doc.error(loc, f"{_dotted(loc)}: {_lower_first(error['msg'])}")
        return None


def _dotted(loc: Loc) -> str:
    return ".".join(str(part) for part in loc) or "document"


def _under(loc: Loc) -> str:
    return f" in {_dotted(loc)}" if loc else ""


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _fields_at(loc: Loc) -> list[str]:
    """The keys the spec model allows at `loc` (for 'expected one of')."""
    current: Any = Spec
    parts = list(loc)
    while parts:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(parts.pop(0)))
            if field is None:
                return []
            current = field.annotation
        elif typing.get_origin(current) in (dict, list):
            parts.pop(0)
            current = typing.get_args(current)[-1]
        else:
            return []
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _unwrap(annotation: Any) -> Any:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        return members[0] if len(members) == 1 else annotation
    return annotation
