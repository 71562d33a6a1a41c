"""Concurrent and batched publishes: order per instance, one error per publish, nothing lost.

On Redis, the publishes of one process that overlap share pipelines
(ssegen.runtime.brokers.publish_queue); these tests hold both brokers to the
same outcome as one publish at a time. The interleavings are seeded:
`SSEGEN_SCHEDULE_SEED=<seed>` replays one.
"""

from __future__ import annotations

import asyncio
import json
import os
import random

import pytest
from ssegen.runtime import Broker, TopicClosedError

from .conftest import BrokerFactory
from .feeds import FEEDS

pytestmark = pytest.mark.anyio

FEED = FEEDS["job_feed"]
SEEDS = (
    [int(os.environ["SSEGEN_SCHEDULE_SEED"])]
    if "SSEGEN_SCHEDULE_SEED" in os.environ
    else [3, 17, 2026]
)


def _note(text: str, number: int) -> object:
    from topic_feed import Note

    return FEED.note(Note(text=text, sequenceNumber=number))


async def _history(broker: Broker, key: str) -> list[tuple[int, str]]:
    """(id, text) of every retained event of instance `key`, read by a new subscriber."""
    subscription = await broker.subscribe(FEED.topic, (key,), after=None)
    found: list[tuple[int, str]] = []
    try:
        while (batch := await subscription.next_batch(timeout=0.2)) is not None and batch:
            for entry in batch:
                lines = entry.wire.decode().split("\n")
                data = next((line[6:] for line in lines if line.startswith("data: {")), None)
                found.append((entry.id, json.loads(data)["text"] if data else ""))
    finally:
        await subscription.aclose()
    return found


@pytest.mark.parametrize("seed", SEEDS)
async def test_concurrent_publishes_keep_each_instances_order(
    make_broker: BrokerFactory, seed: int
) -> None:
    rng = random.Random(seed)
    broker = make_broker()
    keys = [f"c{seed}-{i}" for i in range(4)]
    sent: dict[str, list[tuple[int, str]]] = {key: [] for key in keys}

    async def publisher(task: int) -> None:
        key = rng.choice(keys)
        for n in range(rng.randrange(1, 12)):
            for _ in range(rng.randrange(3)):
                await asyncio.sleep(0)  # another task's publish may go first
            text = f"{task}.{n}"
            event_id = await broker.publish(FEED.topic, (key,), _note(text, n))
            sent[key].append((event_id, text))

    try:
        await asyncio.gather(*(publisher(task) for task in range(40)))
        for key in keys:
            own = sent[key]
            # Each task's publishes were sequential: its ids increase in its order.
            for task in {text.split(".")[0] for _, text in own}:
                ids = [i for i, text in own if text.split(".")[0] == task]
                assert ids == sorted(ids), f"SSEGEN_SCHEDULE_SEED={seed}: {key} task {task}"
            # The instance holds exactly what was published, in id order, each once.
            assert await _history(broker, key) == sorted(own), f"SSEGEN_SCHEDULE_SEED={seed}"
    finally:
        await broker.aclose()


async def test_each_concurrent_publish_gets_its_own_error(make_broker: BrokerFactory) -> None:
    broker = make_broker()
    try:
        results = await asyncio.gather(
            broker.publish(FEED.topic, ("e1",), _note("a", 1)),
            broker.publish(FEED.topic, ("e1",), FEED.done()),
            broker.publish(FEED.topic, ("e1",), _note("b", 2)),
            broker.publish(FEED.topic, ("e2",), _note("other instance", 1)),
            broker.publish(FEED.topic, ("e1",), _note("c", 3)),
            return_exceptions=True,
        )
        first, done, late, other, later = results
        assert isinstance(first, int) and isinstance(done, int) and done > first
        assert isinstance(late, TopicClosedError) and isinstance(later, TopicClosedError)
        assert isinstance(other, int)  # another instance in the same round trip is unaffected
        assert [text for _, text in await _history(broker, "e2")] == ["other instance"]
    finally:
        await broker.aclose()


async def test_publish_many_numbers_a_batch_in_order(make_broker: BrokerFactory) -> None:
    broker = make_broker()
    try:
        events = [_note(f"m{n}", n) for n in range(300)]
        ids = await broker.publish_many(FEED.topic, ("m1",), events)
        assert ids == list(range(ids[0], ids[0] + 300))
        history = await _history(broker, "m1")
        assert history == [(event_id, f"m{n}") for n, event_id in enumerate(ids)]
        with pytest.raises(TopicClosedError):
            await broker.publish_many(
                FEED.topic, ("m2",), [_note("x", 1), FEED.done(), _note("never", 2)]
            )
        texts = [text for _, text in await _history(broker, "m2")]
        assert texts[0] == "x" and "never" not in texts
    finally:
        await broker.aclose()


async def test_a_foreign_event_is_refused_before_anything_is_sent(
    make_broker: BrokerFactory,
) -> None:
    broker = make_broker()
    try:
        with pytest.raises(TypeError):
            await broker.publish_many(FEED.topic, ("f1",), [_note("ok", 1), object()])
        assert await _history(broker, "f1") == []
    finally:
        await broker.aclose()


@pytest.mark.parametrize("seed", SEEDS)
async def test_a_batch_larger_than_a_round_trip_keeps_every_frame_whole(
    make_broker: BrokerFactory, seed: int
) -> None:
    """2,500 events (more than one pipeline takes) of varied byte lengths, multi-byte
    text among them, while single publishes to the same instance interleave."""
    rng = random.Random(seed)
    large = FEEDS["large_feed"]
    broker = make_broker()
    key = f"big{seed}"
    texts = [
        "".join(rng.choice(["a", "é", "☃", "𝄞", " ", "\\", '"']) for _ in range(rng.randrange(40)))
        for _ in range(2500)
    ]

    def note(text: str, number: int) -> object:
        from topic_feed import Note

        return large.note(Note(text=text, sequenceNumber=number))

    async def singles() -> list[int]:
        ids = []
        for n in range(20):
            for _ in range(rng.randrange(3)):
                await asyncio.sleep(0)
            ids.append(await broker.publish(large.topic, (key,), note(f"single {n}", n)))
        return ids

    try:
        batch = [note(text, n) for n, text in enumerate(texts)]
        many, single = await asyncio.gather(
            broker.publish_many(large.topic, (key,), batch), singles()
        )
        assert many == sorted(many) and single == sorted(single)
        subscription = await broker.subscribe(large.topic, (key,), after=None)
        found: dict[int, str] = {}
        try:
            while (entries := await subscription.next_batch(timeout=0.2)) is not None and entries:
                for entry in entries:
                    data = next(
                        line[6:]
                        for line in entry.wire.decode().split("\n")
                        if line.startswith("data: {")
                    )
                    found[entry.id] = json.loads(data)["text"]
        finally:
            await subscription.aclose()
        assert sorted(found) == sorted(many + single)
        assert [found[event_id] for event_id in many] == texts
        assert [found[event_id] for event_id in single] == [f"single {n}" for n in range(20)]
    finally:
        await broker.aclose()
