"""Start one benchmarked app in its own uvicorn process, pinned to one CPU, and look inside it
(memory, CPU time, `/stats`)."""

from __future__ import annotations

import http.client
import importlib.util
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SERVER_CPU = "0"
CLIENT_CPU = "1"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class PeerFailed(Exception):
    """A peer could not be served or measured; the run goes on with the others."""


@dataclass(frozen=True, slots=True)
class Settings:
    """uvicorn settings, identical for every peer."""

    loop: str
    http: str

    @classmethod
    def best_available(cls) -> Settings:
        # uvloop and httptools are what `uvicorn[standard]` deploys; fall back when absent.
        loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
        http = "httptools" if importlib.util.find_spec("httptools") else "h11"
        return cls(loop=loop, http=http)


def pinning_available() -> bool:
    return shutil.which("taskset") is not None and (os.cpu_count() or 1) >= 2


def pinned(command: list[str], cpu: str) -> list[str]:
    """`taskset` execs the command, so the child's pid stays the benchmarked process's pid."""
    return ["taskset", "-c", cpu, *command] if pinning_available() else command


def raise_open_files_limit(needed: int) -> None:
    """Children inherit the limit: 1,000 idle connections need more than the usual 1,024 fds."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(needed, hard), hard))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True, slots=True)
class Server:
    pid: int
    port: int

    def rss_kib(self) -> int:
        """Resident set size from /proc/PID/status (VmRSS, in kB as the kernel reports it)."""
        return self.status_kib("VmRSS")

    def peak_rss_kib(self) -> int:
        """The resident set's high-water mark (VmHWM), since start or the last reset."""
        return self.status_kib("VmHWM")

    def reset_peak_rss(self) -> bool:
        """Reset VmHWM to the current RSS (`5` to /proc/PID/clear_refs, Linux >= 4.0)."""
        try:
            Path(f"/proc/{self.pid}/clear_refs").write_text("5")
        except OSError:
            return False
        return True

    def status_kib(self, field: str) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
        raise PeerFailed(f"no {field} for pid {self.pid}")

    def cpu_seconds(self) -> float:
        """User plus system CPU time of every thread so far: utime and stime, fields 14 and 15 of
        /proc/PID/stat (proc(5)), in clock ticks. The name in field 2 may hold spaces, so the
        fields are counted from its closing parenthesis."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    def get_json(self, path: str, timeout: float = 30.0) -> Any:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            body = response.read()
        finally:
            connection.close()
        if response.status != 200:
            raise PeerFailed(f"GET {path}: HTTP {response.status}")
        return json.loads(body)


def wait_until_serving(server: Server, proc: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise PeerFailed(f"server exited with code {proc.returncode}")
        try:
            server.get_json("/stats", timeout=1.0)
            return
        except (OSError, http.client.HTTPException):
            time.sleep(0.05)
    raise PeerFailed(f"server not serving after {timeout:.0f}s")


@contextmanager
def serve(target: str, settings: Settings, startup_timeout: float = 60.0) -> Iterator[Server]:
    """Run `uvicorn target` on a free port; on failure the error names uvicorn's last words."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        target,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--loop",
        settings.loop,
        "--http",
        settings.http,
        "--log-level",
        "warning",
        "--no-access-log",
        "--backlog",
        "4096",
        # Handlers that never noticed their client left must not hold up the next peer.
        "--timeout-graceful-shutdown",
        "2",
    ]
    with tempfile.TemporaryFile() as stderr:
        proc = subprocess.Popen(pinned(command, SERVER_CPU), cwd=ROOT, stderr=stderr)
        server = Server(pid=proc.pid, port=port)
        try:
            wait_until_serving(server, proc, startup_timeout)
            yield server
        except PeerFailed as error:
            stderr.seek(0)
            last_words = stderr.read().decode(errors="replace").strip().splitlines()[-3:]
            raise PeerFailed("; ".join([str(error), *last_words])) from None
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
