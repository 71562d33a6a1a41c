"""Events that share a wire name: how a client tells them apart (README, "Spec format").

A client sees an event's type (its `event:` line, or `message` without one,
WHATWG HTML "Server-sent events") and its data. Events of one stream that a
client sees under one type are *variants*; each must be recognisable from its
data alone, so that every variant keeps its own typed class:

- a text variant by its text: its schema has a `const` (`[DONE]`); an event
  without payload is the empty text;
- JSON variants, when the stream declares a `discriminator`, by that member:
  each variant requires it with a string `const` of its own (the AI SDK's and
  OpenAI Responses' `type`);
- JSON variants without a discriminator by a member only that variant
  declares and requires (OpenAI's `error`, JSON-RPC's `result` and `error`);
  at most one JSON variant may have none: it is the `other` variant, the
  payload that matches no member rule.

Texts are compared with the JSON rules in mind: a text variant whose text is
itself JSON could be taken for a JSON variant, so it is refused there. The
result is each event's `ir.Tell`; every conflict is a positioned error.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from ssegen import ir
from ssegen.spec.loader import Document, Loc
from ssegen.spec.schema_walk import Schema, resolve


def tell_variants(
    doc: Document,
    stream_name: str,
    discriminator: str | None,
    events: Sequence[ir.Event],
    defs: dict[str, Schema],
) -> tuple[ir.Event, ...]:
    """`events` with their `tell` decided; conflicts reported on `doc`."""
    groups: dict[str, list[ir.Event]] = {}
    for event in events:
        groups.setdefault(event.seen_as, []).append(event)
    tells: dict[str, ir.Tell] = {}
    for seen_as, group in groups.items():
        if len(group) > 1:
            tells.update(_tell_group(doc, stream_name, seen_as, discriminator, group, defs))
    return tuple(replace(e, tell=tells[e.name]) if e.name in tells else e for e in events)


def _loc(stream_name: str, event: ir.Event, *rest: str) -> Loc:
    return ("streams", stream_name, "events", event.name, *rest)


def _tell_group(
    doc: Document,
    stream_name: str,
    seen_as: str,
    discriminator: str | None,
    group: list[ir.Event],
    defs: dict[str, Schema],
) -> dict[str, ir.Tell]:
    names = ", ".join(f"'{e.name}'" for e in group)
    shared = f"events {names} of stream '{stream_name}' are all seen as '{seen_as}'"
    tells: dict[str, ir.Tell] = {}
    texts: dict[str, str] = {}  # text -> the event that has it
    json_events = [e for e in group if e.payload == "json"]
    for event in group:
        if event.payload == "none":
            tells[event.name] = ir.Tell("empty", value="")
        elif event.payload == "text":
            const = (event.data_schema or {}).get("const")
            if not isinstance(const, str):
                doc.error(
                    _loc(stream_name, event, "text"),
                    f"{shared}: the text of '{event.name}' needs a const to tell it apart",
                )
                continue
            tells[event.name] = ir.Tell("text", value=const)
        else:
            continue
        text = tells[event.name].value or ""
        if text in texts:
            doc.error(
                _loc(stream_name, event),
                f"{shared}: '{event.name}' and '{texts[text]}' both send the text {text!r}",
                key=True,
            )
        texts.setdefault(text, event.name)
        if json_events and _is_json(text):
            doc.error(
                _loc(stream_name, event),
                f"{shared}: the text {text!r} of '{event.name}' is also JSON, so it cannot be "
                f"told from '{json_events[0].name}'",
                key=True,
            )
    if len(json_events) > 1:
        if discriminator is not None:
            tells.update(
                _by_discriminator(doc, stream_name, shared, discriminator, json_events, defs)
            )
        else:
            tells.update(_by_member(doc, stream_name, shared, json_events, defs))
    elif json_events:
        tells[json_events[0].name] = ir.Tell("other")
    return tells


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _by_discriminator(
    doc: Document,
    stream_name: str,
    shared: str,
    discriminator: str,
    events: list[ir.Event],
    defs: dict[str, Schema],
) -> dict[str, ir.Tell]:
    tells: dict[str, ir.Tell] = {}
    owners: dict[str, str] = {}
    for event in events:
        members, required = _members(event.data_schema, defs)
        const = _const(members.get(discriminator), defs)
        if discriminator not in required or not isinstance(const, str):
            doc.error(
                _loc(stream_name, event, "data"),
                f"{shared}: '{event.name}' must require the discriminator '{discriminator}' "
                "with a string const",
            )
            continue
        if const in owners:
            doc.error(
                _loc(stream_name, event, "data"),
                f"{shared}: '{event.name}' and '{owners[const]}' both have "
                f"{discriminator} = {const!r}",
            )
            continue
        owners[const] = event.name
        tells[event.name] = ir.Tell("const", property=discriminator, value=const)
    return tells


def _by_member(
    doc: Document,
    stream_name: str,
    shared: str,
    events: list[ir.Event],
    defs: dict[str, Schema],
) -> dict[str, ir.Tell]:
    described = {e.name: _members(e.data_schema, defs) for e in events}
    tells: dict[str, ir.Tell] = {}
    others: list[ir.Event] = []
    for event in events:
        required = described[event.name][1]
        declared_elsewhere = {
            name
            for other, (other_members, other_required) in described.items()
            if other != event.name
            for name in (*other_members, *other_required)
        }
        own = sorted(required - declared_elsewhere)
        if own:
            tells[event.name] = ir.Tell("member", property=own[0])
        else:
            others.append(event)
    for event in others[1:]:
        doc.error(
            _loc(stream_name, event, "data"),
            f"{shared}: neither '{others[0].name}' nor '{event.name}' requires a member the other "
            "variants lack; declare the stream's 'discriminator' (a member with a const per "
            "variant) or give each variant a member of its own",
        )
    if others:
        tells[others[0].name] = ir.Tell("other")
    return tells


def _members(
    schema: Any, defs: dict[str, Schema], depth: int = 0
) -> tuple[dict[str, Any], set[str]]:
    """The members an object schema declares and those it requires, `$ref` and `allOf` followed.

    Bounded: a loop of `allOf` references is reported elsewhere (`Resolver.check_cycles`).
    """
    schema = resolve(schema, defs)
    properties = schema.get("properties")
    members = dict(properties) if isinstance(properties, dict) else {}
    listed = schema.get("required")
    required = {n for n in listed if isinstance(n, str)} if isinstance(listed, list) else set()
    parts = schema.get("allOf")
    for part in parts if isinstance(parts, list) and depth < 16 else ():
        more, more_required = _members(part, defs, depth + 1)
        members.update(more)
        required |= more_required
    return members, required


def _const(schema: Any, defs: dict[str, Schema]) -> Any:
    schema = resolve(schema, defs)
    if "const" in schema:
        return schema["const"]
    enum = schema.get("enum")
    return enum[0] if isinstance(enum, list) and len(enum) == 1 else None
