"""Events per second of one server: the reader (bench/reader.py) in its own process, N runs."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from dataclasses import dataclass, field

from bench.servers import CLIENT_CPU, ROOT, PeerFailed, Server, pinned

READER = ROOT / "bench" / "reader.py"
WARMUP_EVENTS = 2_000
READ_TIMEOUT = 300.0


@dataclass(frozen=True, slots=True)
class Read:
    events: int
    bytes: int
    seconds: float
    reader_cpu_seconds: float

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds


@dataclass(slots=True)
class Throughput:
    events: int
    reads: list[Read] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(read.events_per_second for read in self.reads)

    @property
    def reader_load(self) -> float:
        """The reader's CPU time over wall time in the median run: near 1.0 would mean it is the
        bottleneck; far below means it spent its time waiting for the server."""
        middle = sorted(self.reads, key=lambda read: read.events_per_second)[len(self.reads) // 2]
        return middle.reader_cpu_seconds / middle.seconds


def read_once(server: Server, path: str, expected: int) -> Read:
    target = f"{path}?n={expected}"
    command = pinned(
        [sys.executable, str(READER), str(server.port), target, str(expected)], CLIENT_CPU
    )
    try:
        done = subprocess.run(command, capture_output=True, timeout=READ_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        raise PeerFailed(f"GET {target}: no end after {READ_TIMEOUT:.0f}s") from None
    if not done.stdout:
        raise PeerFailed(f"reader failed: {done.stderr.decode(errors='replace')[-300:]}")
    result = json.loads(done.stdout)
    if done.returncode != 0:
        raise PeerFailed(
            f"GET {target}: HTTP {result['status']}, {result['events']} events (expected "
            f"{expected}), last index {result['last_index']}"
        )
    return Read(result["events"], result["bytes"], result["seconds"], result["reader_cpu_seconds"])


def measure(server: Server, events: int, runs: int, path: str = "/stream") -> Throughput:
    read_once(server, path, min(WARMUP_EVENTS, events))  # imports, caches, first-call paths
    throughput = Throughput(events)
    for _ in range(runs):
        throughput.reads.append(read_once(server, path, events))
    return throughput
