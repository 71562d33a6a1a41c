"""Events already produced leave in one chunk; an event is never held back waiting for more.

Observed on the wire: uvicorn writes each ASGI `send` as one HTTP/1.1 chunk
(RFC 9112, section 7.1), so the chunk sizes show how events were grouped.
"""

from __future__ import annotations

import socket
import time
from urllib.parse import urlsplit

from tests.runtime.raw_clients import stall_watch
from tests.runtime.services import PROBE
from tests.support.sse import parse
from tests.support.waiting import wait_until


def http_chunks(base_url: str, path: str) -> list[bytes]:
    """The body chunks of a chunked response, read from a raw socket."""
    url = urlsplit(base_url)
    assert url.hostname is not None and url.port is not None
    with socket.create_connection((url.hostname, url.port), timeout=20) as sock:
        sock.sendall(
            f"GET {path} HTTP/1.1\r\nHost: {url.netloc}\r\nConnection: close\r\n\r\n".encode()
        )
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    assert b"transfer-encoding: chunked" in head.lower()
    chunks: list[bytes] = []
    while True:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line, 16)
        if size == 0:
            return chunks
        chunks.append(rest[:size])
        assert rest[size : size + 2] == b"\r\n"
        rest = rest[size + 2 :]


def event_ids(chunk: bytes) -> list[str]:
    return [e.last_event_id for e in parse(chunk).events]


def test_events_produced_without_waiting_leave_together(base_url: str) -> None:
    chunks = http_chunks(base_url, "/jobs/progress/events?count=50")
    assert len(chunks) == 1
    assert event_ids(chunks[0]) == [str(i) for i in range(1, 52)]


def test_an_event_is_sent_as_soon_as_the_handler_waits(base_url: str) -> None:
    # "paced" waits before each progress event; `completed` follows the last
    # one without a wait, so it shares that event's chunk.
    chunks = http_chunks(base_url, "/jobs/paced/events?count=4")
    assert [event_ids(c) for c in chunks] == [["1"], ["2"], ["3"], ["4", "5"]]


def test_a_long_burst_is_written_in_bounded_chunks(base_url: str) -> None:
    chunks = http_chunks(base_url, "/jobs/progress/events?count=20000")
    assert len(chunks) > 1
    assert max(len(c) for c in chunks) < 256 * 1024
    ids = [i for c in chunks for i in event_ids(c)]
    assert ids == [str(i) for i in range(1, 20002)]


def test_a_handler_timeout_interrupts_the_handler_not_a_pushed_back_write(base_url: str) -> None:
    # The client stops reading for a while, so the server pushes back on the
    # writes made while the handler waits inside its own asyncio.timeout().
    rounds = 150
    timed_out = PROBE.count("timeouts.timed-out")
    url = urlsplit(base_url)
    assert url.hostname is not None and url.port is not None
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
        sock.settimeout(20)
        sock.connect((url.hostname, url.port))
        sock.sendall(
            f"GET /jobs/timeouts/events?count={rounds} HTTP/1.1\r\nHost: {url.netloc}\r\n"
            "Connection: close\r\n\r\n".encode()
        )
        data = sock.recv(4096)
        assert wait_until(stall_watch(sock), interval=0.05)  # the server's writes are pushed back
        while chunk := sock.recv(1 << 20):
            data += chunk
    assert data.count(b"event: log\n") == 20 * rounds
    assert b"event: completed\n" in data
    assert data.endswith(b"\r\n0\r\n\r\n")  # a complete chunked body
    assert PROBE.count("timeouts.timed-out") == timed_out + rounds


def test_a_client_that_does_not_read_holds_the_handler_back(base_url: str) -> None:
    # Backpressure: a handler that waits between events is not asked for more
    # while the server still holds the last write, so it cannot run ahead of a
    # stalled client and pile events up in memory.
    produced, closed = PROBE.count("paced-forever.produced"), PROBE.count("paced-forever.closed")
    url = urlsplit(base_url)
    assert url.hostname is not None and url.port is not None
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.settimeout(20)
        sock.connect((url.hostname, url.port))
        sock.sendall(
            f"GET /jobs/paced-forever/events HTTP/1.1\r\nHost: {url.netloc}\r\n\r\n".encode()
        )
        sock.recv(4096)
        assert wait_until(stall_watch(sock), interval=0.05)  # the server's writes are pushed back
        # A negative, so it needs a while to watch: a second of a stalled client.
        # Socket buffers hold a few MB: a few hundred of these 10 kB events,
        # where an unthrottled handler makes tens of thousands in that second.
        time.sleep(1.0)
        assert PROBE.count("paced-forever.produced") - produced < 1000
    assert wait_until(lambda: PROBE.count("paced-forever.closed") == closed + 1)
