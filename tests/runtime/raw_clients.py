"""Many raw HTTP/1.1 connections at once, and dropping them all at once."""

from __future__ import annotations

import asyncio
import socket
import struct
import time
from collections.abc import Callable
from urllib.parse import urlsplit

# Generous: the bound only keeps a broken runtime from hanging the suite.
PATIENCE = 30.0


def wait_until(condition: Callable[[], bool]) -> bool:
    """Poll `condition` until it holds or PATIENCE runs out; its last value."""
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


async def open_clients(
    base_url: str, path: str, count: int, *, until: bytes | None
) -> list[asyncio.StreamWriter]:
    """`count` connections asking for `path`, each read up to `until` (if given)."""
    url = urlsplit(base_url)
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {url.netloc}\r\nAccept: text/event-stream\r\n\r\n"
    ).encode()
    writers: list[asyncio.StreamWriter] = []

    async def one() -> None:
        reader, writer = await asyncio.open_connection(url.hostname, url.port)
        writers.append(writer)
        writer.write(request)
        await writer.drain()
        if until is not None:
            await reader.readuntil(until)

    for start in range(0, count, 100):  # stay below the listen backlog
        await asyncio.gather(*(one() for _ in range(min(100, count - start))))
    return writers


def drop_all(writers: list[asyncio.StreamWriter]) -> None:
    """Every connection reset at once (SO_LINGER 0: RST, no graceful close)."""
    for writer in writers:
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()
