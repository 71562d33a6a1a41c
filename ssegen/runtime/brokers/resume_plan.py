"""Where a new subscription starts: the resume decision both brokers share.

Given the subscriber's resume position (`after`, its `Last-Event-ID`), the
instance's last entry and the retained entries after `after` (oldest first),
this decides what the subscriber is told, following spec format v1:

- a resume position at or after the instance's terminal event: nothing will
  ever come, the server answers 204 (WHATWG: EventSource stops reconnecting);
- the retained entries continue exactly after `after` (the first one's
  `prev` is `after`) and nothing on the way may have been lost: replay them,
  then live;
- otherwise the subscriber may have missed events, and it is told so
  (`Subscription.missed`, which the server turns into the `ssegen.missed`
  event) before it gets what is retained. That is the case when the chain
  does not continue from `after` (the id fell out of retention, belongs to
  an earlier incarnation of the instance, lies in history the store lost,
  or was never issued), when an entry on the way is a `gap` (history may
  have been lost before it, see `entry.py`), and when the store says that
  history after its last entry may be lost (`stale`: on Redis, the server
  changed since that entry was written);
- a new subscriber (no `after`) of a resumable topic gets every retained
  event; a topic without ids sends live events only and replays nothing.

The rule is exact where the history is known to be continuous and errs on
the safe side where it cannot be known: a subscriber is never left to skip
events silently, and is only told when an event after its id may be gone.
One notice covers every hole already in the history (`covered`): the
subscriber refetches its state once, not once per hole.
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
    stale: bool = False,
) -> None:
    """Set `subscription`'s position, replay and flags (see the module docstring).

    `last` is the instance's newest entry (None when the instance does not
    exist); `replay` the retained entries with ids above `after`, or all
    retained entries when `after` is None; `more` fetches further pages
    when `replay` is only the first one; `stale` that events after `last`
    may have been lost.
    """
    last_id = last.id if last is not None else 0
    closed = last is not None and last.terminal
    if not topic.resumable:
        subscription.start(position=last_id, replay=[], finished=closed)
        return
    if after is None:
        # A new subscriber claims no position, so it has missed nothing: the
        # holes already in the history are simply not retained.
        position = replay[0].prev if replay else last_id
        subscription.start(position=position, replay=replay, more=more, covered=last_id)
        return
    if closed and after >= last_id:
        subscription.start(position=after, replay=[], finished=True)
        return
    if replay:
        first = replay[0]
        missed = first.prev != after or stale or any(entry.gap for entry in replay)
        subscription.start(
            position=first.prev,
            replay=replay,
            missed=missed,
            more=more,
            covered=last_id if missed else -1,
        )
        return
    # Nothing retained after `after`: up to date only if `after` is the last id
    # (0 stands for "before the first event" of an instance not created yet)
    # and nothing after it may have been lost.
    missed = after != last_id or stale
    subscription.start(
        position=last_id, replay=[], missed=missed, covered=last_id if missed else -1
    )
