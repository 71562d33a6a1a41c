"""Raw HTTP/1.1 connections: many at once, dropping them all at once, and seeing one stall."""

from __future__ import annotations

import asyncio
import fcntl
import socket
import struct
import termios
from collections.abc import Callable
from urllib.parse import urlsplit


def unread_bytes(sock: socket.socket) -> int:
    """What the kernel has received on `sock` that nobody has read yet (FIONREAD)."""
    (count,) = struct.unpack("i", fcntl.ioctl(sock, termios.FIONREAD, b"\0\0\0\0"))
    return int(count)


def stall_watch(sock: socket.socket) -> Callable[[], bool]:
    """A condition to poll: the peer's writes to `sock` are pushed back.

    It holds once bytes wait unread and none arrived since the previous look:
    the receive window is closed. (How full a buffer gets before that depends
    on the kernel's accounting, so no threshold is assumed.)
    """
    previous = -1

    def stalled() -> bool:
        nonlocal previous
        unread = unread_bytes(sock)
        still = unread > 0 and unread == previous
        previous = unread
        return still

    return stalled


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
