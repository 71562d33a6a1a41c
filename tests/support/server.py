"""Serve an ASGI app with a real uvicorn on 127.0.0.1: for one test, or shared by many.

A shared server (`SharedServer`) is probed after every test that used it. If
it no longer answers, that test fails in its teardown with the server's
stacks, and the next test gets a fresh server: one hang cannot take the rest
of the session with it, and the message points at the test that caused it.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import pytest
import uvicorn

# How long a shared server may take to answer a probe before it counts as
# hung: far above any answer time, even on a machine whose cores are all busy.
PROBE_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_port(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.02)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


@contextmanager
def serve_in_thread(app: Any, **config: Any) -> Iterator[str]:
    """Run `app` in uvicorn on a thread of this process; yields the base URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", **config)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_for_port(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _spawn(
    target: str,
    port: int,
    *,
    cwd: Path | None,
    args: Sequence[str],
    env: dict[str, str] | None,
    stderr: IO[bytes] | None = None,
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            target,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            *args,
        ],
        cwd=cwd,
        # PYTHONFAULTHANDLER: SIGABRT makes the child print every thread's stack.
        env={**os.environ, "PYTHONFAULTHANDLER": "1", **(env or {})},
        stderr=stderr,
    )


@contextmanager
def serve_in_process(
    target: str,
    *,
    cwd: Path | None = None,
    args: Sequence[str] = (),
    env: dict[str, str] | None = None,
    stderr: IO[bytes] | None = None,
) -> Iterator[str]:
    """Run `uvicorn target` (`module:attr`) as a child process; yields the base URL."""
    port = free_port()
    proc = _spawn(target, port, cwd=cwd, args=args, env=env, stderr=stderr)
    try:
        wait_for_port(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_process(proc)


def stop_process(proc: subprocess.Popen[Any]) -> None:
    """SIGTERM, then SIGKILL if it has not exited within 10 s."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def answers(base_url: str, timeout: float = PROBE_TIMEOUT) -> bool:
    """Whether the server sends the start of any HTTP response to a GET within `timeout`."""
    host, port = base_url.removeprefix("http://").split(":")
    try:
        with socket.create_connection((host, int(port)), timeout=timeout) as sock:
            sock.settimeout(timeout)
            sock.sendall(
                b"GET /ssegen-test-probe HTTP/1.1\r\nhost: probe\r\nconnection: close\r\n\r\n"
            )
            return sock.recv(16).startswith(b"HTTP/1.")
    except OSError:
        return False


class _Hung(BaseException):
    """Raised inside a server thread that stopped answering, to end its loop."""


class _ThreadServer:
    def __init__(self, make_app: Callable[[], Any], config: dict[str, Any]) -> None:
        self.port = free_port()
        self.server = uvicorn.Server(
            uvicorn.Config(
                make_app(), host="127.0.0.1", port=self.port, log_level="warning", **config
            )
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        wait_for_port(self.port)

    def stacks(self) -> str:
        frame = sys._current_frames().get(self.thread.ident or -1)
        return "".join(traceback.format_stack(frame)) if frame is not None else "(thread gone)"

    def stop(self, hung: bool) -> None:
        self.server.should_exit = True
        if hung and self.thread.ident is not None:
            # A loop stuck in one callback never sees should_exit.
            ctypes.pythonapi.PyThreadState_SetAsyncExc(
                ctypes.c_ulong(self.thread.ident), ctypes.py_object(_Hung)
            )
        self.thread.join(timeout=10)


class _ProcessServer:
    def __init__(self, target: str, cwd: Path | None, env: dict[str, str] | None) -> None:
        self.port = free_port()
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in stop)
        self.proc = _spawn(target, self.port, cwd=cwd, args=(), env=env, stderr=self.log)
        wait_for_port(self.port)

    def stacks(self) -> str:
        self.proc.send_signal(signal.SIGABRT)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        self.log.seek(0)
        return self.log.read()[-20_000:].decode(errors="replace")

    def stop(self, hung: bool) -> None:
        stop_process(self.proc)
        self.log.close()


class SharedServer:
    """A server many tests share; `check` after each test replaces it when it stopped answering."""

    def __init__(self, start: Callable[[], _ThreadServer | _ProcessServer]) -> None:
        self._start = start
        self._current = start()

    @classmethod
    def in_thread(cls, make_app: Callable[[], Any], **config: Any) -> SharedServer:
        """uvicorn on a thread of this process, serving `make_app()` (called again for a fresh server)."""
        return cls(lambda: _ThreadServer(make_app, config))

    @classmethod
    def in_process(
        cls, target: str, *, cwd: Path | None = None, env: dict[str, str] | None = None
    ) -> SharedServer:
        """`uvicorn target` as a child process."""
        return cls(lambda: _ProcessServer(target, cwd, env))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._current.port}"

    def check(self, test: str) -> None:
        """Fail `test` if the server stopped answering during it; the next test gets a fresh one."""
        if answers(self.url):
            return
        stacks = self._current.stacks()
        self._current.stop(hung=True)
        self._current = self._start()
        pytest.fail(
            f"the shared test server stopped answering during {test} "
            f"(no response in {PROBE_TIMEOUT:.0f} s); a fresh server serves the next test. "
            f"Its stacks:\n{stacks}",
            pytrace=False,
        )

    def close(self) -> None:
        self._current.stop(hung=not answers(self.url, timeout=5))
