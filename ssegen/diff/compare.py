"""Compare two versions of the contracts: what changed, by the rules of `rules.py`.

Both sides are built as `ssegen build` builds them (IR catalogs with their
documents), so names, events and payloads are compared after $refs and
defaults are resolved. Packages match by name, streams by name (their
operationId), events by their spec name, parameters by location and wire
name. A change is positioned in the new spec, or in the old one for
something that is gone.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ssegen import ir
from ssegen.diff.rules import BY_ID, Severity
from ssegen.spec.loader import Document, Loc

Contract = tuple[ir.Catalog, Document]
_DEFS = "#/$defs/"
# Bounds that narrow what a parameter accepts when they grow (+1) or shrink (-1).
_BOUNDS = (
    ("minimum", 1),
    ("exclusiveMinimum", 1),
    ("minLength", 1),
    ("minItems", 1),
    ("maximum", -1),
    ("exclusiveMaximum", -1),
    ("maxLength", -1),
    ("maxItems", -1),
)


@dataclass(frozen=True, order=True)
class Change:
    """One classified change, sorted by position."""

    path: str
    line: int
    column: int
    rule: str
    message: str
    severity: Severity
    package: str
    stream: str | None = None
    event: str | None = None

    def text(self) -> str:
        return (
            f"{self.path}:{self.line}:{self.column}: {self.severity}: [{self.rule}] {self.message}"
        )


class _Side:
    def __init__(self, contract: Contract) -> None:
        self.catalog, self.doc = contract

    def change(
        self, rule: str, loc: Loc, message: str, stream: str | None = None, event: str | None = None
    ) -> Change:
        position = self.doc.at(loc, key=True)
        return Change(
            self.doc.path,
            position.line,
            position.col,
            rule,
            message,
            BY_ID[rule].severity,
            self.catalog.package,
            stream,
            event,
        )


def compare(old: list[Contract], new: list[Contract]) -> list[Change]:
    """Every change from `old` to `new`, sorted."""
    old_by = {catalog.package: (catalog, doc) for catalog, doc in old}
    new_by = {catalog.package: (catalog, doc) for catalog, doc in new}
    changes: list[Change] = []
    for package, before in old_by.items():
        if package not in new_by:
            side = _Side(before)
            for stream in before[0].streams:
                changes.extend(_removed_stream(side, stream))
            continue
        changes.extend(_package(_Side(before), _Side(new_by[package])))
    for package, after in new_by.items():
        if package not in old_by:
            side = _Side(after)
            for stream in after[0].streams:
                changes.append(_added_stream(side, stream))
    return sorted(set(changes))


def _added_stream(side: _Side, stream: ir.Stream) -> Change:
    return side.change(
        "stream-added", ("streams", stream.name), f"stream '{stream.name}' is new", stream.name
    )


def _removed_stream(side: _Side, stream: ir.Stream) -> Iterator[Change]:
    loc = ("streams", stream.name)
    yield side.change("stream-removed", loc, f"stream '{stream.name}' was removed", stream.name)
    if not stream.deprecated:
        yield side.change(
            "removed-without-deprecation",
            loc,
            f"stream '{stream.name}' was removed without being deprecated first",
            stream.name,
        )


def _package(old: _Side, new: _Side) -> Iterator[Change]:
    old_streams = {s.name: s for s in old.catalog.streams}
    new_streams = {s.name: s for s in new.catalog.streams}
    for name, stream in old_streams.items():
        if name not in new_streams:
            yield from _removed_stream(old, stream)
        else:
            yield from _stream(old, new, stream, new_streams[name])
    for name, stream in new_streams.items():
        if name not in old_streams:
            yield _added_stream(new, stream)


def _stream(old: _Side, new: _Side, before: ir.Stream, after: ir.Stream) -> Iterator[Change]:
    name = after.name
    loc: Loc = ("streams", name)
    if before.http_method != after.http_method:
        yield new.change(
            "method-changed",
            (*loc, "method"),
            f"stream '{name}': method {before.http_method} is now {after.http_method}",
            name,
        )
    if before.path != after.path:
        yield new.change(
            "path-changed",
            (*loc, "path"),
            f"stream '{name}': path '{before.path}' is now '{after.path}'",
            name,
        )
    yield from _params(old, new, before, after)
    yield from _body(old, new, before, after)
    yield from _events(old, new, before, after)
    yield from _resume(new, before, after)
    if before.retry != after.retry:
        yield new.change(
            "retry-changed",
            (*loc, "retry"),
            f"stream '{name}': retry {before.retry} is now {after.retry}",
            name,
        )
    if before.keepalive != after.keepalive:
        yield new.change(
            "keepalive-changed",
            (*loc, "keepalive"),
            f"stream '{name}': keepalive {_number(before.keepalive)} s is now {_number(after.keepalive)} s",
            name,
        )
    yield from _topic(new, before, after)
    if after.security is not None and before.security != after.security:
        yield new.change(
            "security-changed",
            (*loc, "security"),
            f"stream '{name}': its credentials changed ({_requirements(before)} -> {_requirements(after)})",
            name,
        )


def _requirements(stream: ir.Stream) -> str:
    if stream.security is None:
        return "public"
    return " or ".join(
        "+".join(scheme for scheme, _ in requirement) or "anonymous"
        for requirement in stream.security
    )


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def _params(old: _Side, new: _Side, before: ir.Stream, after: ir.Stream) -> Iterator[Change]:
    name = after.name
    old_params = {(p.location, p.wire_name): p for p in before.params}
    new_params = {(p.location, p.wire_name): p for p in after.params}
    for key, param in old_params.items():
        loc = ("streams", before.name, "params", *key)
        if key not in new_params:
            yield old.change(
                "param-removed",
                loc,
                f"stream '{name}': {key[0]} parameter '{key[1]}' was removed",
                name,
            )
            if not param.schema.get("deprecated"):
                yield old.change(
                    "removed-without-deprecation",
                    loc,
                    f"stream '{name}': {key[0]} parameter '{key[1]}' was removed without being "
                    "deprecated first",
                    name,
                )
            continue
        now = new_params[key]
        loc = ("streams", name, "params", *key)
        what = f"stream '{name}': {key[0]} parameter '{key[1]}'"
        if param.default_literal is not None and now.default_literal is None:
            yield new.change("param-made-required", loc, f"{what} is now required", name)
        if _types(param.schema, {}) != _types(now.schema, {}):
            yield new.change(
                "param-type-changed",
                loc,
                f"{what}: type {_shown(_types(param.schema, {}))} is now {_shown(_types(now.schema, {}))}",
                name,
            )
        else:
            narrowed = _narrowed(param.schema, now.schema)
            if narrowed:
                yield new.change("param-narrowed", loc, f"{what}: {narrowed}", name)
    for key, param in new_params.items():
        if key not in old_params and param.default_literal is None:
            yield new.change(
                "param-added-required",
                ("streams", name, "params", *key),
                f"stream '{name}': required {key[0]} parameter '{key[1]}' is new",
                name,
            )


def _narrowed(before: dict[str, Any], after: dict[str, Any]) -> str | None:
    """How `after` accepts less than `before` (a bound tightened, a pattern, enum values), if it does."""
    for key, direction in _BOUNDS:
        old, new = before.get(key), after.get(key)
        if isinstance(new, int | float) and (
            not isinstance(old, int | float) or (new - old) * direction > 0
        ):
            return f"{key} {old if old is not None else 'none'} is now {new}"
    if after.get("pattern") is not None and after.get("pattern") != before.get("pattern"):
        return f"pattern {before.get('pattern')!r} is now {after.get('pattern')!r}"
    removed = _enum(before) - _enum(after) if _enum(after) else set()
    if removed:
        return f"enum value(s) {_shown(removed)} no longer accepted"
    return None


def _body(old: _Side, new: _Side, before: ir.Stream, after: ir.Stream) -> Iterator[Change]:
    name = after.name
    loc: Loc = ("streams", name, "body")
    if before.body is None and after.body is not None:
        yield new.change("body-added", loc, f"stream '{name}' now takes a body", name)
    elif before.body is not None and after.body is None:
        yield old.change("body-removed", loc, f"stream '{name}' no longer takes a body", name)
    elif before.body is not None and after.body is not None:
        was = _resolve(before.body.schema, old.catalog.defs)
        now = _resolve(after.body.schema, new.catalog.defs)
        added = sorted(set(now.get("required", [])) - set(was.get("required", [])))
        for member in added:
            yield new.change(
                "body-required-added",
                (*loc, "properties", member),
                f"stream '{name}': the body's member '{member}' is now required",
                name,
            )


def _events(old: _Side, new: _Side, before: ir.Stream, after: ir.Stream) -> Iterator[Change]:
    name = after.name
    old_events = {e.name: e for e in before.events}
    new_events = {e.name: e for e in after.events}
    renamed: set[str] = set()
    for key, event in old_events.items():
        loc = ("streams", before.name, "events", key)
        if key in new_events:
            yield from _event(old, new, name, event, new_events[key])
            continue
        twin = next(
            (
                e
                for k, e in new_events.items()
                if k not in old_events and k not in renamed and e.seen_as == event.seen_as
            ),
            None,
        )
        if twin is not None:
            renamed.add(twin.name)
            yield new.change(
                "event-renamed",
                ("streams", name, "events", twin.name),
                f"stream '{name}': event '{key}' is now '{twin.name}' (same wire name "
                f"'{event.seen_as}'; its generated classes are renamed)",
                name,
                twin.name,
            )
            continue
        yield old.change(
            "event-removed", loc, f"stream '{name}': event '{key}' was removed", name, key
        )
        if not event.deprecated:
            yield old.change(
                "removed-without-deprecation",
                loc,
                f"stream '{name}': event '{key}' was removed without being deprecated first",
                name,
                key,
            )
    for key in new_events:
        if key not in old_events and key not in renamed:
            yield new.change(
                "event-added",
                ("streams", name, "events", key),
                f"stream '{name}': event '{key}' is new",
                name,
                key,
            )
    old_terminal = {e.name for e in before.events if e.terminal}
    new_terminal = {e.name for e in after.events if e.terminal}
    if old_terminal != new_terminal:
        yield new.change(
            "terminal-changed",
            ("streams", name, "events"),
            f"stream '{name}': it ends after {_shown(old_terminal) or 'nothing'}; now after "
            f"{_shown(new_terminal) or 'nothing'}",
            name,
        )
    old_error = before.error_event.name if before.error_event else None
    new_error = after.error_event.name if after.error_event else None
    if old_error != new_error:
        yield new.change(
            "error-event-changed",
            ("streams", name, "events", new_error or old_error or ""),
            f"stream '{name}': its error event '{old_error}' is now '{new_error}'",
            name,
        )


def _event(
    old: _Side, new: _Side, stream: str, before: ir.Event, after: ir.Event
) -> Iterator[Change]:
    loc: Loc = ("streams", stream, "events", after.name)
    what = f"stream '{stream}': event '{after.name}'"
    if before.seen_as != after.seen_as:
        yield new.change(
            "event-renamed",
            (*loc, "name"),
            f"{what} is sent as '{after.seen_as}' instead of '{before.seen_as}'",
            stream,
            after.name,
        )
    if before.payload != after.payload:
        yield new.change(
            "payload-kind-changed",
            loc,
            f"{what}: its payload was {before.payload}, is now {after.payload}",
            stream,
            after.name,
        )
        return
    if before.payload == "none":
        return
    field = "data" if after.payload == "json" else "text"
    yield from _schema(
        old,
        new,
        before.data_schema or {},
        after.data_schema or {},
        (*loc, field),
        what,
        stream,
        after.name,
        set(),
    )


def _schema(
    old: _Side,
    new: _Side,
    before: Any,
    after: Any,
    loc: Loc,
    what: str,
    stream: str,
    event: str,
    seen: set[tuple[str, str]],
) -> Iterator[Change]:
    """Changes inside a payload schema, member by member (refs followed once per pair)."""
    refs = (_ref(before), _ref(after))
    if refs[0] and refs[1]:
        if refs in seen:
            return
        seen = seen | {(refs[0], refs[1])}
    was = _resolve(before, old.catalog.defs)
    now = _resolve(after, new.catalog.defs)
    old_types, new_types = _types(was, old.catalog.defs), _types(now, new.catalog.defs)
    if old_types - {"null"} != new_types - {"null"} and old_types and new_types:
        yield new.change(
            "payload-type-changed",
            loc,
            f"{what}: type {_shown(old_types)} is now {_shown(new_types)}",
            stream,
            event,
        )
        return
    if ("null" in old_types) != ("null" in new_types):
        change = "may now be null" if "null" in new_types else "may no longer be null"
        yield new.change("payload-nullability-changed", loc, f"{what} {change}", stream, event)
    if "const" in was and "const" in now and was["const"] != now["const"]:
        yield new.change(
            "const-changed",
            loc,
            f"{what}: const {was['const']!r} is now {now['const']!r}",
            stream,
            event,
        )
    old_enum, new_enum = _enum(was), _enum(now)
    if old_enum and new_enum:
        if old_enum - new_enum:
            yield new.change(
                "enum-value-removed",
                loc,
                f"{what}: enum value(s) {_shown(old_enum - new_enum)} removed",
                stream,
                event,
            )
        if new_enum - old_enum:
            yield new.change(
                "enum-value-added",
                loc,
                f"{what}: enum value(s) {_shown(new_enum - old_enum)} added",
                stream,
                event,
            )
    old_props = was.get("properties", {}) if isinstance(was.get("properties"), dict) else {}
    new_props = now.get("properties", {}) if isinstance(now.get("properties"), dict) else {}
    old_required = set(was.get("required", []))
    new_required = set(now.get("required", []))
    for member, schema in old_props.items():
        spot = (*loc, "properties", member)
        if member not in new_props:
            yield old.change(
                "payload-field-removed",
                spot,
                f"{what}: member '{member}' was removed",
                stream,
                event,
            )
            if not (isinstance(schema, dict) and schema.get("deprecated")):
                yield old.change(
                    "removed-without-deprecation",
                    spot,
                    f"{what}: member '{member}' was removed without being deprecated first",
                    stream,
                    event,
                )
            continue
        if member in new_required and member not in old_required:
            yield new.change(
                "payload-made-required",
                spot,
                f"{what}: member '{member}' is now required",
                stream,
                event,
            )
        if member in old_required and member not in new_required:
            yield new.change(
                "payload-made-optional",
                spot,
                f"{what}: member '{member}' is now optional",
                stream,
                event,
            )
        yield from _schema(
            old,
            new,
            schema,
            new_props[member],
            spot,
            f"{what}: member '{member}'",
            stream,
            event,
            seen,
        )
    for member in new_props:
        if member not in old_props:
            rule = (
                "payload-field-added-required" if member in new_required else "payload-field-added"
            )
            required = "required " if member in new_required else ""
            yield new.change(
                rule,
                (*loc, "properties", member),
                f"{what}: {required}member '{member}' is new",
                stream,
                event,
            )
    if isinstance(was.get("items"), dict) and isinstance(now.get("items"), dict):
        yield from _schema(
            old, new, was["items"], now["items"], (*loc, "items"), f"{what}[]", stream, event, seen
        )


def _resume(new: _Side, before: ir.Stream, after: ir.Stream) -> Iterator[Change]:
    name = after.name
    loc: Loc = ("streams", name, "resume")
    if before.ids is not None and after.ids is None:
        yield new.change(
            "resume-removed", ("streams", name), f"stream '{name}' is no longer resumable", name
        )
    elif before.ids is None and after.ids is not None:
        yield new.change(
            "resume-added", loc, f"stream '{name}' is now resumable ({after.ids} ids)", name
        )
    elif before.ids != after.ids:
        yield new.change(
            "ids-changed",
            (*loc, "ids"),
            f"stream '{name}': its ids were {before.ids}, are now {after.ids}",
            name,
        )
    if (
        before.ids
        and after.ids
        and before.resume_query
        and before.resume_query != after.resume_query
    ):
        yield new.change(
            "resume-query-renamed",
            (*loc, "query"),
            f"stream '{name}': resume query '{before.resume_query}' is now "
            + (f"'{after.resume_query}'" if after.resume_query else "gone"),
            name,
        )


def _topic(new: _Side, before: ir.Stream, after: ir.Stream) -> Iterator[Change]:
    if before.topic is None or after.topic is None:
        return
    name = after.name
    loc: Loc = ("streams", name, "topic")
    old_key = [p.wire_name for p in before.topic.key]
    new_key = [p.wire_name for p in after.topic.key]
    if old_key != new_key:
        yield new.change(
            "topic-key-changed",
            (*loc, "key"),
            f"stream '{name}': topic key {old_key} is now {new_key}",
            name,
        )
    if after.topic.keep < before.topic.keep:
        yield new.change(
            "topic-retention-reduced",
            (*loc, "keep"),
            f"stream '{name}': the topic keeps {after.topic.keep} events instead of {before.topic.keep}",
            name,
        )
    old_ttl, new_ttl = before.topic.ttl, after.topic.ttl
    if new_ttl is not None and (old_ttl is None or new_ttl < old_ttl):
        yield new.change(
            "topic-retention-reduced",
            (*loc, "ttl"),
            f"stream '{name}': an idle instance is kept {_number(new_ttl)} s instead of "
            + ("forever" if old_ttl is None else f"{_number(old_ttl)} s"),
            name,
        )


def _ref(schema: Any) -> str | None:
    ref = schema.get("$ref") if isinstance(schema, dict) else None
    return ref if isinstance(ref, str) and ref.startswith(_DEFS) else None


def _resolve(schema: Any, defs: dict[str, Any], depth: int = 0) -> dict[str, Any]:
    """The schema with `$ref`s to the catalog's models followed (and a single-branch anyOf with null unwrapped)."""
    if not isinstance(schema, dict):
        return {}
    ref = _ref(schema)
    if ref is not None and depth < 32:
        return _resolve(defs.get(ref[len(_DEFS) :], {}), defs, depth + 1)
    return schema


def _types(schema: Any, defs: dict[str, Any], depth: int = 0) -> set[str]:
    """The JSON types a schema admits ("integer" counted apart from "number")."""
    schema = _resolve(schema, defs)
    if depth > 16 or not schema:
        return set()
    kind = schema.get("type")
    if isinstance(kind, str):
        return {kind}
    if isinstance(kind, list):
        return {str(k) for k in kind}
    if "const" in schema:
        return {_json_type(schema["const"])}
    if isinstance(schema.get("enum"), list):
        return {_json_type(value) for value in schema["enum"]}
    for combinator in ("anyOf", "oneOf"):
        if isinstance(schema.get(combinator), list):
            return set().union(*(_types(part, defs, depth + 1) for part in schema[combinator]))
    if "properties" in schema:
        return {"object"}
    return set()


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _enum(schema: dict[str, Any]) -> set[str]:
    values = schema.get("enum")
    return {repr(v) for v in values if v is not None} if isinstance(values, list) else set()


def _shown(values: set[str]) -> str:
    return ", ".join(sorted(values))
