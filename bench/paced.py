"""The paced workloads: many connections whose handlers await before every event.

Where real streams live (LLM tokens, job progress, log tails) a handler waits before each event,
so the server's cost is per event and per loop turn, not per batch. Each workload runs on a fresh
server: one short warm-up, then RUNS runs of the client process (bench/paced_clients.py, pinned
to the client CPU), which opens every connection at once and verifies every one. Around each run
the harness reads the server's CPU time (utime + stime, /proc/PID/stat) and its peak RSS (VmHWM,
reset before the run through /proc/PID/clear_refs where the kernel allows it). CPU time per event
is the CPU time spent divided by the events delivered; events/s is over the client's wall time.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from bench.servers import CLIENT_CPU, ROOT, PeerFailed, Server, pinned

CLIENT_TIMEOUT = 600.0
SETTLE = 0.2  # after the client exits, for the server to close its side of every connection
WARMUP_EVENTS = 10


@dataclass(frozen=True, slots=True)
class Workload:
    key: str
    connections: int
    events: int  # per connection
    gap: float  # seconds the handler sleeps before each event

    def target(self, events: int) -> str:
        return f"/paced?n={events}&gap={self.gap:g}"

    @property
    def label(self) -> str:
        return (
            f"({self.key}) {self.connections:,} connections x {self.events} events, "
            f"await asyncio.sleep({self.gap:g}) before each"
        )


WORKLOADS: tuple[Workload, ...] = (
    Workload("a", 200, 500, 0.0),
    Workload("b", 1_000, 40, 0.05),
)


def select(keys: str) -> tuple[Workload, ...]:
    """The workloads named in a comma-separated list ("none" for none), in the standard order."""
    wanted = {key.strip() for key in keys.split(",") if key.strip()} - {"none"}
    unknown = wanted - {workload.key for workload in WORKLOADS}
    if unknown:
        raise SystemExit(f"unknown paced workloads: {', '.join(sorted(unknown))}")
    return tuple(workload for workload in WORKLOADS if workload.key in wanted)


@dataclass(frozen=True, slots=True)
class PacedRun:
    events: int  # delivered, all connections together
    bytes: int
    seconds: float  # the client's wall time, first connect to last end
    heads_seconds: float  # from the first connect to the last response head
    cpu_seconds: float  # the server's
    peak_rss_kib: int
    client_cpu_seconds: float

    @property
    def cpu_us_per_event(self) -> float:
        return self.cpu_seconds * 1e6 / self.events

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds


@dataclass(slots=True)
class Paced:
    workload: Workload
    peak_rss_reset: bool = True  # False: each peak also covers the runs before it
    runs: list[PacedRun] = field(default_factory=list)

    @property
    def cpu_us_per_event(self) -> float:
        return statistics.median(run.cpu_us_per_event for run in self.runs)

    @property
    def events_per_second(self) -> float:
        return statistics.median(run.events_per_second for run in self.runs)

    @property
    def peak_rss_kib(self) -> float:
        return statistics.median(run.peak_rss_kib for run in self.runs)

    @property
    def client_load(self) -> float:
        """The client's CPU time over wall time, median: near 1.0 would make it the bottleneck."""
        return statistics.median(run.client_cpu_seconds / run.seconds for run in self.runs)


def run_client(server: Server, workload: Workload, events: int) -> dict[str, Any]:
    target = workload.target(events)
    command = [sys.executable, "-m", "bench.paced_clients", str(server.port), target]
    command += [str(workload.connections), str(events)]
    try:
        done = subprocess.run(
            pinned(command, CLIENT_CPU),
            cwd=ROOT,
            capture_output=True,
            timeout=CLIENT_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise PeerFailed(f"GET {target} x {workload.connections}: no end") from None
    if not done.stdout:
        raise PeerFailed(f"paced client failed: {done.stderr.decode(errors='replace')[-300:]}")
    result: dict[str, Any] = json.loads(done.stdout)
    if done.returncode != 0:
        raise PeerFailed(
            f"GET {target}: {result['verified']}/{workload.connections} connections verified; "
            f"{'; '.join(result['failures'])}"
        )
    return result


def run_once(server: Server, workload: Workload) -> tuple[PacedRun, bool]:
    reset = server.reset_peak_rss()
    cpu_before = server.cpu_seconds()
    result = run_client(server, workload, workload.events)
    time.sleep(SETTLE)
    cpu = server.cpu_seconds() - cpu_before
    run = PacedRun(
        events=result["events"],
        bytes=result["bytes"],
        seconds=result["seconds"],
        heads_seconds=result["heads_seconds"],
        cpu_seconds=cpu,
        peak_rss_kib=server.peak_rss_kib(),
        client_cpu_seconds=result["client_cpu_seconds"],
    )
    return run, reset


def measure(server: Server, workload: Workload, runs: int) -> Paced:
    run_client(server, workload, min(WARMUP_EVENTS, workload.events))  # imports, first calls
    paced = Paced(workload)
    for _ in range(runs):
        run, reset = run_once(server, workload)
        paced.runs.append(run)
        paced.peak_rss_reset = paced.peak_rss_reset and reset
    return paced
