"""Events sent without an `event:` line reach every client as `message`, data intact.

OpenAI's chunks and its `[DONE]` go out so: the spec's `name: null` (and
`name: message`) must produce exactly what sse-starlette sends for them.
"""

from __future__ import annotations

from tests.clients.client_runs import run_client
from tests.clients.payloads import expected_variant_events


def test_unnamed_variants_arrive_as_message_events(server: str, client: str) -> None:
    run = run_client(client, f"{server}/variants", events=["message", "end"], terminal=["end"])

    assert run.done["reason"] == "terminal", run.describe()
    assert run.opens == 1, run.describe()
    assert run.events == expected_variant_events()
