"""Open many SSE connections at once and read every one to its end; run as its own process.

    python -m bench.paced_clients PORT TARGET CONNECTIONS EVENTS

Standard library only, like bench/reader.py, whose chunked-body decoder it reuses. Every
connection is a non-blocking socket on one epoll loop: all CONNECTIONS connect at once, each
sends one HTTP/1.1 GET as soon as it is connected, and each body is decoded and its events
counted by the blank line that dispatches an event (WHATWG HTML, 9.2.6). One epoll loop rather
than asyncio streams keeps the client's cost per received block small, so that the server, not
the client, sets the pace.

It prints one JSON line and exits 0 only if every connection got status 200, exactly EVENTS
events, and a last event whose `index` is EVENTS - 1.
"""

from __future__ import annotations

import errno
import json
import resource
import select
import socket
import sys
import time

from bench.reader import TAIL_SIZE, Dechunker, last_index

RECV_SIZE = 1 << 16
TIMEOUT = 300.0
SHOWN_FAILURES = 5


class Connection:
    """One client connection: its socket, the response head, then the decoded body's events."""

    __slots__ = ("bytes", "carry", "chunked", "connected", "dechunker", "done", "error", "events",
                 "head", "head_at", "sock", "status", "tail")  # fmt: skip

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.connected = False
        self.head = b""
        self.status = 0  # 0 until the response head is in
        self.head_at = 0.0  # time.perf_counter() when it came
        self.chunked = False
        self.dechunker = Dechunker()
        self.events = self.bytes = 0
        self.carry = self.tail = b""
        self.error = ""
        self.done = False

    def feed(self, block: bytes) -> None:
        """Take one received block; an empty block is the server closing the connection."""
        if not block:
            self.done = True
            if not self.status:
                self.error = "closed before the response head"
            return
        if not self.status:
            self.head += block
            if b"\r\n\r\n" not in self.head:
                return
            head, block = self.head.split(b"\r\n\r\n", 1)
            self.read_head(head)
        body = self.dechunker.feed(block) if self.chunked else block
        if body:
            # One byte carried over finds a terminator split across two blocks.
            self.events += (self.carry + body).count(b"\n\n")
            self.bytes += len(body)
            self.carry = body[-1:]
            self.tail = (self.tail + body[-TAIL_SIZE:])[-TAIL_SIZE:]
        self.done = self.dechunker.done

    def read_head(self, head: bytes) -> None:
        self.head_at = time.perf_counter()
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        self.status = int(status_line.split()[1])
        for line in header_lines:
            name, _, value = line.partition(":")
            if name.strip().lower() == "transfer-encoding":
                self.chunked = value.strip().lower() == "chunked"

    def verdict(self, expected: int) -> str:
        """Empty when this connection got exactly what it should have, else what was wrong."""
        if self.error:
            return self.error
        last = last_index(self.tail.rstrip(b"\n"))
        if self.status != 200 or self.events != expected or last != expected - 1:
            return f"HTTP {self.status}, {self.events} events, last index {last}"
        return ""


def open_all(port: int, count: int, poller: select.epoll) -> dict[int, Connection]:
    """Start every connect at once (non-blocking); each reports writable once connected."""
    connections = {}
    for _ in range(count):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        code = sock.connect_ex(("127.0.0.1", port))
        if code not in (0, errno.EINPROGRESS):
            raise OSError(code, f"connect: {errno.errorcode.get(code, code)}")
        connections[sock.fileno()] = Connection(sock)
        poller.register(sock.fileno(), select.EPOLLOUT)
    return connections


def serve_event(connection: Connection, poller: select.epoll, request: bytes) -> None:
    """One readiness event: the connect finished (send the request), or data or EOF arrived."""
    sock = connection.sock
    if not connection.connected:
        code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if code:
            connection.error = f"connect: {errno.errorcode.get(code, code)}"
            connection.done = True
            return
        connection.connected = True
        sock.send(request)  # a few dozen bytes: the socket buffer takes them whole
        poller.modify(sock.fileno(), select.EPOLLIN)
        return
    try:
        block = sock.recv(RECV_SIZE)
    except BlockingIOError:
        return
    except OSError as error:
        connection.error, connection.done = f"recv: {error}", True
        return
    connection.feed(block)


def read_all(port: int, target: str, count: int, timeout: float) -> list[Connection]:
    request = (
        f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        "Accept: text/event-stream\r\nConnection: close\r\n\r\n"
    ).encode()
    poller = select.epoll()
    connections = open_all(port, count, poller)
    pending = len(connections)
    deadline = time.monotonic() + timeout
    while pending and time.monotonic() < deadline:
        for fd, _ in poller.poll(1.0):
            connection = connections[fd]
            serve_event(connection, poller, request)
            if connection.done:
                poller.unregister(fd)
                connection.sock.close()
                pending -= 1
    for connection in connections.values():
        if not connection.done:
            connection.error = f"no end after {timeout:.0f}s"
            connection.sock.close()
    poller.close()
    return list(connections.values())


def raise_open_files_limit(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(needed, hard), hard))


def main(argv: list[str]) -> int:
    port, target, count, expected = int(argv[0]), argv[1], int(argv[2]), int(argv[3])
    raise_open_files_limit(count + 100)
    started, cpu_started = time.perf_counter(), time.process_time()
    connections = read_all(port, target, count, TIMEOUT)
    seconds = time.perf_counter() - started
    failures = [verdict for c in connections if (verdict := c.verdict(expected))]
    result = {
        "connections": count,
        "verified": count - len(failures),
        "events": sum(c.events for c in connections),
        "bytes": sum(c.bytes for c in connections),
        "seconds": seconds,
        # From the start to the last response head: how long opening every connection took.
        "heads_seconds": max((c.head_at for c in connections), default=started) - started,
        # The client's own CPU time: well under `seconds` shows it waited on the server.
        "client_cpu_seconds": time.process_time() - cpu_started,
        "failures": failures[:SHOWN_FAILURES],
    }
    print(json.dumps(result), flush=True)
    return 0 if not failures else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
