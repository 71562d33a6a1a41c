"""`python bench/run.py`: arguments, the order of measurements, progress, and the final report."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from bench import connections, throughput
from bench.peers import RAW_ASGI, Peer, select
from bench.report import render
from bench.results import PeerResult, Run, write
from bench.servers import PeerFailed, Settings, raise_open_files_limit, serve


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench/run.py", description=__doc__)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smaller run: 20,000 events, 1 run, 200 idle connections",
    )
    parser.add_argument("--events", type=int, help="events per stream (default 100,000)")
    parser.add_argument("--runs", type=int, help="runs per peer, median reported (default 3)")
    parser.add_argument(
        "--connections",
        type=int,
        help="idle connections for memory and cleanup (default 1,000; 0 skips)",
    )
    parser.add_argument("--peers", help="comma-separated subset, e.g. ssegen,fastapi-sse")
    args = parser.parse_args(argv)
    quick = args.quick
    args.events = args.events or (20_000 if quick else 100_000)
    args.runs = args.runs or (1 if quick else 3)
    if args.connections is None:
        args.connections = 200 if quick else 1_000
    return args


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def measure_peer(run: Run, peer: Peer) -> PeerResult:
    result = PeerResult(peer)
    progress(f"{peer.key}: {run.runs} x {run.events:,} events")
    try:
        with serve(peer.target, run.settings) as server:
            result.throughput = throughput.measure(server, run.events, run.runs)
            if peer.key == RAW_ASGI:
                run.ceiling = throughput.measure(server, run.events, run.runs, path="/ceiling")
    except PeerFailed as error:
        result.errors.append(f"throughput: {error}")
    if run.connection_count:
        progress(f"{peer.key}: {run.connection_count:,} idle connections")
        try:
            # A fresh server: memory freed by the throughput runs would hide the idle cost.
            with serve(peer.target, run.settings) as server:
                result.connections = connections.measure(server, run.connection_count)
        except PeerFailed as error:
            result.errors.append(f"connections: {error}")
    return result


def build_ssegen_peer() -> None:
    """The ssegen peer is a generated endpoint: build it from bench/specs as a user would."""
    root = Path(__file__).resolve().parent
    progress("ssegen: building bench/specs -> bench/generated")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "ssegen",
            "build",
            str(root / "specs"),
            "-o",
            str(root / "generated"),
        ],
        check=True,
    )


def main(argv: list[str]) -> int:
    args = parse(argv)
    build_ssegen_peer()
    raise_open_files_limit(2 * args.connections + 256)
    run = Run(Settings.best_available(), args.events, args.runs, args.connections)
    for peer in select(args.peers):
        run.peers.append(measure_peer(run, peer))
    print(render(run))
    print(f"\nresults: {write(run)}")
    return 1 if any(result.errors for result in run.peers) else 0
