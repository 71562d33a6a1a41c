"""Memory per idle connection and disconnect cleanup, measured on one server.

Memory: server RSS before and after COUNT connections whose handlers are parked after their
first event; the difference divided by COUNT. Cleanup: the process holding those connections is
killed, so the kernel closes them all at once; each handler's `finally` records the time it ran,
and the figure is how many ran within one second. Nothing calls `gc.collect()`: a handler that is
only closed when the garbage collector happens to run counts as not cleaned up.
"""

from __future__ import annotations

import select
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import IO

from bench.servers import CLIENT_CPU, ROOT, PeerFailed, Server, pinned
from bench.throughput import read_once

IDLE_CLIENTS = ROOT / "bench" / "idle_clients.py"
CLEANUP_WINDOW = 1.0  # the figure the goal is stated in
LATE_WINDOW = 3.0  # also reported, to tell "slow" from "never"
SETTLE = 0.5
OPEN_TIMEOUT = 120.0


@dataclass(frozen=True, slots=True)
class Connections:
    count: int
    opened: int
    rss_before_kib: int
    rss_after_kib: int
    cleaned_within_window: int
    cleaned_within_late_window: int
    last_cleanup_seconds: float | None  # from the drop to the last `finally` seen

    @property
    def kib_per_connection(self) -> float:
        return (self.rss_after_kib - self.rss_before_kib) / self.count


def wait_ready(stdout: IO[bytes], count: int) -> None:
    readable, _, _ = select.select([stdout], [], [], OPEN_TIMEOUT)
    if not readable:
        raise PeerFailed(f"{count} idle connections not open after {OPEN_TIMEOUT:.0f}s")
    line = stdout.readline().decode().strip()
    if line != f"ready {count}":
        raise PeerFailed(f"idle clients stopped before all {count} connections were open")


def measure(server: Server, count: int) -> Connections:
    read_once(server, "/stream", 1_000)  # warm the same code paths the idle handlers use
    opened_before = int(server.get_json("/stats")["opened"])
    rss_before = server.rss_kib()
    command = pinned(
        [sys.executable, str(IDLE_CLIENTS), str(server.port), "/idle", str(count)], CLIENT_CPU
    )
    clients = subprocess.Popen(command, stdout=subprocess.PIPE)
    assert clients.stdout is not None
    try:
        wait_ready(clients.stdout, count)
        time.sleep(SETTLE)
        rss_after = server.rss_kib()
        opened = int(server.get_json("/stats")["opened"]) - opened_before
        dropped_at = time.monotonic()
    finally:
        clients.kill()
        clients.wait()
    time.sleep(max(0.0, dropped_at + LATE_WINDOW - time.monotonic()))
    times = [float(t) for t in server.get_json("/stats")["finally_times"] if t >= dropped_at]
    return Connections(
        count=count,
        opened=opened,
        rss_before_kib=rss_before,
        rss_after_kib=rss_after,
        cleaned_within_window=sum(t <= dropped_at + CLEANUP_WINDOW for t in times),
        cleaned_within_late_window=sum(t <= dropped_at + LATE_WINDOW for t in times),
        last_cleanup_seconds=max(times) - dropped_at if times else None,
    )
