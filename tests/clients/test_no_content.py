"""HTTP 204 tells every client to stop: readyState CLOSED and no further requests."""

from __future__ import annotations

from tests.clients.client_runs import REPORTS_STATUS, run_client
from tests.clients.payloads import Tick
from tests.clients.stream_requests import fresh_key, resume_headers, stream_url

CLOSED = 2
# Ten times the stream's `retry:`: room for the reconnect a client must not make.
LINGER = 0.5


def test_204_on_the_first_request_closes_the_client(server: str, client: str) -> None:
    key = fresh_key()
    # No events at all: the handler has nothing to send.
    url = stream_url(server, "numbers", key, total=0, end="false")

    run = run_client(client, url, events=["tick", "end", "message"], linger=LINGER)

    assert run.done["reason"] == "closed", run.describe()
    assert run.done["readyState"] == CLOSED, run.describe()
    assert run.failure_status == (204 if client in REPORTS_STATUS else None), run.describe()
    assert run.opens == 0 and run.events == [], run.describe()
    assert resume_headers(server, f"/numbers/{key}") == [None]


def test_204_on_a_reconnect_closes_the_client(server: str, client: str) -> None:
    key = fresh_key()
    # Three events, a clean end without a terminal event, then nothing left: 204.
    url = stream_url(server, "numbers", key, total=3, end="false")

    run = run_client(client, url, events=["tick", "end", "message"], linger=LINGER)

    assert run.done["reason"] == "closed", run.describe()
    assert run.done["readyState"] == CLOSED, run.describe()
    assert run.failure_status == (204 if client in REPORTS_STATUS else None), run.describe()
    assert run.events == [("tick", Tick(n=n).model_dump_json()) for n in (1, 2, 3)]
    assert resume_headers(server, f"/numbers/{key}") == [None, "3"]
