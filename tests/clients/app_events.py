"""The conformance streams' event classes and stream specs, in the shape ssegen generates.

Written by hand from the generated-code contract (docs: architecture.md, "How
generated code calls the runtime"), so the suite exercises `ssegen.runtime`
exactly as a generated router does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ssegen.runtime import EventSpec, StreamSpec

from tests.clients.payloads import Blob, Quote, Tick
from tests.clients.scenarios import QUIET_KEEPALIVE_S, RETRY_MS


@dataclass(frozen=True, slots=True, kw_only=True)
class HostileLog:
    EVENT: ClassVar[str] = "log"
    data: str


@dataclass(frozen=True, slots=True, kw_only=True)
class HostileBlob:
    EVENT: ClassVar[str] = "blob"
    data: Blob


@dataclass(frozen=True, slots=True, kw_only=True)
class HostileQuote:
    EVENT: ClassVar[str] = "quote"
    data: Quote


@dataclass(frozen=True, slots=True, kw_only=True)
class HostileEnd:
    EVENT: ClassVar[str] = "end"


HostileEvent = HostileLog | HostileBlob | HostileQuote | HostileEnd

HOSTILE = StreamSpec(
    name="hostile",
    events=(
        EventSpec(HostileLog, "log", "text"),
        EventSpec(HostileBlob, "blob", "json"),
        EventSpec(HostileQuote, "quote", "json"),
        EventSpec(HostileEnd, "end", "none", terminal=True),
    ),
    keepalive=15.0,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class NumbersTick:
    EVENT: ClassVar[str] = "tick"
    data: Tick


@dataclass(frozen=True, slots=True, kw_only=True)
class NumbersEnd:
    EVENT: ClassVar[str] = "end"


NumbersEvent = NumbersTick | NumbersEnd

NUMBERS = StreamSpec(
    name="numbers",
    events=(
        EventSpec(NumbersTick, "tick", "json"),
        EventSpec(NumbersEnd, "end", "none", terminal=True),
    ),
    retry=RETRY_MS,
    keepalive=15.0,
    ids="sequence",
    resume_query="last_event_id",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class CursorsTick:
    EVENT: ClassVar[str] = "tick"
    data: Tick
    id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CursorsEnd:
    EVENT: ClassVar[str] = "end"
    id: str


CursorsEvent = CursorsTick | CursorsEnd

CURSORS = StreamSpec(
    name="cursors",
    events=(
        EventSpec(CursorsTick, "tick", "json"),
        EventSpec(CursorsEnd, "end", "none", terminal=True),
    ),
    retry=RETRY_MS,
    keepalive=15.0,
    ids="handler",
    resume_query="cursor",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class QuietTick:
    EVENT: ClassVar[str] = "tick"
    data: Tick


@dataclass(frozen=True, slots=True, kw_only=True)
class QuietEnd:
    EVENT: ClassVar[str] = "end"


QuietEvent = QuietTick | QuietEnd

QUIET = StreamSpec(
    name="quiet",
    events=(
        EventSpec(QuietTick, "tick", "json"),
        EventSpec(QuietEnd, "end", "none", terminal=True),
    ),
    retry=RETRY_MS,
    keepalive=QUIET_KEEPALIVE_S,
    ids="sequence",
)
