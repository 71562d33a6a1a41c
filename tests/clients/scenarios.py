"""What the conformance streams send, shared by the ssegen app and the reference app.

`/numbers/{key}` is resumable with sequence ids: event n carries id n. Each
response resumes after the client's last id, sends at most `every` ticks
(0: all), and ends; the `end` event (id total + 1) closes the stream for good
when `end` is set. A request that resumes at or after the last event gets
nothing to send, which the server must answer with 204.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

BLANK_PAGE = "<!doctype html><title>ssegen client conformance</title>"

# Short, so that reconnects in the tests do not wait the browsers' default 3 s.
# The ssegen app sends the `retry` of specs/conformance.yaml: keep them equal.
RETRY_MS = 50

# `/quiet/{key}` pauses between events for longer than its keepalive, so
# keepalive comments sit between events (and after ids): no client may report
# them as events (httpx-sse 0.4 does, once it has seen an id). The ssegen app
# sends the `keepalive` of specs/conformance.yaml.
QUIET_KEEPALIVE_S = 0.02
QUIET_PAUSE_S = 0.1


@dataclass(frozen=True, slots=True)
class NumbersPlan:
    total: int
    every: int = 0
    end: bool = True

    def ticks_after(self, last_event_id: int | None) -> Iterator[int]:
        """The tick numbers one response sends after `last_event_id`."""
        start = last_event_id or 0
        stop = self.total if self.every <= 0 else min(self.total, start + self.every)
        yield from range(start + 1, stop + 1)

    def ends_after(self, last_event_id: int | None) -> bool:
        """Whether a response after `last_event_id` also sends the terminal `end`."""
        start = last_event_id or 0
        reaches_total = self.every <= 0 or start + self.every >= self.total
        return self.end and start <= self.total and reaches_total

    def nothing_after(self, last_event_id: int | None) -> bool:
        start = last_event_id or 0
        return start >= self.total + (1 if self.end else 0)


# `/cursors/{key}` sets its own ids (`ids: handler`): opaque strings, ASCII or
# not (`?style=`). Last-Event-ID must carry them back byte for byte, encoded as
# UTF-8 (WHATWG HTML, reestablishing the connection). An id the server does not
# know is answered with 409, which fails the connection in every client, so a
# mangled id ends the test at once.
CursorStyle = Literal["ascii", "utf8"]
UNKNOWN_CURSOR_STATUS = 409


def cursor_id(n: int, style: CursorStyle) -> str:
    if style == "ascii":
        return f"cursor {n:03d}: a/b=c"
    return f"curs\u00f6r-\u2116{n:03d}-\u6e38\u6807"


class UnknownCursor(LookupError):
    pass


def cursor_position(last_event_id: str | None, total: int, style: CursorStyle) -> int:
    """The number of the last event the client had (0 for none); raises UnknownCursor."""
    if not last_event_id:
        return 0
    known = {cursor_id(n, style): n for n in range(1, total + 2)}
    if last_event_id not in known:
        raise UnknownCursor(f"unknown cursor {last_event_id!r}")
    return known[last_event_id]


# `/crashing/{key}` and `/failing/{key}` send ticks 1..`ticks` (ids 1..ticks),
# then their handler raises with SECRET in the exception. The runtime sends
# the stream's `failed` event (id ticks + 1) and ends the response cleanly:
# for `/crashing` its default problem, for `/failing` the one the service's
# `failing_error` hook builds from the exception's public facts. A client
# that comes back after the `failed` event gets 204. No byte of SECRET may
# reach a client.
SECRET = "internal: db password hunter2 at 10.0.0.7"
FAILING_RETRY_AFTER_S = 5


class UpstreamUnavailable(RuntimeError):
    """The failure `/failing` reports: its message is private, `retry_after` is not."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(SECRET)
        self.retry_after = retry_after


def failing_ticks_after(last_event_id: int | None, ticks: int) -> range:
    """The ticks a failing stream sends after `last_event_id` before it raises."""
    return range((last_event_id or 0) + 1, ticks + 1)
