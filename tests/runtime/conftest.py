"""One real uvicorn serving the runtime test app for the whole session, and a client for it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.runtime.app import create_app
from tests.runtime.http_client import HTTP, Client
from tests.support.server import serve_in_thread


@pytest.fixture(scope="session")
def base_url() -> Iterator[str]:
    with serve_in_thread(create_app(), http=HTTP) as url:
        yield url


@pytest.fixture(scope="session")
def client(base_url: str) -> Iterator[Client]:
    c = Client(base_url)
    yield c
    c.close()
