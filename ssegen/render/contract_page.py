"""The contract page of one package: `generated/docs/<package>.md`.

Written to be reviewed in a pull request: what a client of each stream must
know (endpoint, parameters, resume and retry behaviour, terminal and error
events, every event's payload fields and frames on the wire), in the order of
the spec, with nothing that changes unless the contract does. This module
prepares the facts; `templates/docs.md.jinja` lays them out, and spec strings
reach the page only through the filters of `markdown.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ssegen import ir
from ssegen.render import openapi
from ssegen.render.field_tables import FieldRow, constraints_md, field_rows, is_object, type_md
from ssegen.render.frames import example_frames
from ssegen.render.markdown import md_code, md_inline
from ssegen.render.typescript import camel
from ssegen.render.wording import listed, number
from ssegen.wire import MISSED_EVENT


@dataclass(frozen=True)
class ParamRow:
    name: str
    location: str
    type_md: str
    required: bool
    constraints_md: str
    description: str | None


@dataclass(frozen=True)
class EventDoc:
    event: ir.Event
    kind_md: str  # the events table's payload column: `JSON`, `text`, `none`
    payload_md: str  # one line: what the data line carries
    fields: tuple[FieldRow, ...]  # when the payload is an object
    frames: str  # every example frame of the event, as on the wire
    wire_md: str | None  # how it goes out, when not simply `event: <its name>`


@dataclass(frozen=True)
class StreamDoc:
    stream: ir.Stream
    params: tuple[ParamRow, ...]
    body_md: str | None
    body_fields: tuple[FieldRow, ...]
    behaviour: tuple[str, ...]  # Markdown, one bullet each
    responses: tuple[tuple[str, str], ...]  # (status, Markdown)
    events: tuple[EventDoc, ...]

    @property
    def endpoint(self) -> str:
        return md_code(f"{self.stream.http_method} {self.stream.path}")


def _params(stream: ir.Stream) -> tuple[ParamRow, ...]:
    rows = []
    for parameter in openapi.parameters(stream):
        schema: dict[str, Any] = parameter["schema"]
        rows.append(
            ParamRow(
                name=parameter["name"],
                location=parameter["in"],
                type_md=type_md(schema, {}),
                required=parameter["required"],
                constraints_md=constraints_md(schema),
                description=parameter.get("description"),
            )
        )
    return tuple(rows)


def _resume(stream: ir.Stream) -> str:
    if stream.ids is None:
        replay = " and replays nothing" if stream.topic is not None else ""
        return f"**Resume**: not resumable. Events carry no `id:`; a reconnect starts over{replay}."
    fallback = (
        f" (or the {md_code(stream.resume_query)} query parameter, for clients that cannot set headers;"
        " the header wins)"
        if stream.resume_query
        else ""
    )
    if stream.topic is not None:
        return (
            "**Resume**: the broker gives the events of an instance increasing integer ids (each "
            "the previous plus one). A new subscriber first gets the retained events, then live "
            f"ones; one that reconnects with `Last-Event-ID`{fallback} gets every retained event "
            "after that id, then live ones. If the id is no longer retained, the stream starts "
            f'with {md_code(MISSED_EVENT)} (data `{{"last_event_id":"<id>"}}`, no id): '
            "refetch what the missed events would have built. "
            "A value that is not a non-negative integer gets 400."
        )
    if stream.ids == "sequence":
        return (
            "**Resume**: the server numbers events 1, 2, 3 and so on. A client that reconnects with "
            f"`Last-Event-ID`{fallback} resumes after that id. A value that is not a non-negative "
            "integer gets 400."
        )
    return (
        "**Resume**: the server sets each event's id. A client that reconnects with "
        f"`Last-Event-ID`{fallback} resumes after that id. A value with CR, LF or NUL gets 400."
    )


def _behaviour(catalog: ir.Catalog, stream: ir.Stream) -> tuple[str, ...]:
    lines = []
    if stream.retry is not None:
        lines.append(
            f"**Retry**: every response starts with `retry: {stream.retry}`: clients wait "
            f"{stream.retry} ms before they reconnect."
        )
    else:
        lines.append(
            "**Retry**: no `retry:` field; clients wait their default delay before they reconnect."
        )
    if stream.keepalive:
        lines.append(
            f"**Keepalive**: a `:` comment line after {number(stream.keepalive)} s without events."
        )
    else:
        lines.append("**Keepalive**: none; a quiet stream sends nothing.")
    lines.append(_resume(stream))
    if stream.max_body is not None:
        lines.append(
            f"**Body**: at most {stream.max_body} bytes; a larger one gets 413 before it is read. "
            "A number that is not finite (`NaN`, `Infinity`, `1e999`) gets 400."
        )
    if stream.topic is not None:
        key = (
            listed([p.wire_name for p in stream.topic.key], "and", md_code)
            if stream.topic.key
            else None
        )
        instance = f"one per value of {key}" if key else "a single instance"
        ttl = (
            f"; an idle instance is dropped after {number(stream.topic.ttl)} s"
            if stream.topic.ttl is not None
            else ""
        )
        lines.append(
            f"**Topic**: events are published, not computed per request; every subscriber of an "
            f"instance ({instance}) receives them. The last {stream.topic.keep} events of an "
            f"instance are kept for replay{ttl}."
        )
    if catalog.secured:
        lines.append(_security(catalog, stream))
    lines.append(
        f"**Client**: `async for event in {catalog.client_class}(base_url).{stream.client_call}` "
        f"(Python, `{catalog.package}/client.py`; in TypeScript `{camel(stream.name)}(baseUrl, ...)` "
        f"of `typescript/{catalog.package}.ts`) yields the stream's events as their classes, "
        + (
            "reconnecting with `Last-Event-ID` when cut."
            if stream.reconnects
            else "and is never re-sent when cut (no `resume`): it raises "
            f"`{catalog.interrupted_error}`."
        )
    )
    terminal = [event.name for event in stream.terminal_events]
    if terminal:
        lines.append(f"**Ends** after {listed(terminal, 'or', md_code)}.")
    else:
        lines.append("**Ends**: never by itself; the server keeps the stream open.")
    if any(event.tell.kind != "own" for event in stream.events):
        member = (
            f"their JSON member {md_code(stream.discriminator)}"
            if stream.discriminator
            else "a JSON member of their own"
        )
        lines.append(
            "**Variants**: some events share what a client sees as their type (the `event:` "
            f"line, `message` without one); they are told apart by {member} or by their "
            "text (see each event)."
        )
    if stream.error_event is not None:
        lines.append(
            f"**Errors**: a failure after the stream started is sent as {md_code(stream.error_event.name)}, "
            "then the stream ends. A failure before the first event is an HTTP error (see Responses)."
        )
    if stream.answer is not None:
        lines.append(
            f"**JSON answer**: model {md_code(stream.answer.model)}. "
            + openapi.answer_description(stream.answer)
        )
    if stream.response_headers:
        names = listed([h.wire_name for h in stream.response_headers], "and", md_code)
        lines.append(
            f"**Response headers**: {names}, set by the handler before the first event and sent "
            "with the status line when set (see Responses)."
        )
    if stream.errors is not None:
        statuses = "".join(
            f" {status}: {md_inline(description.rstrip('.'))}."
            for status, description in stream.errors.statuses
        )
        lines.append(
            f"**Error responses**: every error before the stream is `application/json` in the "
            f"API's envelope, model {md_code(stream.errors.model)}; a request that does not "
            f"validate gets {stream.errors.validation}.{statuses}"
        )
    return tuple(lines)


def _security(catalog: ir.Catalog, stream: ir.Stream) -> str:
    """Who may open the stream: each alternative, its schemes and scopes; then what refuses."""
    if stream.security is None:
        return "**Security**: public; no credentials needed."
    summaries = {scheme.name: scheme.summary for scheme in catalog.security_schemes}
    alternatives = []
    for requirement in (r for r in stream.security if r):
        parts = [
            f"{md_inline(summaries[name])} (scheme {md_code(name)}"
            + (f", scopes {listed(list(scopes), 'and', md_code)}" if scopes else "")
            + ")"
            for name, scopes in requirement
        ]
        alternatives.append(" and ".join(parts))
    wanted = listed(alternatives, "or", str)
    if () in stream.security:
        text = f"**Security**: optional; a caller may send {wanted}, or nothing. "
    else:
        text = f"**Security**: needs {wanted}. "
    text += ("Refused" if () in stream.security else "Missing or refused") + (
        " credentials get 401 with `WWW-Authenticate`"
    )
    if any(scopes for requirement in stream.security for _, scopes in requirement):
        text += ", missing scopes 403"
    text += ", both before the stream starts."
    if stream.topic is not None:
        text += (
            f" The app decides who may subscribe to each instance "
            f"({md_code(catalog.access_class + '.' + stream.access_hook)}); a refused caller gets 403."
        )
    return text


def _payload_md(catalog: ir.Catalog, event: ir.Event) -> str:
    if event.payload == "none":
        return "No payload: the `data:` line is empty."
    schema = event.data_schema or {}
    if event.payload == "text":
        constraints = constraints_md(schema)
        return "Text, one `data:` line per line" + (f": {constraints}." if constraints else ".")
    model = event.data_annotation if event.data_annotation in catalog.defs else None
    kind = f"JSON, model {md_code(model)}" if model else "JSON"
    if is_object(schema, catalog.defs):
        return f"{kind}:"
    constraints = constraints_md(schema)
    return f"{kind}: {type_md(schema, catalog.defs)}" + (
        f", {constraints}." if constraints else "."
    )


def _told_apart(tell: ir.Tell) -> str:
    if tell.kind == "const":
        return f"by its {md_code(str(tell.property))} member, {md_code(repr(tell.value))}"
    if tell.kind == "member":
        return f"by its {md_code(str(tell.property))} member, which the others lack"
    if tell.kind == "text":
        return f"by its text, {md_code(str(tell.value))}"
    if tell.kind == "empty":
        return "by its empty `data:` line"
    return "as the JSON payload that matches none of the others"


def _wire_md(event: ir.Event) -> str | None:
    """How an event goes out, said only where it is not `event: <its name>` alone."""
    if event.wire_name is None:
        line = "On the wire: no `event:` line (EventSource dispatches it as `message`)."
    elif event.wire_name != event.name:
        line = f"On the wire: {md_code('event: ' + event.wire_name)}."
    else:
        line = ""
    if event.tell.kind != "own":
        seen = md_code(event.seen_as)
        line += f" Other events are also seen as {seen}: this one is told apart {_told_apart(event.tell)}."
    return line.strip() or None


def _event_doc(catalog: ir.Catalog, frames: dict[str, str], event: ir.Event) -> EventDoc:
    schema = event.data_schema or {}
    rows = field_rows(schema, catalog.defs) if event.payload == "json" else ()
    kind = {"json": "JSON", "text": "text", "none": "none"}[event.payload]
    payload = _payload_md(catalog, event)
    return EventDoc(event, kind, payload, rows, frames.get(event.name, ""), _wire_md(event))


def _responses(catalog: ir.Catalog, stream: ir.Stream) -> tuple[tuple[str, str], ...]:
    rows = []
    for status, response in openapi.responses(catalog, stream).items():
        media = next(iter(response.get("content", {})), None)
        shown = "other" if status == "default" else status
        label = f"{shown} {md_code(media)}" if media else shown
        rows.append((label, str(response["description"])))
    return tuple(rows)


def stream_docs(catalog: ir.Catalog) -> tuple[StreamDoc, ...]:
    return tuple(stream_doc(catalog, stream) for stream in catalog.streams)


def stream_doc(catalog: ir.Catalog, stream: ir.Stream) -> StreamDoc:
    frames: dict[str, str] = {}
    for frame in example_frames(stream):
        frames[frame.event.name] = frames.get(frame.event.name, "") + frame.wire
    body_md = body_fields = None
    if stream.body is not None:
        model = stream.body.annotation if stream.body.annotation in catalog.defs else None
        body_md = f"JSON, model {md_code(model)}" if model else "JSON"
        body_fields = field_rows(stream.body.schema, catalog.defs)
    return StreamDoc(
        stream=stream,
        params=_params(stream),
        body_md=body_md,
        body_fields=body_fields or (),
        behaviour=_behaviour(catalog, stream),
        responses=_responses(catalog, stream),
        events=tuple(_event_doc(catalog, frames, event) for event in stream.events),
    )
