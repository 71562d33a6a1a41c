"""Topic streams at 1,000 subscribers: publish-to-receipt latency, throughput, memory.

    .venv/bin/python bench/topics_bench.py [--subscribers 1000] [--events 300] [--rate 20]
                                           [--backend memory|redis|both] [--json FILE]

For each backend (the in-memory broker; Redis Streams on a redis-server this
script starts on 127.0.0.1) it runs these processes on this machine:

- the server: uvicorn (`--loop asyncio --http httptools`) serving this
  module's `app`, a topic stream built with `serve_topic`, and a route that
  publishes with the server's own broker (the publisher lives in the app, as
  in production); each event carries the time it was published. With Redis
  a second server process publishes, so every event crosses Redis from one
  process to the other, as in a deployment with several;
- the subscribers: one process holding every SSE connection on raw sockets,
  noting for each event the time it arrived (CLOCK_MONOTONIC is shared by
  all processes of the machine, so the difference is the latency);
- this script, which starts the others, reads the server's RSS and reports.

Measured: latency p50/p99/max from the publish call to the event's arrival
at each subscriber, at a steady `--rate`; the highest rate at which all
subscribers get every event (publishing back to back); publish throughput
with no subscriber; memory per subscriber (server RSS with every
subscription open and idle, minus before, divided by their number).
Every run checks that each subscriber got every event, in order.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import Body, FastAPI
from pydantic import BaseModel

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script: the repository's packages come first
    sys.path.insert(0, str(REPO))

from ssegen.runtime import (
    EventSpec,
    EventStreamResponse,
    StreamSpec,
    TopicSpec,
    default_broker,
    serve_topic,
)

from tests.support.redis_server import redis_server
from tests.support.server import free_port, wait_for_port

# -- the server ---------------------------------------------------------------


class Tick(BaseModel):
    n: int
    t: float  # time.monotonic() when published


@dataclass(frozen=True, slots=True, kw_only=True)
class BenchTick:
    data: Tick


TICKS = StreamSpec(
    name="ticks",
    events=(EventSpec(BenchTick, "tick", "json"),),
    retry=1000,
    keepalive=15.0,
    ids="sequence",
)
TICKS_TOPIC = TopicSpec(stream=TICKS, key=("run",), keep=1000, ttl=600.0)


class Publish(BaseModel):
    events: int
    rate: float = 0.0  # events per second; 0 publishes back to back


def _raise_open_files_limit(needed: int = 20_000) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(needed, hard), hard))


def build_app() -> FastAPI:
    _raise_open_files_limit()
    app = FastAPI()

    def ticks(run: str) -> tuple[str, ...]:
        return (run,)

    app.add_api_route(
        "/runs/{run}/ticks",
        serve_topic(TICKS_TOPIC, ticks),
        methods=["GET"],
        response_model=None,
        response_class=EventStreamResponse,
    )

    @app.post("/runs/{run}/publish")
    async def publish(run: str, body: Annotated[Publish, Body()]) -> dict[str, float]:
        broker = default_broker()
        started = time.monotonic()
        for n in range(body.events):
            if body.rate:
                # Paced against the schedule, not the previous publish: a slow
                # publish does not shift the ones after it.
                delay = started + n / body.rate - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
            event = BenchTick(data=Tick(n=n, t=time.monotonic()))
            await broker.publish(TICKS_TOPIC, (run,), event)
        return {"seconds": time.monotonic() - started}

    return app


# The server process imports this module (`uvicorn bench.topics_bench:app`);
# run as a script, it is the driver or the subscribers, and needs no app.
app = build_app() if __name__ != "__main__" else None

# -- the subscribers ----------------------------------------------------------


class Subscriber(asyncio.Protocol):
    """One SSE connection: notes the arrival time of each tick and checks their order."""

    def __init__(
        self,
        request: bytes,
        expected: int,
        all_done: asyncio.Event,
        ready: asyncio.Event,
        counters: dict[str, int],
    ) -> None:
        self.request = request
        self.expected = expected
        self.all_done = all_done
        self.ready = ready
        self.counters = counters
        self.buffer = b""
        self.opened = False
        self.next_n = 0
        self.out_of_order = 0
        self.latencies: list[float] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        now = time.monotonic()
        buffer = self.buffer + data
        if not self.opened:
            head, found, rest = buffer.partition(b"\r\n\r\n")
            if not found:
                self.buffer = buffer
                return
            if not head.startswith(b"HTTP/1.1 200"):
                raise RuntimeError(f"subscribe failed: {head[:100]!r}")
            self.opened = True
            buffer = rest
            self.counters["open"] += 1
            if self.counters["open"] == self.counters["total"]:
                self.ready.set()
        *events, self.buffer = buffer.split(b"\n\n")
        for block in events:
            # `data: {"n":N,"t":T}` as pydantic writes it; bytes methods keep
            # this process cheap next to the server it measures.
            start = block.find(b'data: {"n":')
            if start < 0:
                continue
            comma = block.find(b",", start)
            n = int(block[start + 11 : comma])
            t = float(block[comma + 5 : block.find(b"}", comma)])
            if n != self.next_n:
                self.out_of_order += 1
            self.next_n = n + 1
            self.latencies.append(now - t)
            if len(self.latencies) == self.expected:
                self.counters["done"] += 1
                if self.counters["done"] == self.counters["total"]:
                    self.all_done.set()


async def _subscribe(port: int, path: str, count: int, expected: int) -> None:
    _raise_open_files_limit()
    loop = asyncio.get_running_loop()
    ready, all_done = asyncio.Event(), asyncio.Event()
    counters = {"open": 0, "done": 0, "total": count}
    request = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: text/event-stream\r\n\r\n"
    ).encode()
    subscribers: list[Subscriber] = []
    gate = asyncio.Semaphore(100)  # connections opened at once (the accept backlog)

    async def open_one() -> None:
        async with gate:
            sub = Subscriber(request, expected, all_done, ready, counters)
            subscribers.append(sub)
            await loop.create_connection(lambda: sub, "127.0.0.1", port)

    await asyncio.gather(*(open_one() for _ in range(count)))
    await ready.wait()
    print("ready", flush=True)
    try:
        await asyncio.wait_for(all_done.wait(), timeout=600)
    except TimeoutError:
        pass
    latencies = [x for sub in subscribers for x in sub.latencies]
    first = [sub.latencies[0] for sub in subscribers if sub.latencies]
    print(
        json.dumps(
            {
                "received": len(latencies),
                "missing": sum(expected - len(sub.latencies) for sub in subscribers),
                "out_of_order": sum(sub.out_of_order for sub in subscribers),
                "latencies": _summary(latencies),
                "first_event_latencies": _summary(first),
            }
        ),
        flush=True,
    )


def _summary(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)
    cut = statistics.quantiles(ordered, n=100, method="inclusive")
    return {"p50_ms": cut[49] * 1000, "p99_ms": cut[98] * 1000, "max_ms": ordered[-1] * 1000}


# -- the run ------------------------------------------------------------------


@dataclass
class Server:
    port: int
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def rss_kib(self) -> int:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        line = next(line for line in status.splitlines() if line.startswith("VmRSS:"))
        return int(line.split()[1])

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        import httpx

        response = httpx.post(self.url + path, json=body, timeout=600)
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result


def _start_server(env: dict[str, str]) -> Server:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "bench.topics_bench:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--loop",
            "asyncio",
            "--http",
            "httptools",
            "--log-level",
            "warning",
        ],
        cwd=REPO,
        env={**os.environ, **env},
    )
    wait_for_port(port)
    return Server(port, process)


def _run_subscribers(
    server: Server, publisher: Server, run: str, count: int, expected: int, publish: Publish
) -> tuple[dict[str, Any], dict[str, Any], int]:
    """Subscribers connect to `server`; `publisher` publishes one run.

    Returns the subscribers' report, the publisher's, and `server`'s RSS
    with every subscription open.
    """
    clients = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--subscribe",
            str(server.port),
            f"/runs/{run}/ticks",
            str(count),
            str(expected),
        ],
        stdout=subprocess.PIPE,
        cwd=REPO,
    )
    assert clients.stdout is not None
    line = clients.stdout.readline().decode().strip()
    if line != "ready":
        raise RuntimeError(f"subscribers failed: {line!r}")
    time.sleep(1.0)  # let the server settle before reading its memory
    rss = server.rss_kib()
    published = publisher.post(f"/runs/{run}/publish", publish.model_dump())
    report = json.loads(clients.stdout.readline())
    clients.wait(timeout=60)
    return report, published, rss


def bench_backend(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    """One backend's figures. With Redis the publisher is a second server process,
    as in a deployment with several: every event crosses Redis to the subscribers'."""
    results: dict[str, Any] = {"backend": backend, "subscribers": args.subscribers}

    def measure(server: Server, publisher: Server) -> None:
        # Warm up (imports, first allocations) before the baseline.
        for process in {server.port: server, publisher.port: publisher}.values():
            process.post("/runs/warmup/publish", {"events": 100})
        time.sleep(0.5)
        baseline = server.rss_kib()
        report, _, rss = _run_subscribers(
            server,
            publisher,
            "latency",
            args.subscribers,
            args.events,
            Publish(events=args.events, rate=args.rate),
        )
        results["memory_per_subscriber_kib"] = round((rss - baseline) / args.subscribers, 1)
        results["latency"] = {"rate_per_s": args.rate, "events": args.events, **report}

        report, published, _ = _run_subscribers(
            server,
            publisher,
            "burst",
            args.subscribers,
            args.burst_events,
            Publish(events=args.burst_events, rate=0),
        )
        # Every subscriber had every event by the last publish plus the
        # largest latency: that bounds the time the whole run took.
        delivered_in = published["seconds"] + report["latencies"]["max_ms"] / 1000
        results["fan_out"] = {
            "events": args.burst_events,
            "published_per_s": round(args.burst_events / published["seconds"]),
            "delivered_per_s": round(args.burst_events / delivered_in),
            **report,
        }

        published = publisher.post("/runs/alone/publish", {"events": args.throughput_events})
        results["publish_per_s_no_subscribers"] = round(
            args.throughput_events / published["seconds"]
        )

    if backend == "redis":
        with redis_server() as redis:
            env = {"SSEGEN_REDIS_URL": redis.url}
            with _server(env) as server, _server(env) as publisher:
                measure(server, publisher)
    else:
        with _server({"SSEGEN_REDIS_URL": ""}) as server:
            measure(server, server)
    return results


