"""The HTML of the docs page: every stream's events on the page itself, then Scalar.

The events overview is rendered here, on the server, from the OpenAPI document
the app serves (the merged event catalog, docs/event-catalog.md): for each
stream its events, what each carries, every example frame, whether it ends
the stream, and, for a topic, that it is a broadcast. It needs no script, so
it is readable with the interactive reference unreachable (no internet) and
without a click with it.

The interactive reference below it is Scalar's standalone bundle, tried from
each source in turn (the local copy first when there is one). If none loads,
the page says so where the reference would be, and how to serve a copy.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

Document = Mapping[str, Any]
_METHODS = ("get", "put", "post", "delete", "patch", "query")
_EVENT_STREAM = "text/event-stream"

_STYLE = """
.ssegen-events{font:15px/1.5 system-ui,sans-serif;max-width:1100px;margin:0 auto;padding:16px 24px}
.ssegen-events h1{font-size:24px;margin:8px 0}
.ssegen-events h2{font-size:18px;margin:28px 0 4px;border-top:1px solid #ddd;padding-top:16px}
.ssegen-events code,.ssegen-events pre{font:13px/1.4 ui-monospace,monospace}
.ssegen-events code{padding:0;background:none;border:0}
.ssegen-events ul{margin:4px 0;padding-left:18px}
.ssegen-events pre{background:#f5f5f7;padding:8px;margin:4px 0;white-space:pre-wrap;word-break:break-all}
.ssegen-events table{border-collapse:collapse;width:100%}
.ssegen-events td,.ssegen-events th{border-top:1px solid #e5e5e5;padding:6px 8px;vertical-align:top;text-align:left}
.ssegen-events .tag{display:inline-block;border-radius:4px;padding:0 6px;margin-right:6px;font-size:13px;background:#eef}
.ssegen-events .broadcast{background:#fdebd0}
.ssegen-events .notice{background:#fff4e5;border:1px solid #f0b35b;padding:12px;margin:16px 0}
"""


def render_page(
    title: str, document: Document, sources: Sequence[str], config: Mapping[str, Any]
) -> str:
    """The whole page: `title`, the events of `document`, and Scalar loaded from `sources`."""
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        + events_overview(title, document)
        + '<div id="app"></div>\n'
        + _loader(sources, config)
        + "</body>\n</html>\n"
    )


def events_overview(title: str, document: Document) -> str:
    """A section listing every stream of `document` with its events (no script needed)."""
    parts = [
        '<section class="ssegen-events" id="events">\n',
        f"<h1>{html.escape(title)}: events</h1>\n",
        (
            "<p>Every stream and the events it sends, from the event catalog. "
            "The interactive reference follows below.</p>\n"
        ),
    ]
    streams = list(_streams(document))
    if not streams:
        parts.append("<p>This app serves no event streams.</p>\n")
    for path, method, operation, media in streams:
        parts.append(_stream(document, path, method, operation, media))
    parts.append(
        '<div class="notice" id="reference-status" role="status">'
        "Loading the interactive reference&hellip;</div>\n"
        '<noscript><div class="notice">The interactive reference needs JavaScript; '
        "the events above are complete without it.</div></noscript>\n</section>\n"
    )
    return "".join(parts)


def _streams(document: Document) -> Iterator[tuple[str, str, Mapping[str, Any], Mapping[str, Any]]]:
    for path, item in (document.get("paths") or {}).items():
        if not isinstance(item, Mapping):
            continue
        for method in _METHODS:
            operation = item.get(method)
            if not isinstance(operation, Mapping):
                continue
            ok = (operation.get("responses") or {}).get("200")
            media = (
                (ok.get("content") or {}).get(_EVENT_STREAM) if isinstance(ok, Mapping) else None
            )
            if isinstance(media, Mapping):
                yield str(path), method, operation, media


def _stream(
    document: Document,
    path: str,
    method: str,
    operation: Mapping[str, Any],
    media: Mapping[str, Any],
) -> str:
    found = media.get("x-sse")
    sse: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    name = str(operation.get("operationId") or f"{method} {path}")
    parts = [
        f'<article class="stream" id="stream-{html.escape(name, quote=True)}">\n',
        f"<h2><code>{method.upper()} {html.escape(path)}</code></h2>\n",
    ]
    summary = operation.get("summary") or operation.get("description")
    if summary:
        parts.append(f"<p>{html.escape(str(summary))}</p>\n")
    parts.append(_traits(sse))
    events = list(_events(document, media))
    examples = _examples_by_event(media)
    parts.append(
        "<table>\n<thead><tr><th>event</th><th>what it is</th><th>data</th>"
        "<th>example frames</th></tr></thead>\n<tbody>\n"
    )
    for label, branch in events:
        error = label == sse.get("error")
        parts.append(_event_row(document, label, branch, examples.get(label, []), error=error))
    parts.append("</tbody>\n</table>\n</article>\n")
    return "".join(parts)


def _traits(sse: Mapping[str, Any]) -> str:
    """The stream's kind in badges: broadcast topic, resume, what ends it."""
    tags = []
    topic = sse.get("topic")
    if isinstance(topic, Mapping):
        key = ", ".join(f"<code>{html.escape(str(k))}</code>" for k in topic.get("key") or [])
        instance = f" (one instance per {key})" if key else ""
        tags.append(
            '<span class="tag broadcast">broadcast topic</span> every subscriber of an '
            f"instance{instance} receives every event published to it, from when it subscribes"
        )
    resume = sse.get("resume")
    if isinstance(resume, Mapping):
        tags.append(
            '<span class="tag">resumable</span> reconnects with <code>Last-Event-ID</code> '
            "get what they missed"
        )
    terminal = sse.get("terminal")
    if isinstance(terminal, list) and terminal:
        names = ", ".join(f"<code>{html.escape(str(t))}</code>" for t in terminal)
        tags.append(f'<span class="tag">ends</span> after {names}')
    else:
        tags.append('<span class="tag">endless</span> until the client leaves')
    return "".join(f"<p>{tag}</p>\n" for tag in tags)


def _events(
    document: Document, media: Mapping[str, Any]
) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(label, frame schema) per event: the label is the `event:` value, or its title."""
    frame = _resolve(document, media.get("itemSchema"))
    branches = frame.get("oneOf") or frame.get("anyOf") or [frame]
    for branch in branches:
        schema = _resolve(document, branch)
        event = (schema.get("properties") or {}).get("event")
        if isinstance(event, Mapping) and "const" in event:
            label = str(event["const"])
        else:
            label = "message"  # no `event:` line: what EventSource dispatches
        yield label, schema


def _event_row(
    document: Document,
    label: str,
    schema: Mapping[str, Any],
    examples: list[str],
    *,
    error: bool,
) -> str:
    notes = [_sentence(str(schema["description"]))] if schema.get("description") else []
    if schema.get("x-sse-terminal"):
        notes.append("Ends the stream.")
    if error:
        notes.append("The stream's error event.")
    if schema.get("deprecated"):
        notes.append("Deprecated.")
    what = " ".join(html.escape(n) for n in notes)
    event = (schema.get("properties") or {}).get("event")
    if not isinstance(event, Mapping) or "const" not in event:
        what += " Sent without an <code>event:</code> line: clients see <code>message</code>."
    # The spec's key for the event, where the wire name differs (`name:`, or no event line).
    key = str(schema.get("title") or label)
    shown = f"<code>{html.escape(label)}</code>" + (
        f"<br>key <code>{html.escape(key)}</code>" if key != label else ""
    )
    data = (schema.get("properties") or {}).get("data")
    frames = "".join(f"<pre>{html.escape(frame)}</pre>" for frame in examples) or "&mdash;"
    return (
        f'<tr class="event"><td>{shown}</td><td>{what.strip()}</td>'
        f"<td>{_payload(document, data)}</td><td>{frames}</td></tr>\n"
    )


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?", ":")) else text + "."


def _payload(document: Document, data: Any) -> str:
    if not isinstance(data, Mapping):
        return "&mdash;"
    if data.get("const") == "":
        return "none (an empty <code>data:</code> line)"
    schema = data.get("contentSchema")
    kind = str(data.get("contentMediaType", "text/plain"))
    if schema is None:
        return f"text: {html.escape(_type(document, data, 0))}"
    name = _ref_name(schema)
    heading = html.escape(kind) + (f", <code>{html.escape(name)}</code>" if name else "")
    resolved = _resolve(document, schema)
    members = resolved.get("properties")
    if not isinstance(members, Mapping) or not members:
        return f"{heading}: <code>{html.escape(_type(document, schema, 0))}</code>"
    required = resolved.get("required") or []
    items = []
    for member, member_schema in members.items():
        mark = "" if member in required else " (optional)"
        note = member_schema.get("description") if isinstance(member_schema, Mapping) else None
        items.append(
            f"<li><code>{html.escape(str(member))}</code>: "
            f"<code>{html.escape(_type(document, member_schema, 1))}</code>{mark}"
            + (f" &mdash; {html.escape(str(note))}" if note else "")
            + "</li>"
        )
    return f"{heading}<ul>{''.join(items)}</ul>"


def _type(document: Document, schema: Any, depth: int) -> str:
    """A schema in one short line: `integer`, `'stop' | 'length'`, `list of Message`, ..."""
    if schema is True or schema == {}:
        return "any"
    if not isinstance(schema, Mapping):
        return "?"
    name = _ref_name(schema)
    if name is not None:
        return name
    if "const" in schema:
        return json.dumps(schema["const"], ensure_ascii=False)
    if isinstance(schema.get("enum"), list):
        return " | ".join(json.dumps(v, ensure_ascii=False) for v in schema["enum"])
    for key in ("oneOf", "anyOf"):
        if isinstance(schema.get(key), list):
            return " | ".join(_type(document, b, depth + 1) for b in schema[key])
    kind = schema.get("type")
    if kind == "array":
        return f"list of {_type(document, schema.get('items', {}), depth + 1)}"
    members = schema.get("properties")
    if isinstance(members, Mapping) and members:
        if depth >= 2:
            return "object"
        return (
            "{"
            + ", ".join(f"{k}: {_type(document, v, depth + 1)}" for k, v in members.items())
            + "}"
        )
    if isinstance(kind, list):
        return " | ".join(str(k) for k in kind)
    return str(kind) if kind else "any"


def _examples_by_event(media: Mapping[str, Any]) -> dict[str, list[str]]:
    """Example frames grouped by the event they show (their `event:` line, else `message`)."""
    grouped: dict[str, list[str]] = {}
    for example in (media.get("examples") or {}).values():
        if not isinstance(example, Mapping):
            continue
        frame = example.get("serializedValue", example.get("value"))
        if not isinstance(frame, str):
            continue
        label = "message"
        for line in frame.split("\n"):
            if line.startswith("event:"):
                label = line[len("event:") :].removeprefix(" ")
                break
        grouped.setdefault(label, []).append(frame)
    return grouped


def _resolve(document: Document, node: Any) -> Mapping[str, Any]:
    seen: set[str] = set()
    while isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
        ref = node["$ref"]
        if ref in seen:
            break
        seen.add(ref)
        node = _pointer(document, ref)
    return node if isinstance(node, Mapping) else {}


def _pointer(document: Document, ref: str) -> Any:
    if not ref.startswith("#/"):
        return None
    node: Any = document
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        node = node.get(part) if isinstance(node, Mapping) else None
    return node


def _ref_name(schema: Any) -> str | None:
    if isinstance(schema, Mapping) and isinstance(schema.get("$ref"), str):
        return str(schema["$ref"]).rpartition("/")[2]
    return None


def _loader(sources: Sequence[str], config: Mapping[str, Any]) -> str:
    """Load Scalar from the first source that works; say so on the page when none does."""
    # JSON inside <script>: "<" escaped so that no value can close the element.
    data = json.dumps(
        {"sources": list(sources), "config": dict(config)}, ensure_ascii=False
    ).replace("<", "\\u003c")
    return (
        "<script>\n(function () {\n"
        f"  var setup = {data};\n"
        "  var status = document.getElementById('reference-status');\n"
        "  function failed() {\n"
        "    status.textContent = 'The interactive reference could not be shown: its script '"
        " + 'did not load from ' + setup.sources.join(' or ') + '. This machine may have no '"
        " + 'internet access. The events above are complete without it. To serve the script '"
        " + 'from this app, run `npm install @scalar/api-reference` beside it, or pass '"
        " + 'script_path= to add_event_catalog.';\n"
        "  }\n"
        "  function load(i) {\n"
        "    if (i >= setup.sources.length) { failed(); return; }\n"
        "    var script = document.createElement('script');\n"
        "    script.src = setup.sources[i];\n"
        "    script.onload = function () {\n"
        "      if (typeof Scalar === 'undefined') { load(i + 1); return; }\n"
        "      status.remove();\n"
        "      Scalar.createApiReference('#app', setup.config);\n"
        "    };\n"
        "    script.onerror = function () { load(i + 1); };\n"
        "    document.body.appendChild(script);\n"
        "  }\n"
        "  load(0);\n"
        "})();\n</script>\n"
    )
