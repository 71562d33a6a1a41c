"""Topic streams at scale: publish-to-receipt latency, throughput, memory, churn.

    .venv/bin/python bench/topics_bench.py [--scenario one-instance|instances|churn|all]
                                           [--subscribers 1000] [--events 300] [--rate 20]
                                           [--instances 100,1000,10000] [--spread-rate 1000]
                                           [--churn-rate 1000] [--churn-seconds 10]
                                           [--backend memory|redis|both] [--json FILE]

For each backend (the in-memory broker; Redis Streams on a redis-server this
script starts on 127.0.0.1) it runs these processes on this machine:

- the server: uvicorn (`--loop asyncio --http httptools`) serving this
  module's app (`build_app`), a topic stream built with `serve_topic`, and
  routes that publish with the server's own broker (the publisher lives in
  the app, as in production); each event carries the time it was published.
  With Redis a second server process publishes, so every event crosses Redis
  from one process to the other, as in a deployment with several;
- the subscribers: processes holding the SSE connections on raw sockets
  (one per 5,000 connections by default, `--client-processes`), noting for
  each event the time it arrived (CLOCK_MONOTONIC is shared by all processes
  of the machine, so the difference is the latency);
- this script, which starts the others, reads the server's RSS and CPU time
  and reports.

Scenarios (`--scenario`, comma-separated, or `all`; their code, the churn
client and the report are in `topics_scale.py`):

- `one-instance` (the default): `--subscribers` on one instance. Latency
  p50/p99/max from the publish call to the event's arrival at each
  subscriber, at a steady `--rate`; the highest rate at which all
  subscribers get every event (publishing back to back); publish throughput
  with no subscriber; memory per idle subscriber (server RSS with every
  subscription open and idle, minus before, divided by their number: what
  the process holds beyond the kernel's socket buffers).
- `instances`: for each count in `--instances`, that
  many instances with one subscriber each (`/runs/{run}/ticks`, one run per
  user), events published round-robin over them (`POST /publish-spread`) at
  a steady `--spread-rate` in all: latency, and the subscribing server's CPU
  seconds per delivered event (does reading cost more as instances grow?).
- `churn`: `--churn-rate` new connections per second
  for `--churn-seconds` on one instance while events are published at
  `--churn-publish-rate`; each waits for its first event and disconnects.
  Connections completed per second, connect-to-first-event latency, errors,
  the server's RSS before and after, and its open subscriptions after (0,
  from `GET /stats`).

Every run checks that each subscriber got every event, in order. The goals
(p99 < 100 ms at 10,000 subscribers and at 10,000 instances; under 10 KiB
per idle subscriber) are printed as PASS/FAIL lines at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from array import array
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import Body, FastAPI
from pydantic import BaseModel
from starlette.types import ASGIApp, Receive, Scope, Send

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

from tests.support.redis_server import RedisServer
from tests.support.server import free_port, wait_for_port

SCENARIOS = ("one-instance", "instances", "churn")
OPEN_FILES = 20_000  # 10,000 connections, and what the process holds besides
CONNECTIONS_PER_CLIENT = 5_000  # subscriber connections per client process, by default
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

# -- the server ---------------------------------------------------------------


class Tick(BaseModel):
    n: int  # 0, 1, 2 ... per instance
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

# The same events without ids: no replay, so a new subscriber's first event is a
# live one (the churn scenario measures connect to first live event).
LIVE = StreamSpec(
    name="live", events=(EventSpec(BenchTick, "tick", "json"),), retry=1000, keepalive=15.0
)
LIVE_TOPIC = TopicSpec(stream=LIVE, key=("run",), keep=1, ttl=600.0)


class Publish(BaseModel):
    events: int
    rate: float = 0.0  # events per second; 0 publishes back to back
    topic: Literal["ticks", "live"] = "ticks"


class Spread(BaseModel):
    """Publish `events` round-robin: event n goes to run `{prefix}{n % instances}`."""

    instances: int
    events: int
    rate: float  # events per second in all
    prefix: str


def raise_open_files_limit(needed: int = OPEN_FILES) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(needed, hard), hard))


async def paced(events: int, rate: float) -> AsyncIterator[int]:
    """0 .. events-1, each at its time on the schedule (back to back when `rate` is 0).

    Paced against the schedule, not the previous publish: a slow publish does
    not shift the ones after it.
    """
    started = time.monotonic()
    for n in range(events):
        if rate:
            delay = started + n / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
        yield n


class OpenStreams:
    """ASGI middleware counting the `/ticks` responses in flight (for `/stats`)."""

    def __init__(self, app: ASGIApp, counts: dict[str, int]) -> None:
        self.app = app
        self.counts = counts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].endswith("/ticks"):
            await self.app(scope, receive, send)
            return
        self.counts["open_streams"] += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.counts["open_streams"] -= 1


def broker_subscribers() -> dict[str, int | None]:
    """The broker's own count of instances and subscribers in this process.

    Read from the brokers' private state (`MemoryBroker._instances`, the Redis
    reader's `_fanouts`): no public interface exposes it. None when the layout
    changed.
    """
    broker: Any = default_broker()
    groups = getattr(broker, "_instances", None)  # MemoryBroker: instance -> _Instance
    if groups is None:  # RedisBroker: its reader's instance -> Fanout
        groups = getattr(getattr(broker, "_reader", None), "_fanouts", None)
    if not isinstance(groups, dict):
        return {"instances": None, "subscribers": None}
    try:
        subscribers = sum(len(group.subscribers) for group in groups.values())
    except AttributeError:
        return {"instances": len(groups), "subscribers": None}
    return {"instances": len(groups), "subscribers": int(subscribers)}


def build_app() -> FastAPI:
    """The server's app (`uvicorn --factory bench.topics_bench:build_app`)."""
    raise_open_files_limit()
    app = FastAPI()
    counts = {"open_streams": 0}
    app.add_middleware(OpenStreams, counts=counts)

    def ticks(run: str) -> tuple[str, ...]:
        return (run,)

    for path, topic in (("/runs/{run}/ticks", TICKS_TOPIC), ("/live/{run}/ticks", LIVE_TOPIC)):
        app.add_api_route(
            path,
            serve_topic(topic, ticks),
            methods=["GET"],
            response_model=None,
            response_class=EventStreamResponse,
        )

    @app.post("/runs/{run}/publish")
    async def publish(run: str, body: Annotated[Publish, Body()]) -> dict[str, float]:
        broker = default_broker()
        topic = LIVE_TOPIC if body.topic == "live" else TICKS_TOPIC
        started = time.monotonic()
        async for n in paced(body.events, body.rate):
            await broker.publish(topic, (run,), BenchTick(data=Tick(n=n, t=time.monotonic())))
        return {"seconds": time.monotonic() - started}

    @app.post("/publish-spread")
    async def publish_spread(body: Annotated[Spread, Body()]) -> dict[str, float]:
        broker = default_broker()
        started = time.monotonic()
        async for n in paced(body.events, body.rate):
            run, sequence = f"{body.prefix}{n % body.instances}", n // body.instances
            event = BenchTick(data=Tick(n=sequence, t=time.monotonic()))
            await broker.publish(TICKS_TOPIC, (run,), event)
        return {"seconds": time.monotonic() - started}

    @app.get("/stats")
    async def stats() -> dict[str, int | None]:
        return {**counts, **broker_subscribers()}

    return app


