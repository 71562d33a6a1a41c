"""Publish throughput to Redis from one process, checked by a live subscriber.

    .venv/bin/python bench/publish_bench.py [--events 200000] [--instances 100]
                                            [--chunk 1000] [--tasks 200] [--json FILE]

It starts a redis-server on 127.0.0.1 (persistence off, as in the topic
tests) and two processes besides this one:

- the subscriber: one process with its own `RedisBroker` that subscribes to
  every instance before anything is published (so every event reaches it
  live, through its one `XREAD` loop) and checks, per instance, that the ids
  strictly increase and that the events arrive in the order they were
  published (each event carries its per-instance sequence number);
- the publisher: one process with its own `RedisBroker`, publishing
  `--events` events spread over `--instances` instances, in three ways, one
  after another: `publish_many` in chunks of `--chunk` events (one instance
  per chunk, instances round-robin); `--tasks` concurrent tasks, each doing
  one `await publish` after another (the queue coalesces them into shared
  round trips); and, for reference, one `await publish` after another from
  a single task (nothing to coalesce: one round trip per event).

Events/s is the events published over the publisher's wall time. A way
counts only when the subscriber got every event of it, each once, in order.
The goal (issue 16) is at least 50,000 events/s from one publisher process.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script: the repository's packages come first
    sys.path.insert(0, str(REPO))

from ssegen.runtime import EventSpec, RedisBroker, StreamSpec, TopicSpec

from tests.support.redis_server import redis_server


class Tick(BaseModel):
    n: int  # the event's place in its instance, from 0 within one way


@dataclass(frozen=True, slots=True, kw_only=True)
class BenchTick:
    data: Tick


TICKS = StreamSpec(
    name="publish_bench",
    events=(EventSpec(BenchTick, "tick", "json"),),
    retry=1000,
    keepalive=15.0,
    ids="sequence",
)
TOPIC = TopicSpec(stream=TICKS, key=("instance",), keep=1000, ttl=600.0)

GOAL = 50_000


def _instances(way: str, count: int) -> list[tuple[str, ...]]:
    return [(f"{way}-{i}",) for i in range(count)]


# -- the subscriber -----------------------------------------------------------


async def _subscribe(url: str, way: str, instances: int, expected: int) -> dict[str, Any]:
    """Read every instance of `way` live until `expected` events came; check them."""
    broker = RedisBroker.from_url(url)
    subscriptions = [
        await broker.subscribe(TOPIC, key, after=None) for key in _instances(way, instances)
    ]
    print("ready", flush=True)
    received = duplicates = out_of_order = bad_ids = 0
    done = asyncio.Event()

    async def read(index: int) -> None:
        nonlocal received, duplicates, out_of_order, bad_ids
        subscription = subscriptions[index]
        last_id = -1
        next_n = 0
        while (batch := await subscription.next_batch()) is not None:
            for entry in batch:
                if entry.id <= last_id:
                    bad_ids += 1
                last_id = entry.id
                wire = entry.wire
                start = wire.index(b'data: {"n":') + 11
                n = int(wire[start : wire.index(b"}", start)])
                if n < next_n:
                    duplicates += 1
                elif n > next_n:
                    out_of_order += 1
                next_n = n + 1
                received += 1
            if received >= expected:
                done.set()

    readers = [asyncio.create_task(read(i)) for i in range(instances)]
    try:
        await asyncio.wait_for(done.wait(), timeout=300)
    except TimeoutError:
        pass
    for task in readers:
        task.cancel()
    await asyncio.gather(*readers, return_exceptions=True)
    for subscription in subscriptions:
        await subscription.aclose()
    await broker.aclose()
    return {
        "received": received,
        "missing": max(0, expected - received),
        "duplicates": duplicates,
        "out_of_order": out_of_order,
        "ids_not_increasing": bad_ids,
    }


# -- the publisher ------------------------------------------------------------


def _event(n: int) -> BenchTick:
    return BenchTick(data=Tick(n=n))


async def _publish(url: str, way: str, events: int, instances: int, args: Any) -> float:
    """Publish `events` over `instances` instances of `way`; the wall time in seconds."""
    broker = RedisBroker.from_url(url)
    keys = _instances(way, instances)
    per_instance = [events // instances + (i < events % instances) for i in range(instances)]
    await broker.publish(TOPIC, ("warmup",), _event(0))
    started = time.perf_counter()
    if way == "publish_many":
        # Chunks round-robin over the instances, each chunk one instance's next events.
        sent = [0] * instances
        pending = True
        while pending:
            pending = False
            for i, key in enumerate(keys):
                count = min(args.chunk, per_instance[i] - sent[i])
                if count > 0:
                    batch = [_event(sent[i] + k) for k in range(count)]
                    await broker.publish_many(TOPIC, key, batch)
                    sent[i] += count
                    pending = True
    elif way == "concurrent":
        # Each task owns some instances and publishes their events one by one.
        async def task(first: int) -> None:
            for i in range(first, instances, args.tasks):
                for n in range(per_instance[i]):
                    await broker.publish(TOPIC, keys[i], _event(n))

        await asyncio.gather(*(task(t) for t in range(min(args.tasks, instances))))
    else:
        for i, key in enumerate(keys):
            for n in range(per_instance[i]):
                await broker.publish(TOPIC, key, _event(n))
    seconds = time.perf_counter() - started
    await broker.aclose()
    return seconds


# -- the run ------------------------------------------------------------------


def _run_way(url: str, way: str, events: int, args: argparse.Namespace) -> dict[str, Any]:
    instances = min(args.instances, events)
    if way == "concurrent":
        instances = max(instances, args.tasks)  # one instance per task at least
    command = [sys.executable, __file__, "--role", "subscriber", "--url", url, "--way", way]
    common = ["--events", str(events), "--instances", str(instances)]
    subscriber = subprocess.Popen(command + common, stdout=subprocess.PIPE, cwd=REPO)
    assert subscriber.stdout is not None
    if subscriber.stdout.readline().decode().strip() != "ready":
        raise RuntimeError("the subscriber failed to start")
    publisher = subprocess.run(
        [sys.executable, __file__, "--role", "publisher", "--url", url, "--way", way]
        + common
        + ["--chunk", str(args.chunk), "--tasks", str(args.tasks)],
        stdout=subprocess.PIPE,
        cwd=REPO,
        check=True,
    )
    seconds = json.loads(publisher.stdout)["seconds"]
    report = json.loads(subscriber.stdout.readline())
    subscriber.wait(timeout=60)
    verified = report["missing"] == 0 and not any(
        report[k] for k in ("duplicates", "out_of_order", "ids_not_increasing")
    )
    return {
        "way": way,
        "events": events,
        "instances": instances,
        "seconds": round(seconds, 3),
        "events_per_s": round(events / seconds),
        "verified": verified,
        **report,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--instances", type=int, default=100)
    parser.add_argument("--chunk", type=int, default=1000)
    parser.add_argument("--tasks", type=int, default=200)
    parser.add_argument("--sequential-events", type=int, default=20_000)
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument("--role", choices=["subscriber", "publisher"], help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--way", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.role == "subscriber":
        report = asyncio.run(_subscribe(args.url, args.way, args.instances, args.events))
        print(json.dumps(report), flush=True)
        return
    if args.role == "publisher":
        seconds = asyncio.run(_publish(args.url, args.way, args.events, args.instances, args))
        print(json.dumps({"seconds": seconds}), flush=True)
        return
    results = []
    with redis_server() as redis:
        for way, events in (
            ("publish_many", args.events),
            ("concurrent", args.events),
            ("sequential", args.sequential_events),
        ):
            results.append(_run_way(redis.url, way, events, args))
    hiredis = "with hiredis" if _has_hiredis() else "without hiredis"
    print(f"\npublish to Redis from one process ({os.cpu_count()} cores, redis-py {hiredis})")
    for r in results:
        check = "verified" if r["verified"] else f"NOT VERIFIED {r}"
        print(
            f"  {r['way']:>13}: {r['events_per_s']:>7,} events/s "
            f"({r['events']:,} events over {r['instances']} instances); subscriber: {check}"
        )
    best = results[0]
    verdict = "PASS" if best["verified"] and best["events_per_s"] >= GOAL else "FAIL"
    print(f"{verdict} publish_many >= {GOAL:,} events/s, every event verified")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


def _has_hiredis() -> bool:
    return importlib.util.find_spec("hiredis") is not None


if __name__ == "__main__":
    main()
