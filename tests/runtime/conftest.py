"""One real uvicorn serving the runtime test app for the whole session, and a client for it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.runtime.http_client import HTTP, Client
from tests.support.generated import importable
from tests.support.server import serve_in_thread

# Built before pytest imports the test modules, which import the generated packages.
GENERATED = importable(Path(__file__).parent / "specs")


@pytest.fixture(scope="session")
def base_url() -> Iterator[str]:
    from tests.runtime.app import create_app  # imports the generated packages

    with serve_in_thread(create_app(), http=HTTP) as url:
        yield url


@pytest.fixture(scope="session")
def client(base_url: str) -> Iterator[Client]:
    c = Client(base_url)
    yield c
    c.close()


@pytest.fixture(scope="session")
def generated() -> Path:
    """The folder that holds this session's build of specs/."""
    return GENERATED
