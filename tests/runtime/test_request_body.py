"""Request bodies: bounded by the stream's `max_body` (413), strict JSON (400), before FastAPI reads them.

`tests/runtime/specs/bodies.yaml` declares two POST-like streams: `upload`
with `max_body: 1024` and a number without bounds (pydantic would accept
`NaN` for it and hand it to the handler), `measure` with the default limit
(1 MiB) and a bounded number (`NaN` fails its validation, and FastAPI's 422
handler could not serialize it: a plain-text 500). The app is served by a
real uvicorn; where a test needs to see how far the server read, it drives
the app over ASGI itself, one `http.request` message per chunk.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any, NoReturn
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI
from runtime_bodies import (
    MeasureBody,
    MeasureEvent,
    MeasureReceivedEvent,
    RuntimeBodiesService,
    UploadBody,
    UploadEvent,
    UploadReceivedEvent,
    build_router,
)
from runtime_bodies.models import MeasureReceivedData, UploadReceivedData
from runtime_bodies.streams import MEASURE, UPLOAD
from ssegen.runtime import StreamSpec
from ssegen.wire import DEFAULT_MAX_BODY
from starlette.types import Message

from tests.runtime.http_client import HTTP, TIMEOUT
from tests.support.server import serve_in_thread
from tests.support.waiting import PATIENCE

LIMIT = 1024  # upload's max_body in bodies.yaml
UPLOAD_PATH = "/bodies/upload"
MEASURE_PATH = "/bodies/measure"
JSON = {"content-type": "application/json"}
NON_FINITE = ["NaN", "Infinity", "-Infinity", "1e999", "-1e999", "1" + "0" * 400 + ".0"]


class Calls:
    """The bodies the handlers received (the server runs in another thread)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._bodies: list[tuple[str, int]] = []

    def add(self, stream: str, size: int) -> None:
        with self._lock:
            self._bodies.append((stream, size))

    def taken(self) -> list[tuple[str, int]]:
        with self._lock:
            taken, self._bodies = self._bodies, []
            return taken


CALLS = Calls()


class Bodies(RuntimeBodiesService):
    async def upload(self, *, body: UploadBody) -> AsyncIterator[UploadEvent]:
        CALLS.add("upload", len(body.text or ""))
        yield UploadReceivedEvent(data=UploadReceivedData(size=len(body.text or "")))

    async def measure(self, *, body: MeasureBody) -> AsyncIterator[MeasureEvent]:
        CALLS.add("measure", len(body.text or ""))
        yield MeasureReceivedEvent(data=MeasureReceivedData(size=len(body.text or "")))


def create_app() -> FastAPI:
    app = FastAPI()
    app.include_router(build_router(Bodies()))
    return app


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with serve_in_thread(create_app(), http=HTTP) as base_url:
        yield base_url


@pytest.fixture
def http(url: str) -> Iterator[httpx.Client]:
    CALLS.taken()
    with httpx.Client(base_url=url, timeout=TIMEOUT) as client:
        yield client


def body_of(size: int) -> bytes:
    """A JSON body of exactly `size` bytes that both streams accept: one long `text`."""
    head, tail = b'{"text": "', b'"}'
    return head + b"a" * (size - len(head) - len(tail)) + tail


def text_size(size: int) -> int:
    return size - len(b'{"text": ""}')


def chunks_of(data: bytes, size: int = 100) -> Iterator[bytes]:
    """`data` as a body without Content-Length: httpx sends an iterator chunked."""
    for start in range(0, len(data), size):
        yield data[start : start + size]


def refuse_constant(token: str) -> NoReturn:
    raise AssertionError(f"the problem body has {token}: not JSON")


