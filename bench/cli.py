"""`python bench/run.py`: arguments, the order of measurements, progress, and the final report."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from bench import connections, paced, throughput
from bench.peers import RAW_ASGI, Peer, select
from bench.report import render
from bench.results import PeerResult, Run, write
from bench.servers import PeerFailed, Settings, raise_open_files_limit, serve


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench/run.py", description=__doc__)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smaller run: 20,000 events, 1 run, 200 idle connections, paced workloads once",
    )
    parser.add_argument("--events", type=int, help="events per stream (default 100,000)")
    parser.add_argument("--runs", type=int, help="runs per peer, median reported (default 3)")
    parser.add_argument(
        "--connections",
        type=int,
        help="idle connections for memory and cleanup (default 1,000; 0 skips)",
    )
    parser.add_argument("--peers", help="comma-separated subset, e.g. ssegen,fastapi-sse")
    parser.add_argument(
        "--paced",
        default="a,b",
        help="paced workloads to run: a (200 x 500, sleep(0)), b (1,000 x 40, 50 ms); "
        "default a,b; none skips them",
    )
    parser.add_argument(
        "--paced-only",
        action="store_true",
        help="only the paced workloads: no burst throughput, no idle connections",
    )
    args = parser.parse_args(argv)
    quick = args.quick
    args.events = args.events or (20_000 if quick else 100_000)
    args.runs = args.runs or (1 if quick else 3)
    if args.paced_only:
        args.connections = 0
    elif args.connections is None:
        args.connections = 200 if quick else 1_000
    args.workloads = paced.select(args.paced)
    return args


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def measure_burst(run: Run, peer: Peer, result: PeerResult) -> None:
    progress(f"{peer.key}: {run.runs} x {run.events:,} events")
    try:
        with serve(peer.target, run.settings) as server:
            result.throughput = throughput.measure(server, run.events, run.runs)
            if peer.key == RAW_ASGI:
                run.ceiling = throughput.measure(server, run.events, run.runs, path="/ceiling")
    except PeerFailed as error:
        result.errors.append(f"throughput: {error}")


def measure_idle(run: Run, peer: Peer, result: PeerResult) -> None:
    progress(f"{peer.key}: {run.connection_count:,} idle connections")
    try:
        # A fresh server: memory freed by the throughput runs would hide the idle cost.
        with serve(peer.target, run.settings) as server:
            result.connections = connections.measure(server, run.connection_count)
    except PeerFailed as error:
        result.errors.append(f"connections: {error}")


def measure_paced(run: Run, peer: Peer, result: PeerResult) -> None:
    for workload in run.workloads:
        progress(f"{peer.key}: paced {workload.label}, {run.runs} run(s)")
        try:
            # A fresh server per workload, so that each peak RSS is that workload's own.
            with serve(peer.target, run.settings) as server:
                result.paced[workload.key] = paced.measure(server, workload, run.runs)
        except PeerFailed as error:
            result.errors.append(f"paced ({workload.key}): {error}")


def measure_peer(run: Run, peer: Peer) -> PeerResult:
    result = PeerResult(peer)
    if not run.paced_only:
        measure_burst(run, peer, result)
    if run.connection_count:
        measure_idle(run, peer, result)
    measure_paced(run, peer, result)
    return result


def build_ssegen_peer() -> None:
    """The ssegen peer is a generated endpoint: build it from bench/specs as a user would."""
    root = Path(__file__).resolve().parent
    progress("ssegen: building bench/specs -> bench/generated")
    command = [sys.executable, "-m", "ssegen", "build", str(root / "specs")]
    subprocess.run([*command, "-o", str(root / "generated")], check=True)


def main(argv: list[str]) -> int:
    args = parse(argv)
    build_ssegen_peer()
    most = max([args.connections, *(workload.connections for workload in args.workloads)])
    raise_open_files_limit(2 * most + 256)
    run = Run(Settings.best_available(), args.events, args.runs, args.connections)
    run.paced_only, run.workloads = args.paced_only, args.workloads
    for peer in select(args.peers):
        run.peers.append(measure_peer(run, peer))
    print(render(run))
    print(f"\nresults: {write(run)}")
    return 1 if any(result.errors for result in run.peers) else 0
