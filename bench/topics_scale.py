"""The scenarios of `topics_bench.py` (which holds the app, the subscriber
processes and the command line), and their report.

- `bench_one_instance`: `--subscribers` on one instance; see topics_bench.py.
- `bench_instances`: N instances with one subscriber each (`/runs/n{N}-{i}/ticks`,
  one run per user), events published round-robin over them at a steady
  total rate (`/publish-spread`), each instance's events numbered 0, 1, 2 ...
  so order is checked per subscriber. Every count gets the same number of
  events at the same rate, so the subscribing server's CPU seconds per
  delivered event (utime + stime from /proc/PID/stat around the publishing,
  as bench/servers.py reads them) show whether reading costs more as
  instances grow. With Redis the publisher's and redis-server's CPU per
  event are reported too (redis-server's from `INFO cpu`), and so are the
  server's CPU while every subscriber is connected and nothing is published
  (idle CPU %) and its RSS per subscriber.
- `bench_churn`: one client process opens `--churn-rate` connections per
  second (on schedule, not waiting for earlier ones) for `--churn-seconds`
  on one instance of a topic without ids (no replay: the first event a
  subscriber gets is a live one), while the publisher publishes at
  `--churn-publish-rate`. Each connection waits for its first event, then
  closes. Reported: connections completed per second, connect to response
  head and connect to first event (p50/p99/max), errors by kind (status
  other than 200, a stream cut before its event, no event within 10 s), the
  server's CPU per connection, its RSS before and after (after a 1 s
  warm-up churn, so the baseline includes what churning allocates once) and
  its peak, and `/stats` after: open `/ticks` responses and the broker's
  subscribers, both 0 when every disconnect was cleaned up.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import subprocess
import sys
import threading
import time
from array import array
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bench.topics_bench import (
    REPO,
    Backend,
    Server,
    client_processes,
    raise_open_files_limit,
    subscribers,
    summary,
    warm_up,
)
from tests.support.redis_server import redis_server

SCRIPT = REPO / "bench" / "topics_bench.py"
IDLE_SECONDS = 2.0  # the server's CPU with every subscriber connected, nothing published
CHURN_TIMEOUT = 10.0  # seconds a churning connection may wait for its event
CHURN_IN_FLIGHT = 5000  # connections open at once, at most (file descriptors)
CHURN_WARM_UP = 1.0  # seconds of churn before the baseline

# -- one instance -------------------------------------------------------------


def bench_one_instance(backend: Backend, args: argparse.Namespace) -> dict[str, Any]:
    """`--subscribers` on one instance: latency at `--rate`, fan-out, throughput, memory."""
    count = args.subscribers
    processes = client_processes(count, args.client_processes)
    results: dict[str, Any] = {"subscribers": count, "client_processes": processes}
    with backend.servers() as (server, publisher):
        warm_up(server, publisher)
        baseline = server.rss_kib()
        with subscribers(server, "/runs/latency/ticks", count, args.events, processes) as crowd:
            time.sleep(1.0)  # let the server settle before reading its memory
            rss = server.rss_kib()
            cpu = server.cpu_seconds()
            publisher.post("/runs/latency/publish", {"events": args.events, "rate": args.rate})
            report = crowd.report()
            report["server_cpu_us_per_delivery"] = _per(server.cpu_seconds() - cpu, report)
        results["memory_per_subscriber_kib"] = round((rss - baseline) / count, 1)
        results["latency"] = {"rate_per_s": args.rate, "events": args.events, **report}

        with subscribers(server, "/runs/burst/ticks", count, args.burst_events, processes) as crowd:
            cpu = server.cpu_seconds()
            published = publisher.post("/runs/burst/publish", {"events": args.burst_events})
            report = crowd.report()
            report["server_cpu_us_per_delivery"] = _per(server.cpu_seconds() - cpu, report)
        # Every subscriber had every event by the last publish plus the
        # largest latency: that bounds the time the whole run took.
        delivered_in = published["seconds"] + report["latencies"].get("max_ms", 0) / 1000
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
    return results


def _per(cpu: float, report: dict[str, Any]) -> float:
    """CPU seconds per delivered event, in µs (the server's, publishing included in memory)."""
    return round(cpu / report["received"] * 1e6, 2) if report["received"] else 0.0


def latency_line(report: dict[str, Any]) -> str:
    lat = report["latencies"]
    figures = (
        f"p50 {lat['p50_ms']:.1f} ms, p99 {lat['p99_ms']:.1f} ms, max {lat['max_ms']:.1f} ms"
        if lat
        else "no event received"
    )
    problems = [f"missing {report['missing']}", f"out of order {report['out_of_order']}"]
    if report["failed"] or report["cut"]:
        problems += [f"failed {report['failed']}, cut {report['cut']}: {report['errors']}"]
    if report["resubscribed"]:
        problems.append(f"resubscribed while connecting {report['resubscribed']}")
    load = "/".join(f"{x:.2f}" for x in report["client_load"])
    return f"{figures}; {', '.join(problems)}; client load {load}"


def print_one_instance(result: dict[str, Any]) -> Iterator[str]:
    lat, fan = result["latency"], result["fan_out"]
    yield (
        f"  one instance, {result['subscribers']:,} subscribers "
        f"({result['client_processes']} client processes)"
    )
    yield f"    latency at {lat['rate_per_s']:g} events/s: {latency_line(lat)}"
    yield (
        f"    back to back ({fan['events']} events): {fan['published_per_s']} events/s "
        f"published, {fan['delivered_per_s']} events/s delivered to every subscriber; "
        f"{latency_line(fan)}"
    )
    yield (
        f"    server CPU per delivery (one event to one subscriber): "
        f"{lat['server_cpu_us_per_delivery']} µs at {lat['rate_per_s']:g} events/s, "
        f"{fan['server_cpu_us_per_delivery']} µs back to back"
    )
    yield f"    publish throughput, no subscribers: {result['publish_per_s_no_subscribers']} events/s"
    yield f"    memory per idle subscriber: {result['memory_per_subscriber_kib']} KiB (server RSS)"


# -- many instances -----------------------------------------------------------


def bench_instances(backend: Backend, count: int, args: argparse.Namespace) -> dict[str, Any]:
    """`count` instances of one subscriber each, `--spread-rate` events/s over all of them."""
    per_instance = max(1, math.ceil(args.spread_rate * args.spread_seconds / count))
    events = per_instance * count
    processes = client_processes(count, args.client_processes)
    prefix = f"n{count}-"
    spread = {"instances": count, "events": events, "rate": args.spread_rate, "prefix": prefix}
    result: dict[str, Any] = {
        "instances": count,
        "events": events,
        "events_per_instance": per_instance,
        "rate_per_s": args.spread_rate,
        "client_processes": processes,
    }
    with backend.servers() as (server, publisher):
        warm_up(server, publisher)
        baseline = server.rss_kib()
        started = time.monotonic()
        path = f"/runs/{prefix}{{i}}/ticks"
        with subscribers(server, path, count, per_instance, processes) as crowd:
            result["connected_in_s"] = round(time.monotonic() - started, 2)
            time.sleep(1.0)  # let the server settle before reading its memory
            result["memory_per_subscriber_kib"] = round((server.rss_kib() - baseline) / count, 1)
            idle = server.cpu_seconds()
            time.sleep(IDLE_SECONDS)
            result["idle_server_cpu_percent"] = round(
                (server.cpu_seconds() - idle) / IDLE_SECONDS * 100, 1
            )
            before = _cpu(backend, server, publisher)
            published = publisher.post("/publish-spread", spread)
            report = crowd.report()
            after = _cpu(backend, server, publisher)
    delivered = report["received"]
    for name in before:
        spent = after[name] - before[name]
        result[f"{name}_cpu_us_per_event"] = round(spent / delivered * 1e6, 1) if delivered else 0
    result["published_in_s"] = round(published["seconds"], 2)
    result["planned_s"] = round(events / args.spread_rate, 2)
    return result | report


def _cpu(backend: Backend, server: Server, publisher: Server) -> dict[str, float]:
    """CPU seconds so far of the subscribers' server, and with Redis the publisher and Redis."""
    spent = {"server": server.cpu_seconds()}
    redis = backend.redis_cpu_seconds()
    if redis is not None:
        spent["publisher"] = publisher.cpu_seconds()
        spent["redis"] = redis
    return spent


# -- churn --------------------------------------------------------------------


def bench_churn(backend: Backend, args: argparse.Namespace) -> dict[str, Any]:
    """Connections that subscribe, get one event and leave, `--churn-rate` a second."""
    result: dict[str, Any] = {
        "rate_per_s": args.churn_rate,
        "seconds": args.churn_seconds,
        "publish_rate_per_s": args.churn_publish_rate,
    }
    with backend.servers() as (server, publisher):
        warm_up(server, publisher)
        with publishing(publisher, "churn", args.churn_publish_rate):
            _churn_client(server, args.churn_rate, CHURN_WARM_UP)
            time.sleep(1.0)
            result["before"] = {**server.get("/stats"), "rss_kib": server.rss_kib()}
            peak_reset = server.reset_peak_rss()
            cpu = server.cpu_seconds()
            report = _churn_client(server, args.churn_rate, args.churn_seconds)
            cpu = server.cpu_seconds() - cpu
            time.sleep(2.0)  # disconnects still being noticed get their time
            result["after"] = {**server.get("/stats"), "rss_kib": server.rss_kib()}
            result["peak_rss_kib"] = server.status_kib("VmHWM") if peak_reset else None
    result["rss_delta_kib"] = result["after"]["rss_kib"] - result["before"]["rss_kib"]
    started = report["started"]
    result["server_cpu_us_per_connection"] = round(cpu / started * 1e6) if started else 0
    return result | report


@contextmanager
def publishing(publisher: Server, run: str, rate: float) -> Iterator[None]:
    """`rate` events/s to the live topic's `run` for as long as the block runs."""
    stop = threading.Event()
    failures: list[BaseException] = []

    def publish() -> None:
        try:
            while not stop.is_set():  # one second of events per request
                body = {"events": max(1, round(rate)), "rate": rate, "topic": "live"}
                publisher.post(f"/runs/{run}/publish", body)
        except BaseException as exc:  # noqa: BLE001 - raised again in the main thread
            failures.append(exc)

    thread = threading.Thread(target=publish, daemon=True)
    thread.start()
    time.sleep(0.5)
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=30)
    if failures:
        raise failures[0]


