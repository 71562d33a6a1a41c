"""A client that reads whole responses and hands their bodies over as event streams."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import httpx

from tests.support.sse import Stream, parse

TIMEOUT = httpx.Timeout(20.0)
# uvicorn's HTTP implementation for the test servers: "auto" takes httptools
# when it is installed, else h11; SSEGEN_TEST_HTTP=h11 checks the other one.
HTTP = os.environ.get("SSEGEN_TEST_HTTP", "auto")


@dataclass(frozen=True)
class Reply:
    """A whole response: status, headers, raw body and the body read as an event stream."""

    status: int
    headers: httpx.Headers
    body: bytes

    @property
    def stream(self) -> Stream:
        return parse(self.body)


class Client:
    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=TIMEOUT)

    def get(self, path: str, **kwargs: Any) -> Reply:
        response = self.http.get(path, **kwargs)
        return Reply(response.status_code, response.headers, response.content)

    def post(self, path: str, **kwargs: Any) -> Reply:
        response = self.http.post(path, **kwargs)
        return Reply(response.status_code, response.headers, response.content)

    def close(self) -> None:
        self.http.close()