def problem_of(response: httpx.Response, status: int) -> dict[str, Any]:
    """The response's problem object, read as strict JSON (no NaN or Infinity in it)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = json.loads(response.content, parse_constant=refuse_constant)
    assert isinstance(problem, dict)
    assert problem["status"] == status
    return problem


# -- the limit -------------------------------------------------------------------


def test_the_spec_sets_the_limit_and_the_default_is_one_mebibyte() -> None:
    assert UPLOAD.max_body == LIMIT
    assert MEASURE.max_body == DEFAULT_MAX_BODY == 1_048_576


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_body_of_exactly_the_limit_is_accepted(http: httpx.Client, chunked: bool) -> None:
    data = body_of(LIMIT)
    response = http.post(UPLOAD_PATH, content=chunks_of(data) if chunked else data, headers=JSON)
    assert response.status_code == 200, response.text
    assert "event: received" in response.text
    assert CALLS.taken() == [("upload", text_size(LIMIT))]


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_one_byte_over_the_limit_is_413_and_the_handler_never_runs(
    http: httpx.Client, chunked: bool
) -> None:
    data = body_of(LIMIT + 1)
    response = http.post(UPLOAD_PATH, content=chunks_of(data) if chunked else data, headers=JSON)
    problem = problem_of(response, 413)
    assert problem["title"] == "Content Too Large"
    assert problem["max_body"] == LIMIT
    assert str(LIMIT) in problem["detail"]
    assert CALLS.taken() == []


def test_the_default_limit_holds_for_a_stream_that_sets_none(http: httpx.Client) -> None:
    assert (
        http.put(MEASURE_PATH, content=body_of(DEFAULT_MAX_BODY), headers=JSON).status_code == 200
    )
    assert CALLS.taken() == [("measure", text_size(DEFAULT_MAX_BODY))]
    response = http.put(MEASURE_PATH, content=body_of(DEFAULT_MAX_BODY + 1), headers=JSON)
    assert problem_of(response, 413)["max_body"] == DEFAULT_MAX_BODY
    assert CALLS.taken() == []


def test_a_large_chunked_body_is_refused_by_the_real_server(http: httpx.Client) -> None:
    response = http.post(UPLOAD_PATH, content=chunks_of(b" " * (4 << 20), 65536), headers=JSON)
    problem_of(response, 413)
    assert CALLS.taken() == []


def test_a_declared_length_over_the_limit_is_answered_before_any_byte_is_sent(url: str) -> None:
    """The request announces 10 MB and sends none of it: the 413 comes anyway."""
    parts = urlsplit(url)
    request = (
        f"POST {UPLOAD_PATH} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
        "Content-Type: application/json\r\nContent-Length: 10000000\r\n\r\n"
    ).encode()
    with socket.create_connection((parts.hostname, parts.port), timeout=PATIENCE) as conn:
        conn.sendall(request)
        head, _, rest = _read_until(conn, b"\r\n\r\n").partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        assert lines[0].split(" ")[1] == "413", lines[0]
        headers = dict(line.lower().split(": ", 1) for line in lines[1:])
        assert headers["content-type"] == "application/problem+json"
        length = int(headers["content-length"])
        while len(rest) < length:
            rest += _recv(conn)
    problem = json.loads(rest[:length], parse_constant=refuse_constant)
    assert problem["status"] == 413 and problem["max_body"] == LIMIT
    assert CALLS.taken() == []


def _recv(conn: socket.socket) -> bytes:
    chunk = conn.recv(65536)
    assert chunk, "the server closed the connection without an answer"
    return chunk


def _read_until(conn: socket.socket, marker: bytes) -> bytes:
    data = b""
    while marker not in data:
        data += _recv(conn)
    return data


@dataclass
class AsgiReply:
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    chunks_read: int = 0  # http.request messages the app took


def call_asgi(
    method: str, path: str, chunks: Iterator[bytes], headers: dict[str, str]
) -> AsgiReply:
    """Drive the app over ASGI, one `http.request` per chunk, counting what it takes."""
    reply = AsgiReply()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 1),
        "server": ("test", 80),
    }
    pending = iter(chunks)
    upcoming = next(pending, None)

    async def run() -> None:
        done = asyncio.Event()

        async def receive() -> Message:
            nonlocal upcoming
            if upcoming is None:
                await done.wait()
                return {"type": "http.disconnect"}
            chunk, upcoming = upcoming, next(pending, None)
            reply.chunks_read += 1
            return {"type": "http.request", "body": chunk, "more_body": upcoming is not None}

        async def send(message: Message) -> None:
            if message["type"] == "http.response.start":
                reply.status = message["status"]
                reply.headers = {k.decode(): v.decode() for k, v in message["headers"]}
            elif message["type"] == "http.response.body":
                reply.body += message.get("body", b"")
                if not message.get("more_body", False):
                    done.set()

        await create_app()(scope, receive, send)

    asyncio.run(run())
    return reply


def test_a_chunked_body_is_read_no_further_than_the_limit() -> None:
    """100 MiB offered in 256-byte chunks: the app takes one chunk past 1024 bytes, then answers."""
    CALLS.taken()
    chunks = (b" " * 256 for _ in range(400_000))
    reply = call_asgi("POST", UPLOAD_PATH, chunks, JSON)
    assert reply.status == 413
    assert reply.chunks_read == LIMIT // 256 + 1
    assert json.loads(reply.body, parse_constant=refuse_constant)["max_body"] == LIMIT
    assert CALLS.taken() == []


@pytest.mark.parametrize("length", [str(LIMIT + 1), "9" * 5000, "0" * 30 + "2048"])
def test_a_declared_length_over_the_limit_takes_no_chunk(length: str) -> None:
    CALLS.taken()
    reply = call_asgi("POST", UPLOAD_PATH, iter([b"{}"]), {**JSON, "content-length": length})
    assert reply.status == 413
    assert reply.headers["content-type"] == "application/problem+json"
    assert reply.chunks_read == 0
    assert CALLS.taken() == []


def test_a_length_that_is_not_a_number_is_left_to_the_byte_count() -> None:
    """Servers refuse it before the app sees it; if one does not, the bytes still count."""
    CALLS.taken()
    reply = call_asgi("POST", UPLOAD_PATH, iter([b"{}"]), {**JSON, "content-length": "²"})
    assert reply.status == 200
    assert CALLS.taken() == [("upload", 0)]


# -- numbers that are not finite --------------------------------------------------


@pytest.mark.parametrize("token", NON_FINITE)
@pytest.mark.parametrize("path", [UPLOAD_PATH, MEASURE_PATH], ids=["unbounded", "bounded"])
def test_a_number_that_is_not_finite_is_a_400_problem(
    http: httpx.Client, path: str, token: str
) -> None:
    content = ('{"text": "x", "value": ' + token + "}").encode()
    response = http.request(
        "PUT" if path == MEASURE_PATH else "POST", path, content=content, headers=JSON
    )
    problem = problem_of(response, 400)
    assert problem["title"] == "Bad Request"
    assert problem["detail"].startswith("The request body is not valid JSON: ")
    assert token[:32] in problem["detail"]
    assert len(problem["detail"]) < 200  # a long literal is not echoed whole
    assert CALLS.taken() == []


@pytest.mark.parametrize("token", ["NaN", "1e999"])
def test_a_number_that_is_not_finite_anywhere_in_the_body_is_refused(
    http: httpx.Client, token: str
) -> None:
    """Also in a member no field declares, and with an integer field's wrong type."""
    for content in (f'{{"extra": {{"deep": [1, {token}]}}}}', f'{{"count": {token}}}'):
        response = http.put(MEASURE_PATH, content=content.encode(), headers=JSON)
        problem_of(response, 400)
    assert CALLS.taken() == []


def test_finite_numbers_and_words_in_strings_are_accepted(http: httpx.Client) -> None:
    body = {"text": "NaN Infinity -Infinity 1e999", "value": 1.5e308}
    assert http.post(UPLOAD_PATH, json=body).status_code == 200
    assert http.put(MEASURE_PATH, json={"value": 5e-324}).status_code == 200
    assert CALLS.taken() == [("upload", 28), ("measure", 0)]


def test_a_body_that_is_not_json_is_a_422_problem(http: httpx.Client) -> None:
    response = http.post(UPLOAD_PATH, content=b'{"text": ', headers=JSON)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["type"] == "json_invalid"
    assert CALLS.taken() == []


def test_a_stream_spec_refuses_a_limit_that_is_not_a_positive_integer() -> None:
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="max_body"):
            StreamSpec(name="s", events=(), max_body=bad)  # type: ignore[arg-type]