def _churn_client(server: Server, rate: int, seconds: float) -> dict[str, Any]:
    command = [sys.executable, str(SCRIPT), "--churn-client", str(server.port)]
    command += ["/live/churn/ticks", str(rate), str(seconds), "1", str(CHURN_TIMEOUT)]
    done = subprocess.run(
        command, stdout=subprocess.PIPE, cwd=REPO, check=True, timeout=seconds + 120
    )
    report: dict[str, Any] = json.loads(done.stdout)
    return report


class ChurnConnection(asyncio.Protocol):
    """One short-lived subscriber: the response head, `wanted` events, then it closes."""

    def __init__(self, request: bytes, wanted: int, outcome: asyncio.Future[str]) -> None:
        self.request = request
        self.wanted = wanted
        self.outcome = outcome
        self.transport: asyncio.Transport | None = None
        self.buffer = b""
        self.tail = b""  # the last bytes received
        self.head_at = 0.0  # time.monotonic() of the 200's head, 0 until then
        self.first_at = 0.0  # of the first event
        self.first_latency = 0.0  # the first event's publish to arrival
        self.events = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.write(self.request)

    def settle(self, outcome: str) -> None:
        if not self.outcome.done():
            self.outcome.set_result(outcome)
        if self.transport is not None:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.head_at:
            self.settle("closed before the head")
        elif b"broker unavailable" in self.tail:
            self.settle("cut: broker unavailable")
        else:
            self.settle("cut before its event")

    def data_received(self, data: bytes) -> None:
        now = time.monotonic()
        self.tail = data[-64:]
        buffer = self.buffer + data
        if not self.head_at:
            head, found, rest = buffer.partition(b"\r\n\r\n")
            if not found:
                self.buffer = buffer
                return
            if not head.startswith(b"HTTP/1.1 200"):
                self.settle(head.partition(b"\r\n")[0].decode(errors="replace"))
                return
            self.head_at, buffer = now, rest
        *blocks, self.buffer = buffer.split(b"\n\n")
        for block in blocks:
            start = block.find(b'data: {"n":')
            if start < 0:
                continue
            if not self.events:
                comma = block.find(b",", start)
                self.first_at = now
                self.first_latency = now - float(block[comma + 5 : block.find(b"}", comma)])
            self.events += 1
            if self.events == self.wanted:
                self.settle("ok")
                return


