"""One published event as brokers keep it, and how its id is chosen.

Ids (topics with `ids: sequence`). The broker numbers the events of one topic
instance: every event gets the previous id plus one, so ids are integers and
monotonic, and a browser's `Last-Event-ID` parses as the spec's `sequence`
mode says. The first event of an instance does not get 1 but the current
time in microseconds since the Unix epoch. An instance can start over (the
in-memory broker's process restarted, or Redis expired an idle instance
after its `ttl`); starting from the clock keeps ids monotonic across such a
restart, so a browser that comes back with an id of the previous incarnation
is never mistaken for one that is up to date. The values stay below 2**53, so
JavaScript code that parses them as numbers gets them exactly.

Every entry also records `prev`, the id of the entry before it in the same
incarnation (0 for the first). Replay checks it: a subscriber at id X that
is offered an entry whose `prev` is not X has missed events.

`gap` marks an entry written after the store may have lost history: on
Redis, the first entry after the server changed under the instance (a
restart, a restored snapshot, a failover; see `redis_streams.py`). Its
`prev` is the last entry that survived, but events published after that one
may be gone, so following the chain across it proves nothing: a subscriber
that reaches it has possibly missed events (unless it was told so already,
see `Subscription`). The in-memory broker never sets it: its history only
ever vanishes whole.
"""

from __future__ import annotations

import time
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Entry:
    """A published event: its id, its predecessor's id, and its wire bytes.

    `wire` is exactly what a subscriber writes: the encoded frame, with the
    `id:` line when the topic is resumable. One `Entry` is shared by every
    subscriber of a process, so each event is encoded once, not once per
    subscriber.
    """

    id: int
    prev: int
    wire: bytes
    terminal: bool
    gap: bool = False


def first_id() -> int:
    """The id of the first event of a new instance: now, in microseconds."""
    return time.time_ns() // 1000


def wire_bytes(frame: bytes, entry_id: int, resumable: bool) -> bytes:
    """The frame as sent: `frame` ends with its blank line and has no `id:` line.

    WHATWG SSE: the `id` field may come anywhere before the blank line that
    dispatches the event; the spec format puts it last.
    """
    if not resumable:
        return frame
    return b"%sid: %d\n\n" % (frame[:-1], entry_id)
