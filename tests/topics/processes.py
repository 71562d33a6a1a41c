"""The test app in server processes of its own, sharing a Redis: started, killed, restarted."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ssegen.runtime.brokers import REDIS_URL_VARIABLE

from tests.support.generated import child_env, importable
from tests.support.server import free_port, serve_in_process, wait_for_port

APP = "tests.topics.feed_app:app"  # its broker is default_broker(): Redis, from the environment
# What a child process needs to import the generated feed package.
APP_ENV = child_env(importable(Path(__file__).parent / "specs"))


class AppProcess:
    """`uvicorn APP` on a fixed port that a test can kill and start again."""

    def __init__(self, redis_url: str) -> None:
        self.port = free_port()
        self.env = {**os.environ, **APP_ENV, REDIS_URL_VARIABLE: redis_url}
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                APP,
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--log-level",
                "warning",
            ],
            env=self.env,
        )
        wait_for_port(self.port)

    def kill(self) -> None:
        """A crash: SIGKILL, no graceful shutdown, connections cut."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None


@contextmanager
def app_process(redis_url: str) -> Iterator[AppProcess]:
    process = AppProcess(redis_url)
    process.start()
    try:
        yield process
    finally:
        process.kill()


@contextmanager
def other_process(redis_url: str) -> Iterator[str]:
    # Stopped with SIGTERM: the runtime ends its open streams, so it exits at once.
    with serve_in_process(APP, env={**APP_ENV, REDIS_URL_VARIABLE: redis_url}) as base_url:
        yield base_url
