"""What a generated router tells the runtime about one topic stream.

A topic stream (spec format v1, `topic:`) is published to rather than
computed per request. Its `StreamSpec` says how events look on the wire; the
`TopicSpec` adds what a broker needs: which parameters name one instance of
the topic (`key`), how many events an instance retains for replay (`keep`),
and how long an idle instance lives (`ttl`, seconds; None keeps it forever).
"""

from __future__ import annotations

from dataclasses import dataclass

from ssegen.wire import DEFAULT_KEEP

from ..stream import StreamSpec


@dataclass(frozen=True, slots=True)
class TopicSpec:
    """One declared topic: a stream plus its instance key and retention.

    `key` names the parameters (in order) whose values name one instance,
    e.g. `("job_id",)`: `/jobs/7/feed` and `/jobs/8/feed` are two instances
    with separate histories, ids and subscribers.
    """

    stream: StreamSpec
    key: tuple[str, ...] = ()
    keep: int = DEFAULT_KEEP
    ttl: float | None = None

    def __post_init__(self) -> None:
        # An instance always retains its last event: the broker reads the
        # last id and the terminal flag from it, so `keep` below 1 cannot work.
        if self.keep < 1:
            raise ValueError(
                f"topic {self.stream.name!r}: keep must be at least 1, not {self.keep}"
            )
        if self.ttl is not None and self.ttl <= 0:
            raise ValueError(f"topic {self.stream.name!r}: ttl must be positive, not {self.ttl}")
        if self.stream.ids == "handler":
            # A topic has many publishers and no handler: only the broker can
            # hand out ids that stay monotonic across processes.
            raise ValueError(f"topic {self.stream.name!r}: topics support ids: sequence only")

    @property
    def resumable(self) -> bool:
        """True when events carry ids and a reconnect replays what it missed."""
        return self.stream.ids == "sequence"

    def check_key(self, key: tuple[str, ...]) -> None:
        if len(key) != len(self.key) or not all(isinstance(part, str) for part in key):
            raise TypeError(
                f"topic {self.stream.name!r} is keyed by {self.key!r}; got instance key {key!r}"
            )
