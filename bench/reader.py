"""Read one SSE response over a raw socket and count its events; run as its own process.

    python bench/reader.py PORT TARGET EXPECTED

Prints one JSON line: events, bytes, seconds (request sent to the last chunk), the reader's
own CPU seconds, and the last event's index.
Only the standard library and C-speed bytes methods touch the body, so the reader keeps up
with far more events per second than any peer sends (`run.py` measures that ceiling).

It speaks just enough HTTP/1.1 (RFC 9112): a GET, the status line and headers, then a
chunked body (section 7.1) or, without `Transfer-Encoding`, a body that ends with the
connection. Events are counted by their blank-line terminator, as an EventSource dispatches
them (WHATWG HTML, 9.2.6).
"""

from __future__ import annotations

import json
import socket
import sys
import time

RECV_SIZE = 1 << 20
TAIL_SIZE = 512


class Dechunker:
    """Turns a chunked body back into its payload bytes, one received block at a time."""

    def __init__(self) -> None:
        self.pending = b""  # an incomplete chunk-size line
        self.remaining = 0  # payload bytes left in the current chunk
        self.skip = 0  # bytes of the CRLF after a chunk's payload still to drop
        self.done = False

    def feed(self, block: bytes) -> bytes:
        data = self.pending + block if self.pending else block
        self.pending = b""
        view = memoryview(data)
        out: list[memoryview] = []
        pos, end = 0, len(data)
        while pos < end and not self.done:
            if self.remaining:
                take = min(self.remaining, end - pos)
                out.append(view[pos : pos + take])
                pos += take
                self.remaining -= take
                if not self.remaining:
                    self.skip = 2
            elif self.skip:
                dropped = min(self.skip, end - pos)
                pos += dropped
                self.skip -= dropped
            else:
                eol = data.find(b"\r\n", pos)
                if eol < 0:
                    self.pending = data[pos:]
                    break
                size = int(data[pos:eol].split(b";", 1)[0], 16)
                pos = eol + 2
                if size == 0:
                    self.done = True  # the last chunk; no trailers are expected from uvicorn
                self.remaining = size
        return b"".join(out)


def read_head(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    buffer = b""
    while b"\r\n\r\n" not in buffer:
        block = sock.recv(RECV_SIZE)
        if not block:
            raise ConnectionError("connection closed before the response head")
        buffer += block
    head, rest = buffer.split(b"\r\n\r\n", 1)
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers, rest


def last_index(tail: bytes) -> int | None:
    """The `index` of the last event's JSON payload, to check that the stream really ended."""
    for line in reversed(tail.split(b"\n")):
        if line.startswith(b"data:"):
            value = json.loads(line[5:])
            return int(value["index"]) if isinstance(value, dict) else None
    return None


def read_stream(port: int, target: str) -> dict[str, object]:
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    request = (
        f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        "Accept: text/event-stream\r\nConnection: close\r\n\r\n"
    )
    started, cpu_started = time.perf_counter(), time.process_time()
    sock.sendall(request.encode())
    status, headers, rest = read_head(sock)
    chunked = headers.get("transfer-encoding", "").lower() == "chunked"
    dechunker = Dechunker()
    events = total = 0
    carry = tail = b""
    block = rest
    while True:
        body = dechunker.feed(block) if chunked else block
        if body:
            # One byte carried over finds a terminator split across two blocks.
            events += (carry + body).count(b"\n\n")
            total += len(body)
            carry = body[-1:]
            tail = (tail + body[-TAIL_SIZE:])[-TAIL_SIZE:]
        if dechunker.done:
            break
        block = sock.recv(RECV_SIZE)
        if not block:
            break
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    sock.close()
    return {
        "status": status,
        "content_type": headers.get("content-type", ""),
        "events": events,
        "bytes": total,
        "seconds": seconds,
        # The reader's own CPU time: well under `seconds` shows it waited on the server.
        "reader_cpu_seconds": cpu_seconds,
        "last_index": last_index(tail.rstrip(b"\n")),
    }


def main(argv: list[str]) -> int:
    port, target, expected = int(argv[0]), argv[1], int(argv[2])
    result = read_stream(port, target)
    print(json.dumps(result), flush=True)
    complete = result["events"] == expected and result["last_index"] == expected - 1
    return 0 if result["status"] == 200 and complete else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