async def _churn(
    port: int, path: str, rate: int, seconds: float, wanted: int, timeout: float
) -> dict[str, Any]:
    raise_open_files_limit()
    loop = asyncio.get_running_loop()
    request = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: text/event-stream\r\n\r\n"
    ).encode()
    total = round(rate * seconds)
    errors: dict[str, int] = {}
    to_head, to_first, first_latency = array("d"), array("d"), array("d")
    room = asyncio.Semaphore(CHURN_IN_FLIGHT)
    tasks: set[asyncio.Task[None]] = set()

    async def one() -> None:
        started = time.monotonic()
        connection = ChurnConnection(request, wanted, loop.create_future())
        try:
            async with asyncio.timeout(timeout):
                await loop.create_connection(lambda: connection, "127.0.0.1", port)
                outcome = await connection.outcome
        except TimeoutError:
            outcome = f"no event within {timeout:g} s"
        except OSError as exc:
            outcome = f"connect: {exc.strerror or exc}"
        if outcome != "ok":
            if connection.transport is not None:
                connection.transport.abort()
            errors[outcome] = errors.get(outcome, 0) + 1
            return
        to_head.append(connection.head_at - started)
        to_first.append(connection.first_at - started)
        first_latency.append(connection.first_latency)

    def finished(task: asyncio.Task[None]) -> None:
        tasks.discard(task)
        room.release()

    cpu, t0 = time.process_time(), time.monotonic()
    lag = 0.0
    for k in range(total):
        due = t0 + k / rate
        delay = due - time.monotonic()
        await asyncio.sleep(max(0.0, delay))  # behind schedule: still one loop turn each
        await room.acquire()
        lag = max(lag, time.monotonic() - due)
        task = loop.create_task(one())
        tasks.add(task)
        task.add_done_callback(finished)
    last_start = time.monotonic()
    while tasks:
        await asyncio.gather(*list(tasks))
    end = time.monotonic()
    cpu = time.process_time() - cpu
    return {
        "started": total,
        "completed": len(to_first),
        "started_per_s": round(total / (last_start - t0)) if last_start > t0 else total,
        "completed_per_s": round(len(to_first) / (end - t0), 1),
        "start_lag_max_ms": round(lag * 1000, 1),
        "errors": errors,
        "connect_to_head": summary(to_head),
        "connect_to_first_event": summary(to_first),
        "first_event_latencies": summary(first_latency),
        "client_load": round(cpu / (end - t0), 2),
    }


