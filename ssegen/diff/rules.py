"""The rules of `ssegen diff`: stable ids, default severities, who each change breaks.

Each rule is judged for two audiences: **clients** (code reading the wire:
browsers, SDKs, the generated clients) and **implementers** (code
implementing the generated contract: services, publishers). A rule's
severity is the worse of the two. `before`/`after` are the README's example
(README, "Contract evolution"); a test keeps the README's table in step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["breaking", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("breaking", "warning", "info")


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    breaks: str  # who it breaks, and how
    before: str
    after: str


RULES: tuple[Rule, ...] = (
    Rule(
        "stream-removed",
        "breaking",
        "clients: the route answers 404",
        "streams: {feed: ...}",
        "streams: {}",
    ),
    Rule("stream-added", "info", "nobody", "streams: {}", "streams: {feed: ...}"),
    Rule(
        "removed-without-deprecation",
        "breaking",
        "clients had no warning",
        "feed: {...}",
        "(feed removed, never `deprecated: true`)",
    ),
    Rule("method-changed", "breaking", "clients: 405", "method: GET", "method: POST"),
    Rule("path-changed", "breaking", "clients: 404", "path: /feed", "path: /v2/feed"),
    Rule(
        "param-added-required",
        "breaking",
        "clients: requests without it get 422",
        "query: {}",
        "query: {since: {type: string}, ...required}",
    ),
    Rule(
        "param-removed",
        "breaking",
        "implementers: the method loses an argument; clients: it is ignored",
        "query: {since: ...}",
        "query: {}",
    ),
    Rule(
        "param-type-changed",
        "breaking",
        "clients: their values may no longer validate",
        "limit: {type: string}",
        "limit: {type: integer}",
    ),
    Rule(
        "param-narrowed",
        "breaking",
        "clients: values they send may no longer validate",
        "limit: {maximum: 100}",
        "limit: {maximum: 10}",
    ),
    Rule(
        "param-made-required",
        "breaking",
        "clients: requests without it get 422",
        "since: {default: '0'}",
        "since: {type: string} (no default)",
    ),
    Rule("body-added", "breaking", "clients: their requests lack it", "(no body)", "body: {...}"),
    Rule(
        "body-removed",
        "breaking",
        "implementers: the method loses `body`",
        "body: {...}",
        "(no body)",
    ),
    Rule(
        "body-required-added",
        "breaking",
        "clients: bodies without it get 422",
        "required: [model]",
        "required: [model, user]",
    ),
    Rule(
        "event-removed",
        "breaking",
        "clients: the listener never fires",
        "events: {progress: ...}",
        "events: {}",
    ),
    Rule(
        "event-renamed",
        "breaking",
        "clients: the `event:` line changed, so the listener never fires",
        "progress: {}",
        "progress: {name: job.progress}",
    ),
    Rule(
        "event-added",
        "warning",
        "clients that reject unknown events",
        "events: {done: ...}",
        "events: {done: ..., note: ...}",
    ),
    Rule(
        "terminal-changed",
        "breaking",
        "clients stop early or never stop",
        "done: {terminal: true}",
        "done: {}",
    ),
    Rule(
        "error-event-changed",
        "breaking",
        "clients miss failures",
        "failed: {error: true}",
        "crashed: {error: true}",
    ),
    Rule(
        "resume-removed",
        "breaking",
        "clients' stored Last-Event-IDs are ignored; reconnects start over",
        "resume: {ids: sequence}",
        "(no resume)",
    ),
    Rule("resume-added", "info", "nobody", "(no resume)", "resume: {ids: sequence}"),
    Rule(
        "ids-changed",
        "breaking",
        "clients' stored Last-Event-IDs get 400 or skip events",
        "resume: {ids: sequence}",
        "resume: {ids: handler}",
    ),
    Rule(
        "resume-query-renamed",
        "breaking",
        "clients resuming by query parameter",
        "resume: {query: after}",
        "resume: {query: cursor}",
    ),
    Rule(
        "retry-changed",
        "info",
        "nobody: clients reconnect at another pace",
        "retry: 3000",
        "retry: 1000",
    ),
    Rule(
        "keepalive-changed",
        "info",
        "proxies with short idle timeouts, when it grows",
        "keepalive: 15",
        "keepalive: 60",
    ),
    Rule(
        "payload-field-removed",
        "breaking",
        "clients reading the field",
        "properties: {url: ...}",
        "properties: {}",
    ),
    Rule(
        "payload-field-added-required",
        "breaking",
        "implementers: every event must now carry it",
        "required: [id]",
        "required: [id, at] (new `at`)",
    ),
    Rule(
        "payload-field-added",
        "info",
        "nobody",
        "properties: {id: ...}",
        "properties: {id: ..., note: ...}",
    ),
    Rule(
        "payload-type-changed",
        "breaking",
        "clients parsing the value",
        "percent: {type: integer}",
        "percent: {type: string}",
    ),
    Rule(
        "payload-made-required",
        "breaking",
        "implementers: they must now always send it",
        "required: []",
        "required: [stage]",
    ),
    Rule(
        "payload-made-optional",
        "breaking",
        "clients relying on the field",
        "required: [stage]",
        "required: []",
    ),
    Rule(
        "payload-nullability-changed",
        "breaking",
        "clients (null added) or implementers (null removed)",
        "type: string",
        "type: [string, 'null']",
    ),
    Rule(
        "enum-value-removed",
        "breaking",
        "implementers sending it; clients' stored values",
        "enum: [a, b]",
        "enum: [a]",
    ),
    Rule(
        "enum-value-added",
        "warning",
        "clients that handle every value exhaustively",
        "enum: [a]",
        "enum: [a, b]",
    ),
    Rule(
        "const-changed",
        "breaking",
        "clients matching the value (a `[DONE]` sentinel)",
        "text: {const: '[DONE]'}",
        "text: {const: '[END]'}",
    ),
    Rule(
        "payload-kind-changed", "breaking", "clients parsing the data", "data: {...}", "text: true"
    ),
    Rule(
        "topic-key-changed",
        "breaking",
        "publishers and subscribers address other instances",
        "key: [user_id]",
        "key: [user_id, tab]",
    ),
    Rule(
        "topic-retention-reduced",
        "warning",
        "clients resuming after a longer absence get `ssegen.missed`",
        "keep: 1000",
        "keep: 100",
    ),
    Rule(
        "security-changed",
        "breaking",
        "clients without the new credentials get 401",
        "security: []",
        "security: [{bearer: []}]",
    ),
)

BY_ID = {rule.id: rule for rule in RULES}