# -- the subscribers ----------------------------------------------------------


@dataclass(slots=True)
class Crowd:
    """What the subscribers of one client process share: counts, and what the run waits on."""

    total: int
    gate: asyncio.Semaphore  # connections waiting for their response head (the accept backlog)
    ready: asyncio.Event = field(default_factory=asyncio.Event)  # every one answered
    all_done: asyncio.Event = field(default_factory=asyncio.Event)  # every one finished
    answered: int = 0
    failed: int = 0  # refused, closed before the head, or a status other than 200
    cut: int = 0  # the stream ended before every event came
    finished: int = 0  # got every event, failed or cut
    resubscribed: int = 0  # answered `:broker unavailable` at once, and connected again
    errors: dict[str, int] = field(default_factory=dict)
    # Connects a subscriber again later (set by the process's run).
    reconnect: Callable[[Subscriber], None] = field(default=lambda sub: None)

    def answer(self, error: str | None) -> None:
        self.gate.release()
        self.answered += 1
        if error is not None:
            self.failed += 1
            self.errors[error] = self.errors.get(error, 0) + 1
            self.finish()
        if self.answered == self.total:
            self.ready.set()

    def finish(self) -> None:
        self.finished += 1
        if self.finished == self.total:
            self.all_done.set()


class Subscriber(asyncio.Protocol):
    """One SSE connection: notes the arrival time of each tick and checks their order."""

    def __init__(self, request: bytes, expected: int, crowd: Crowd) -> None:
        self.request = request
        self.expected = expected
        self.crowd = crowd
        self.buffer = b""
        self.tail = b""  # the last bytes received
        self.state: Literal["connecting", "retrying", "open", "done"] = "connecting"
        self.next_n = 0
        self.out_of_order = 0
        self.latencies = array("d")

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.write(self.request)

    def failed(self, error: str) -> None:
        if self.state == "connecting":
            self.state = "done"
            self.crowd.answer(error)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.state == "connecting":
            self.failed("closed before the response head")
        elif self.state == "retrying":
            self.state, self.buffer = "connecting", b""
            self.crowd.reconnect(self)
        elif self.state == "open":
            self.state = "done"
            self.crowd.cut += 1
            # What the server said last: `:broker unavailable` ends a stream the broker dropped.
            why = "cut: broker unavailable" if b"broker unavailable" in self.tail else "cut"
            self.crowd.errors[why] = self.crowd.errors.get(why, 0) + 1
            self.crowd.finish()

    def data_received(self, data: bytes) -> None:
        now = time.monotonic()
        self.tail = data[-64:]
        buffer = self.buffer + data
        if self.state == "connecting":
            head, found, rest = buffer.partition(b"\r\n\r\n")
            if not found:
                self.buffer = buffer
                return
            if not head.startswith(b"HTTP/1.1 200"):
                self.failed(head.partition(b"\r\n")[0].decode(errors="replace"))
                self.transport.close()
                return
            if not rest:  # the first chunk tells whether the subscription is in place
                self.buffer = buffer
                return
            if b"broker unavailable" in rest:
                # A subscribe the broker gave up on (200, that comment, the end): EventSource
                # connects again after `retry`, and so does this one.
                self.state = "retrying"
                self.crowd.resubscribed += 1
                self.crowd.gate.release()
                self.transport.close()
                return
            self.state = "open"
            self.crowd.answer(None)
            buffer = rest
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
            if len(self.latencies) == self.expected and self.state == "open":
                self.state = "done"
                self.crowd.finish()