def churn_client(argv: list[str]) -> None:
    """The churn client process: PORT PATH RATE SECONDS EVENTS TIMEOUT; one JSON line."""
    port, path, rate, seconds, events, timeout = argv
    report = asyncio.run(
        _churn(int(port), path, int(rate), float(seconds), int(events), float(timeout))
    )
    print(json.dumps(report), flush=True)


# -- printing -----------------------------------------------------------------


def print_scale(result: dict[str, Any]) -> Iterator[str]:
    """The lines of the instances and churn scenarios of one backend's result."""
    runs = result.get("instances") or []
    if runs:
        redis = result["backend"] == "redis"
        yield (
            f"  instances of one subscriber each, {runs[0]['rate_per_s']:g} events/s in all, "
            "round-robin; CPU in µs per delivered event"
        )
        head = f"    {'instances':>9} {'events':>7} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7}"
        head += f" {'server':>7}" + (f" {'publ.':>6} {'redis':>6}" if redis else "")
        head += f" {'idle %':>7} {'KiB/sub':>8} {'connect':>8} {'publish':>8}  problems"
        yield head
        for run in runs:
            lat = run["latencies"] or {"p50_ms": math.nan, "p99_ms": math.nan, "max_ms": math.nan}
            line = f"    {run['instances']:>9,} {run['events']:>7,} {lat['p50_ms']:>7.1f}"
            line += f" {lat['p99_ms']:>7.1f} {lat['max_ms']:>7.1f}"
            line += f" {run['server_cpu_us_per_event']:>7.0f}"
            if redis:
                line += f" {run['publisher_cpu_us_per_event']:>6.0f}"
                line += f" {run['redis_cpu_us_per_event']:>6.0f}"
            line += f" {run['idle_server_cpu_percent']:>7.1f} {run['memory_per_subscriber_kib']:>8}"
            line += f" {run['connected_in_s']:>7.1f}s {run['published_in_s']:>7.1f}s"
            yield line + "  " + latency_line(run).partition("; ")[2]
        yield (
            "    (publish: seconds to publish every event, planned "
            f"{runs[0]['planned_s']:g} s; idle %: server CPU, all connected, nothing published)"
        )
    churn = result.get("churn")
    if churn:
        yield (
            f"  churn: {churn['rate_per_s']:,} connections/s for {churn['seconds']:g} s on one "
            f"instance, {churn['publish_rate_per_s']:g} events/s published; each waits for its "
            "first event, then closes"
        )
        yield (
            f"    started {churn['started']:,} ({churn['started_per_s']:,}/s, start lag max "
            f"{churn['start_lag_max_ms']:.0f} ms), completed {churn['completed']:,} "
            f"({churn['completed_per_s']:,.0f}/s), errors {churn['errors'] or 'none'}; "
            f"client load {churn['client_load']:.2f}"
        )
        for key, label in (
            ("connect_to_head", "connect to 200"),
            ("connect_to_first_event", "connect to first event"),
            ("first_event_latencies", "first event, publish to arrival"),
        ):
            lat = churn[key]
            if lat:
                yield (
                    f"    {label}: p50 {lat['p50_ms']:.1f} ms, p99 {lat['p99_ms']:.1f} ms, "
                    f"max {lat['max_ms']:.1f} ms"
                )
        before, after = churn["before"], churn["after"]
        peak = f", peak {churn['peak_rss_kib']:,} KiB" if churn["peak_rss_kib"] else ""
        yield (
            f"    server: {churn['server_cpu_us_per_connection']:,} µs CPU per connection; RSS "
            f"{before['rss_kib']:,} KiB before, {after['rss_kib']:,} KiB after "
            f"({churn['rss_delta_kib']:+,} KiB){peak}"
        )
        yield (
            f"    after: {after['open_streams']} open streams, broker subscribers "
            f"{after['subscribers']} (before {before['subscribers']}), instances "
            f"{after['instances']}"
        )


