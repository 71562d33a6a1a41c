"""Fixtures for the topic tests: the generated feed package, a real Redis, and both brokers."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from ssegen.runtime import Broker, MemoryBroker, RedisBroker

from tests.support.generated import importable
from tests.support.redis_server import RedisServer, redis_server

# Built before pytest imports the test modules, which import the generated package.
GENERATED = importable(Path(__file__).parent / "specs")

BrokerFactory = Callable[..., Broker]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def shared_redis() -> Iterator[RedisServer]:
    """One redis-server for the session; tests keep apart by key prefix."""
    with redis_server() as server:
        yield server


@pytest.fixture(params=["memory", "redis"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def make_broker(backend: str, request: pytest.FixtureRequest) -> BrokerFactory:
    """Brokers of the parametrized backend; each Redis one under a fresh key prefix."""

    def make(**options: Any) -> Broker:
        if backend == "memory":
            return MemoryBroker(**options)
        server: RedisServer = request.getfixturevalue("shared_redis")
        return RedisBroker.from_url(server.url, prefix=f"test-{uuid.uuid4().hex}", **options)

    return make