async def _subscribe(
    port: int, path: str, first: int, count: int, expected: int, out: Path, timeout: float
) -> None:
    """Hold `count` subscriptions (`path` with `{i}` = first .. first+count-1) until each
    has `expected` events; latencies go to `out` (all) and `out`.first, counts to stdout."""
    raise_open_files_limit()
    loop = asyncio.get_running_loop()
    crowd = Crowd(count, asyncio.Semaphore(200))
    subscribers: list[Subscriber] = []
    again: set[asyncio.Task[None]] = set()

    async def connect(sub: Subscriber, delay: float = 0.0) -> None:
        await asyncio.sleep(delay)
        # Released when the response head comes: at most 200 wait for the server at once.
        await crowd.gate.acquire()
        try:
            await loop.create_connection(lambda: sub, "127.0.0.1", port)
        except OSError as exc:
            sub.failed(f"connect: {exc.strerror or exc}")

    def reconnect(sub: Subscriber) -> None:
        task = loop.create_task(connect(sub, TICKS.retry / 1000 if TICKS.retry else 1.0))
        again.add(task)
        task.add_done_callback(again.discard)

    crowd.reconnect = reconnect
    for index in range(first, first + count):
        request = (
            f"GET {path.format(i=index)} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            "Accept: text/event-stream\r\n\r\n"
        ).encode()
        subscribers.append(Subscriber(request, expected, crowd))
    await asyncio.gather(*(connect(sub) for sub in subscribers))
    await crowd.ready.wait()
    print("ready", flush=True)
    cpu, wall = time.process_time(), time.monotonic()
    try:
        await asyncio.wait_for(crowd.all_done.wait(), timeout=timeout)
    except TimeoutError:
        pass
    cpu, wall = time.process_time() - cpu, time.monotonic() - wall
    with out.open("wb") as file:
        for sub in subscribers:
            sub.latencies.tofile(file)
    with out.with_suffix(".first").open("wb") as file:
        array("d", [sub.latencies[0] for sub in subscribers if sub.latencies]).tofile(file)
    report = {
        "received": sum(len(sub.latencies) for sub in subscribers),
        "missing": sum(max(0, expected - len(sub.latencies)) for sub in subscribers),
        "out_of_order": sum(sub.out_of_order for sub in subscribers),
        "failed": crowd.failed,
        "cut": crowd.cut,
        "resubscribed": crowd.resubscribed,
        "errors": crowd.errors,
        "client_load": round(cpu / wall, 2) if wall > 0 else 0.0,
    }
    print(json.dumps(report), flush=True)