# -- the run ------------------------------------------------------------------

P99_GOAL_MS = 100.0
MEMORY_GOAL_KIB = 10.0


def bench_backend(name: str, args: argparse.Namespace) -> dict[str, Any]:
    with redis_server() if name == "redis" else _no_redis() as redis:
        backend = Backend(name, redis)
        result: dict[str, Any] = {"backend": name}
        if "one-instance" in args.scenarios:
            result |= bench_one_instance(backend, args)
        if "instances" in args.scenarios:
            result["instances"] = [
                bench_instances(backend, count, args) for count in args.instances
            ]
        if "churn" in args.scenarios:
            result["churn"] = bench_churn(backend, args)
    return result


@contextmanager
def _no_redis() -> Iterator[None]:
    yield None


def goals(results: list[dict[str, Any]]) -> Iterator[str]:
    def verdict(ok: bool) -> str:
        return "PASS" if ok else "FAIL"

    for result in results:
        name = result["backend"]
        if "latency" in result:
            p99 = result["latency"]["latencies"].get("p99_ms", math.inf)
            yield (
                f"{verdict(p99 < P99_GOAL_MS)} {name}: p99 {p99:.1f} ms < {P99_GOAL_MS:g} ms at "
                f"{result['subscribers']:,} subscribers of one instance "
                f"({result['latency']['rate_per_s']:g} events/s; goal at 10,000)"
            )
            memory = result["memory_per_subscriber_kib"]
            yield (
                f"{verdict(memory < MEMORY_GOAL_KIB)} {name}: {memory} KiB < "
                f"{MEMORY_GOAL_KIB:g} KiB per idle subscriber"
            )
        if result.get("instances"):
            largest = max(result["instances"], key=lambda run: run["instances"])
            p99 = largest["latencies"].get("p99_ms", math.inf)
            yield (
                f"{verdict(p99 < P99_GOAL_MS)} {name}: p99 {p99:.1f} ms < {P99_GOAL_MS:g} ms at "
                f"{largest['instances']:,} instances of one subscriber "
                f"({largest['rate_per_s']:g} events/s in all; goal at 10,000)"
            )
        if "churn" in result:
            churn = result["churn"]
            clean = not churn["errors"] and churn["after"]["open_streams"] == 0
            clean = clean and churn["after"]["subscribers"] in (0, None)
            yield (
                f"{verdict(clean)} {name}: churn without errors, every subscription closed "
                f"after ({churn['completed_per_s']:,.0f} of {churn['rate_per_s']:,} "
                "connections/s completed)"
            )


def report(results: list[dict[str, Any]]) -> Iterator[str]:
    """Every backend's figures, then the goals."""
    for result in results:
        where = " (published in another server process)" if result["backend"] == "redis" else ""
        yield f"\n{result['backend']}{where}"
        if "latency" in result:
            yield from print_one_instance(result)
        yield from print_scale(result)
    yield ""
    yield from goals(results)
