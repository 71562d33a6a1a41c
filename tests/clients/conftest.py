"""Fixtures of the client conformance suite: the servers and the clients."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.clients.client_runs import CLIENTS, REPO
from tests.support.generated import child_env, importable
from tests.support.server import SharedServer

# The ssegen runtime is what the suite is for; the sse-starlette app checks
# the harness itself (a client that fails both is a harness problem).
APPS = {"ssegen": "tests.clients.app:app", "reference": "tests.clients.reference_app:app"}

# ssegen's output for specs/, which the ssegen app implements; the servers
# import it through PYTHONPATH.
GENERATED = importable(Path(__file__).parent / "specs")


@pytest.fixture(scope="session", params=list(APPS))
def shared_server(request: pytest.FixtureRequest) -> Iterator[SharedServer]:
    served = SharedServer.in_process(APPS[request.param], cwd=REPO, env=child_env(GENERATED))
    yield served
    served.close()


@pytest.fixture
def server(shared_server: SharedServer, request: pytest.FixtureRequest) -> Iterator[str]:
    """The base URL of the session's server; a test that leaves it hung fails in its teardown."""
    yield shared_server.url
    shared_server.check(request.node.nodeid)


@pytest.fixture(params=CLIENTS)
def client(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture(scope="session")
def generated() -> Path:
    """The folder that holds this session's build of specs/."""
    return GENERATED
