"""The feeds of the generated `topic_feed` package, and publishing to them as the tests do.

Every `*_feed` stream of `specs/feed.yaml` carries the same three events
(`note`, `line`, `done`), each with its own generated classes. The generated
publishers return nothing, and a test needs the id the broker assigned each
event: so this publishes through the broker with the generated topic spec and
event classes, which is all a generated publisher does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ssegen.runtime import Broker, TopicSpec
from topic_feed import (
    ExpiringFeedDoneEvent,
    ExpiringFeedLineEvent,
    ExpiringFeedNoteEvent,
    JobFeedDoneEvent,
    JobFeedLineEvent,
    JobFeedNoteEvent,
    LargeFeedDoneEvent,
    LargeFeedLineEvent,
    LargeFeedNoteEvent,
    Note,
    QuietFeedDoneEvent,
    QuietFeedLineEvent,
    QuietFeedNoteEvent,
    SmallFeedDoneEvent,
    SmallFeedLineEvent,
    SmallFeedNoteEvent,
)
from topic_feed.streams import (
    EXPIRING_FEED_TOPIC,
    JOB_FEED_TOPIC,
    LARGE_FEED_TOPIC,
    QUIET_FEED_TOPIC,
    SMALL_FEED_TOPIC,
)


@dataclass(frozen=True, slots=True)
class Feed:
    """One feed stream: its topic and its three events."""

    topic: TopicSpec
    note: Callable[[Note], object]
    line: Callable[[str], object]
    done: Callable[[], object]


FEEDS = {
    "job_feed": Feed(
        JOB_FEED_TOPIC,
        lambda note: JobFeedNoteEvent(data=note),
        lambda text: JobFeedLineEvent(data=text),
        JobFeedDoneEvent,
    ),
    "small_feed": Feed(
        SMALL_FEED_TOPIC,
        lambda note: SmallFeedNoteEvent(data=note),
        lambda text: SmallFeedLineEvent(data=text),
        SmallFeedDoneEvent,
    ),
    "large_feed": Feed(
        LARGE_FEED_TOPIC,
        lambda note: LargeFeedNoteEvent(data=note),
        lambda text: LargeFeedLineEvent(data=text),
        LargeFeedDoneEvent,
    ),
    "expiring_feed": Feed(
        EXPIRING_FEED_TOPIC,
        lambda note: ExpiringFeedNoteEvent(data=note),
        lambda text: ExpiringFeedLineEvent(data=text),
        ExpiringFeedDoneEvent,
    ),
    "quiet_feed": Feed(
        QUIET_FEED_TOPIC,
        lambda note: QuietFeedNoteEvent(data=note),
        lambda text: QuietFeedLineEvent(data=text),
        QuietFeedDoneEvent,
    ),
}


async def publish_to(
    broker: Broker,
    feed: Feed,
    job_id: str,
    *,
    count: int,
    start: int,
    size: int,
    lines: list[str],
    end: bool,
) -> list[int]:
    """`count` notes (`sequenceNumber` from `start`, `size` extra characters), the lines,
    then `done` if `end`; the ids the broker assigned."""
    key = (job_id,)
    padding = "x" * size
    ids: list[int] = []
    for n in range(start, start + count):
        note = Note(text=f"note {n}{padding}", sequenceNumber=n)
        ids.append(await broker.publish(feed.topic, key, feed.note(note)))
    for line in lines:
        ids.append(await broker.publish(feed.topic, key, feed.line(line)))
    if end:
        ids.append(await broker.publish(feed.topic, key, feed.done()))
    return ids
