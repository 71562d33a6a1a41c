"""Text and JSON payloads built to break framing arrive exactly as they were sent."""

from __future__ import annotations

from tests.clients.client_runs import run_client
from tests.clients.payloads import expected_hostile_events


def test_hostile_payloads_arrive_exactly_as_sent(server: str, client: str) -> None:
    run = run_client(
        client,
        f"{server}/hostile",
        events=["log", "blob", "quote", "end", "message"],
        terminal=["end"],
    )

    assert run.done["reason"] == "terminal", run.describe()
    # One connection: no payload ended the stream early or looked like a second event.
    assert run.opens == 1, run.describe()
    assert run.events == expected_hostile_events()