@contextmanager
def _server(env: dict[str, str]) -> Iterator[Server]:
    server = _start_server(env)
    try:
        yield server
    finally:
        server.process.terminate()
        server.process.wait(timeout=20)


def _print(result: dict[str, Any]) -> None:
    lat, fan = result["latency"], result["fan_out"]
    where = " (published in another server process)" if result["backend"] == "redis" else ""
    print(f"\n{result['backend']}: {result['subscribers']} subscribers{where}")
    print(
        f"  latency at {lat['rate_per_s']:g} events/s: p50 {lat['latencies']['p50_ms']:.1f} ms, "
        f"p99 {lat['latencies']['p99_ms']:.1f} ms, max {lat['latencies']['max_ms']:.1f} ms; "
        f"missing {lat['missing']}, out of order {lat['out_of_order']}"
    )
    print(
        f"  back to back ({fan['events']} events): {fan['published_per_s']} events/s "
        f"published, {fan['delivered_per_s']} events/s delivered to every subscriber; "
        f"p50 {fan['latencies']['p50_ms']:.1f} ms, p99 {fan['latencies']['p99_ms']:.1f} ms; "
        f"missing {fan['missing']}, out of order {fan['out_of_order']}"
    )
    print(
        f"  publish throughput, no subscribers: {result['publish_per_s_no_subscribers']} events/s"
    )
    print(f"  memory per idle subscriber: {result['memory_per_subscriber_kib']} KiB (server RSS)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--events", type=int, default=300)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--burst-events", type=int, default=1000)
    parser.add_argument("--throughput-events", type=int, default=20_000)
    parser.add_argument("--backend", choices=["memory", "redis", "both"], default="both")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument("--subscribe", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.subscribe:
        port, path, count, expected = args.subscribe
        asyncio.run(_subscribe(int(port), path, int(count), int(expected)))
        return
    backends = ["memory", "redis"] if args.backend == "both" else [args.backend]
    results = [bench_backend(backend, args) for backend in backends]
    for result in results:
        _print(result)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