def summary(values: list[float] | array[float]) -> dict[str, float]:
    """p50, p99 and max, in milliseconds (percentiles interpolated between ranks)."""
    if not values:
        return {}
    ordered = sorted(values)

    def quantile(q: float) -> float:
        rank = q * (len(ordered) - 1)
        low = math.floor(rank)
        high = min(low + 1, len(ordered) - 1)
        return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)

    return {
        "p50_ms": round(quantile(0.50) * 1000, 2),
        "p99_ms": round(quantile(0.99) * 1000, 2),
        "max_ms": round(ordered[-1] * 1000, 2),
    }


def client_processes(connections: int, wanted: int) -> int:
    """`wanted`, or (0) one client process per CONNECTIONS_PER_CLIENT connections."""
    if wanted > 0:
        return min(wanted, max(1, connections))
    return max(1, math.ceil(connections / CONNECTIONS_PER_CLIENT))


class Subscribers:
    """Client processes that share `count` subscriptions, each a contiguous slice."""

    def __init__(
        self, port: int, path: str, count: int, expected: int, processes: int, timeout: float
    ) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="ssegen-topics-"))
        self.count, self.expected = count, expected
        self.processes: list[subprocess.Popen[bytes]] = []
        share, extra = divmod(count, processes)
        first = 0
        for p in range(processes):
            size = share + (1 if p < extra else 0)
            command = [sys.executable, __file__, "--subscribe", str(port), path]
            command += [str(first), str(size), str(expected), str(self.directory / f"{p}.bin")]
            command += [str(timeout)]
            self.processes.append(subprocess.Popen(command, stdout=subprocess.PIPE, cwd=REPO))
            first += size

    def wait_ready(self) -> None:
        for process in self.processes:
            assert process.stdout is not None
            line = process.stdout.readline().decode().strip()
            if line != "ready":
                raise RuntimeError(f"subscribers failed: {line!r}")

    def report(self) -> dict[str, Any]:
        """Every process's counts added up, and the latencies of all of them."""
        total: dict[str, Any] = {"received": 0, "missing": 0, "out_of_order": 0}
        total |= {"failed": 0, "cut": 0, "resubscribed": 0, "errors": {}, "client_load": []}
        latencies, first = array("d"), array("d")
        for p, process in enumerate(self.processes):
            assert process.stdout is not None
            line = process.stdout.readline()
            if not line:
                raise RuntimeError(f"subscriber process {p} exited with {process.wait()}")
            report = json.loads(line)
            process.wait(timeout=60)
            for key in ("received", "missing", "out_of_order", "failed", "cut", "resubscribed"):
                total[key] += report[key]
            for error, n in report["errors"].items():
                total["errors"][error] = total["errors"].get(error, 0) + n
            total["client_load"].append(report["client_load"])
            out = self.directory / f"{p}.bin"
            latencies.frombytes(out.read_bytes())
            first.frombytes(out.with_suffix(".first").read_bytes())
        total["latencies"] = summary(latencies)
        total["first_event_latencies"] = summary(first)
        return total

    def close(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
            process.wait()
        for file in self.directory.iterdir():
            file.unlink()
        self.directory.rmdir()


@contextmanager
def subscribers(
    server: Server, path: str, count: int, expected: int, processes: int, timeout: float = 600
) -> Iterator[Subscribers]:
    """Subscribers to `path` on `server`, connected (every one answered) when this yields."""
    crowd = Subscribers(server.port, path, count, expected, processes, timeout)
    try:
        crowd.wait_ready()
        yield crowd
    finally:
        crowd.close()


# -- the processes ------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """utime + stime of every thread (fields 14 and 15 of /proc/PID/stat, proc(5)). The name
    in field 2 may hold spaces, so the fields are counted from its closing parenthesis."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


@dataclass
class Server:
    port: int
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def status_kib(self, field: str = "VmRSS") -> int:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        line = next(line for line in status.splitlines() if line.startswith(f"{field}:"))
        return int(line.split()[1])

    def rss_kib(self) -> int:
        return self.status_kib("VmRSS")

    def reset_peak_rss(self) -> bool:
        """VmHWM back to the current RSS (`5` to /proc/PID/clear_refs, Linux >= 4.0)."""
        try:
            Path(f"/proc/{self.process.pid}/clear_refs").write_text("5")
        except OSError:
            return False
        return True

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.process.pid)

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        import httpx

        response = httpx.post(self.url + path, json=body, timeout=600)
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def get(self, path: str) -> dict[str, Any]:
        import httpx

        response = httpx.get(self.url + path, timeout=60)
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result


