"""The servers compared, in the order they are run and printed; ssegen is the base of every ratio."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Peer:
    key: str
    label: str
    target: str  # `module:attr` for uvicorn, run from the repository root
    sends_event_and_id: bool  # False: bare `data:` lines, nothing else

    @property
    def frame(self) -> str:
        return "event+data+id" if self.sends_event_and_id else "data only"


SSEGEN = "ssegen"
FASTAPI_NATIVE = ("fastapi-typed", "fastapi-sse")
RAW_ASGI = "raw-asgi"

PEERS: tuple[Peer, ...] = (
    Peer(SSEGEN, "ssegen generated endpoint", "bench.apps.ssegen_app:app", True),
    Peer(
        "fastapi-typed",
        "FastAPI EventSourceResponse, AsyncIterable[Item]",
        "bench.apps.fastapi_typed_app:app",
        False,
    ),
    Peer(
        "fastapi-sse",
        "FastAPI EventSourceResponse, ServerSentEvent",
        "bench.apps.fastapi_sse_app:app",
        True,
    ),
    Peer("streaming", "hand-written StreamingResponse", "bench.apps.streaming_app:app", True),
    Peer(
        "sse-starlette",
        "sse-starlette EventSourceResponse",
        "bench.apps.sse_starlette_app:app",
        True,
    ),
    Peer(RAW_ASGI, "raw ASGI, pre-encoded events", "bench.apps.raw_asgi_app:app", True),
)


def select(keys: str | None) -> tuple[Peer, ...]:
    """The peers named in a comma-separated list (all when None), in the standard order."""
    if keys is None:
        return PEERS
    wanted = {key.strip() for key in keys.split(",") if key.strip()}
    unknown = wanted - {peer.key for peer in PEERS}
    if unknown:
        raise SystemExit(f"unknown peers: {', '.join(sorted(unknown))}")
    return tuple(peer for peer in PEERS if peer.key in wanted)
