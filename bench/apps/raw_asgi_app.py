"""A raw ASGI app writing pre-encoded events: the floor any framework overhead is measured from.

Frames are encoded once at import, so a request costs only one ASGI `send` per event (`/paced`
awaits `asyncio.sleep(gap)` before each). `/ceiling` sends the same frames 1,000 per `send`: it
measures how fast the reader and the socket can go, to show that the reader is not what limits
the other figures.
"""

from __future__ import annotations

import asyncio
import json
from urllib.parse import parse_qs

from starlette.types import Receive, Scope, Send

from bench.apps.workload import DEFAULT_EVENTS, DEFAULT_PACED_EVENTS, TRACKER, encode_event

FRAMES: list[bytes] = [encode_event(index) for index in range(DEFAULT_EVENTS)]
CEILING_BATCH = 1_000

SSE_HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache"),
    (b"x-accel-buffering", b"no"),
]


def frames(n: int) -> list[bytes]:
    while len(FRAMES) < n:
        FRAMES.append(encode_event(len(FRAMES)))
    return FRAMES[:n]


def query_value(scope: Scope, name: str, default: str) -> str:
    values = parse_qs(scope["query_string"].decode()).get(name)
    return values[0] if values else default


def requested_count(scope: Scope, default: int = DEFAULT_EVENTS) -> int:
    return int(query_value(scope, "n", str(default)))


async def stream(scope: Scope, send: Send, batch: int) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": SSE_HEADERS})
    chosen = frames(requested_count(scope))
    for start in range(0, len(chosen), batch):
        body = b"".join(chosen[start : start + batch]) if batch > 1 else chosen[start]
        await send({"type": "http.response.body", "body": body, "more_body": True})
    await send({"type": "http.response.body", "body": b"", "more_body": False})


async def paced(scope: Scope, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": SSE_HEADERS})
    gap = float(query_value(scope, "gap", "0"))
    for body in frames(requested_count(scope, DEFAULT_PACED_EVENTS)):
        await asyncio.sleep(gap)
        await send({"type": "http.response.body", "body": body, "more_body": True})
    await send({"type": "http.response.body", "body": b"", "more_body": False})


async def idle(receive: Receive, send: Send) -> None:
    TRACKER.open()
    try:
        await send({"type": "http.response.start", "status": 200, "headers": SSE_HEADERS})
        await send({"type": "http.response.body", "body": FRAMES[0], "more_body": True})
        # The ASGI server reports a dropped client as `http.disconnect` (ASGI HTTP spec).
        while (await receive())["type"] != "http.disconnect":
            pass
    finally:
        TRACKER.close()


async def stats(send: Send) -> None:
    body = json.dumps(TRACKER.stats()).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def lifespan(receive: Receive, send: Send) -> None:
    # Nothing to set up; acknowledge startup and shutdown (ASGI lifespan spec).
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        await lifespan(receive, send)
        return
    path = scope["path"]
    if path == "/stream":
        await stream(scope, send, batch=1)
    elif path == "/ceiling":
        await stream(scope, send, batch=CEILING_BATCH)
    elif path == "/paced":
        await paced(scope, send)
    elif path == "/idle":
        await idle(receive, send)
    elif path == "/stats":
        await stats(send)
    else:
        await send({"type": "http.response.start", "status": 404, "headers": []})
        await send({"type": "http.response.body", "body": b""})
