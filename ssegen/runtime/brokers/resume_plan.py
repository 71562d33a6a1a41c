"""Where a new subscription starts: the resume decision both brokers share.

Given the subscriber's resume position (`after`, its `Last-Event-ID`), the
instance's last entry and the retained entries after `after` (oldest first),
this decides what the subscriber is told, following spec format v1:

- a resume position at or after the instance's terminal event: nothing will
  ever come, the server answers 204 (WHATWG: EventSource stops reconnecting);
- the retained entries continue exactly after `after`: replay them, then live;
- they do not (the id fell out of retention, or belongs to an earlier
  incarnation of the instance, or was never issued): the subscriber has
  missed events. It is told so (`Subscription.missed`, which the server
  turns into the `ssegen.missed` event) and then gets what is retained;
- a new subscriber (no `after`) of a resumable topic gets every retained
  event; a topic without ids sends live events only and replays nothing.
"""

from __future__ import annotations

from .entry import Entry
from .subscription import ReplayPager, Subscription
from .topic_spec import TopicSpec


def start_subscription(
    subscription: Subscription,
    topic: TopicSpec,
    *,
    after: int | None,
    last: Entry | None,
    replay: list[Entry],
    more: ReplayPager | None = None,
) -> None:
    """Set `subscription`'s position, replay and flags (see the module docstring).

    `last` is the instance's newest entry (None when the instance does not
    exist); `replay` the retained entries with ids above `after`, or all
    retained entries when `after` is None; `more` fetches further pages
    when `replay` is only the first one.
    """
    last_id = last.id if last is not None else 0
    closed = last is not None and last.terminal
    if not topic.resumable:
        subscription.start(position=last_id, replay=[], finished=closed)
        return
    if after is None:
        position = replay[0].prev if replay else last_id
        subscription.start(position=position, replay=replay, more=more)
        return
    if closed and after >= last_id:
        subscription.start(position=after, replay=[], finished=True)
        return
    if replay:
        first = replay[0]
        subscription.start(
            position=first.prev, replay=replay, missed=first.prev != after, more=more
        )
        return
    # Nothing retained after `after`: up to date only if `after` is the last id
    # (0 stands for "before the first event" of an instance not created yet).
    subscription.start(position=last_id, replay=[], missed=after != last_id)
