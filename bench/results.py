"""What one benchmark run found, and how it is written to bench/results/ as JSON."""

from __future__ import annotations

import importlib.metadata
import json
import platform
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.connections import Connections
from bench.paced import WORKLOADS, Paced, Workload
from bench.peers import Peer
from bench.servers import ROOT, Settings, pinning_available
from bench.throughput import Throughput

RESULTS_DIR = ROOT / "bench" / "results"
VERSIONED = (
    "fastapi",
    "starlette",
    "pydantic",
    "pydantic-core",
    "uvicorn",
    "sse-starlette",
    "uvloop",
    "httptools",
    "anyio",
)


@dataclass(slots=True)
class PeerResult:
    peer: Peer
    throughput: Throughput | None = None
    connections: Connections | None = None
    paced: dict[str, Paced] = field(default_factory=dict)  # by workload key
    errors: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Run:
    settings: Settings
    events: int
    runs: int
    connection_count: int
    peers: list[PeerResult] = field(default_factory=list)
    ceiling: Throughput | None = None
    paced_only: bool = False  # no burst throughput, no idle connections
    workloads: tuple[Workload, ...] = WORKLOADS

    def result(self, key: str) -> PeerResult | None:
        return next((result for result in self.peers if result.peer.key == key), None)


def versions() -> dict[str, str]:
    found = {}
    for name in VERSIONED:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = "absent"
    return found


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.partition(":")[2].strip()
    return platform.processor() or "unknown"


def throughput_json(throughput: Throughput | None) -> dict[str, Any] | None:
    if throughput is None:
        return None
    return {
        "events": throughput.events,
        "median_events_per_second": throughput.median,
        "runs_events_per_second": [read.events_per_second for read in throughput.reads],
        "runs_seconds": [read.seconds for read in throughput.reads],
        "bytes": throughput.reads[0].bytes,
        "reader_load": throughput.reader_load,
    }


def connections_json(connections: Connections | None) -> dict[str, Any] | None:
    if connections is None:
        return None
    return {**asdict(connections), "kib_per_connection": connections.kib_per_connection}


def paced_json(paced: Paced) -> dict[str, Any]:
    return {
        "cpu_us_per_event": paced.cpu_us_per_event,
        "events_per_second": paced.events_per_second,
        "peak_rss_kib": paced.peak_rss_kib,
        "peak_rss_reset_per_run": paced.peak_rss_reset,
        "client_load": paced.client_load,
        "runs": [
            {**asdict(run), "cpu_us_per_event": run.cpu_us_per_event,
             "events_per_second": run.events_per_second}
            for run in paced.runs
        ],
    }  # fmt: skip


def to_json(run: Run) -> dict[str, Any]:
    return {
        "machine": {
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "cpu": cpu_model(),
            "pinned": pinning_available(),
        },
        "versions": versions(),
        "uvicorn": {"loop": run.settings.loop, "http": run.settings.http},
        "events": run.events,
        "runs": run.runs,
        "connections": run.connection_count,
        "reader_ceiling": throughput_json(run.ceiling),
        "paced_only": run.paced_only,
        "paced_workloads": [asdict(workload) for workload in run.workloads],
        "peers": [
            {
                "key": result.peer.key,
                "label": result.peer.label,
                "frame": result.peer.frame,
                "throughput": throughput_json(result.throughput),
                "connections": connections_json(result.connections),
                "paced": {key: paced_json(paced) for key, paced in result.paced.items()},
                "errors": result.errors,
            }
            for result in run.peers
        ],
    }


def write(run: Run) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / time.strftime("%Y%m%d-%H%M%S.json")
    path.write_text(json.dumps(to_json(run), indent=2) + "\n")
    return path