@contextmanager
def _server(env: dict[str, str]) -> Iterator[Server]:
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "--factory", "bench.topics_bench:build_app"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--loop", "asyncio"]
    command += ["--http", "httptools", "--log-level", "warning", "--no-access-log"]
    # Thousands of subscribers connect at once; streams still open at the end get 5 s.
    command += ["--backlog", "4096", "--timeout-graceful-shutdown", "5"]
    process = subprocess.Popen(command, cwd=REPO, env={**os.environ, **env})
    try:
        wait_for_port(port, timeout=60)
        yield Server(port, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class Backend:
    """One broker backend: how to start its servers, and its Redis (None in memory)."""

    name: str
    redis: RedisServer | None

    @contextmanager
    def servers(self) -> Iterator[tuple[Server, Server]]:
        """The subscribers' server and the publisher's: a second process with Redis,
        as in a deployment with several, so every event crosses Redis; else the same."""
        if self.redis is None:
            with _server({"SSEGEN_REDIS_URL": ""}) as server:
                yield server, server
        else:
            env = {"SSEGEN_REDIS_URL": self.redis.url}
            with _server(env) as server, _server(env) as publisher:
                yield server, publisher

    def redis_cpu_seconds(self) -> float | None:
        """redis-server's CPU time so far (INFO cpu), None in memory."""
        if self.redis is None:
            return None
        reply = self.redis.command("INFO", "cpu").decode()
        fields = dict(line.split(":", 1) for line in reply.splitlines() if ":" in line)
        return float(fields["used_cpu_sys"]) + float(fields["used_cpu_user"])


def warm_up(server: Server, publisher: Server) -> None:
    """Imports and first allocations, before any baseline."""
    for process in {server.port: server, publisher.port: publisher}.values():
        process.post("/runs/warmup/publish", {"events": 100})
    time.sleep(0.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", default="one-instance", help=f"{', '.join(SCENARIOS)}; all")
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--events", type=int, default=300)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--burst-events", type=int, default=1000)
    parser.add_argument("--throughput-events", type=int, default=20_000)
    parser.add_argument("--instances", default="100,1000,10000", help="instance counts")
    parser.add_argument("--spread-rate", type=float, default=1000.0, help="events/s in all")
    parser.add_argument("--spread-seconds", type=float, default=10.0)
    parser.add_argument("--churn-rate", type=int, default=1000, help="new connections/s")
    parser.add_argument("--churn-seconds", type=float, default=10.0)
    parser.add_argument("--churn-publish-rate", type=float, default=100.0, help="events/s")
    parser.add_argument("--client-processes", type=int, default=0, help="0: one per 5,000")
    parser.add_argument("--backend", choices=["memory", "redis", "both"], default="both")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument("--subscribe", nargs=7, help=argparse.SUPPRESS)
    parser.add_argument("--churn-client", nargs=6, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.subscribe:
        port, path, first, count, expected, out, timeout = args.subscribe
        asyncio.run(
            _subscribe(
                int(port), path, int(first), int(count), int(expected), Path(out), float(timeout)
            )
        )
        return
    # The scenarios import this module: imported here, once the module is complete.
    from bench import topics_scale

    if args.churn_client:
        topics_scale.churn_client(args.churn_client)
        return
    chosen = [s.strip() for s in args.scenario.split(",")]
    args.scenarios = SCENARIOS if chosen == ["all"] else chosen
    if unknown := set(args.scenarios) - set(SCENARIOS):
        parser.error(f"unknown scenario(s): {', '.join(sorted(unknown))}")
    args.instances = [int(n) for n in args.instances.split(",") if n.strip()]
    raise_open_files_limit()  # the children inherit it
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard < max(args.subscribers, *args.instances) + 1000:
        print(f"warning: RLIMIT_NOFILE hard limit {hard} is below the connections asked for")
    backends = ["memory", "redis"] if args.backend == "both" else [args.backend]
    results = [topics_scale.bench_backend(backend, args) for backend in backends]
    for line in topics_scale.report(results):
        print(line)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    # bench.topics_scale imports this module as `bench.topics_bench`: run that copy,
    # so that one set of classes serves the script and the scenarios.
    from bench.topics_bench import main as run_main

    run_main()
