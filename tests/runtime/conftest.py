"""One real uvicorn serving the runtime test app for the whole session, and a client for it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.runtime.http_client import HTTP, Client
from tests.support.generated import importable
from tests.support.server import SharedServer

# Built before pytest imports the test modules, which import the generated packages.
GENERATED = importable(Path(__file__).parent / "specs")
# The shutdown app serves the topic tests' feeds too.
TOPIC_GENERATED = importable(Path(__file__).parents[1] / "topics" / "specs")


@pytest.fixture(scope="session")
def shared_server() -> Iterator[SharedServer]:
    from tests.runtime.app import create_app  # imports the generated packages

    served = SharedServer.in_thread(create_app, http=HTTP)
    yield served
    served.close()


@pytest.fixture
def base_url(shared_server: SharedServer, request: pytest.FixtureRequest) -> Iterator[str]:
    """The base URL of the session's server; a test that leaves it hung fails in its teardown."""
    yield shared_server.url
    shared_server.check(request.node.nodeid)


@pytest.fixture
def client(base_url: str) -> Iterator[Client]:
    c = Client(base_url)
    yield c
    c.close()


@pytest.fixture(scope="session")
def generated() -> Path:
    """The folder that holds this session's build of specs/."""
    return GENERATED


@pytest.fixture(scope="session")
def topic_generated() -> Path:
    """The folder that holds this session's build of tests/topics/specs/."""
    return TOPIC_GENERATED
