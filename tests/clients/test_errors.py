"""A handler that fails mid-stream: every client gets each event it yielded, then `failed`, then a clean end.

`/crashing` leaves the failure to the runtime's default `failed` event;
`/failing` has the service's `failing_error` hook describe it. Neither lets
anything of the exception reach a client (scenarios.SECRET).
"""

from __future__ import annotations

import json

import httpx
import pytest

from tests.clients.client_runs import REPORTS_STATUS, run_client
from tests.clients.payloads import DEFAULT_PROBLEM, Tick, upstream_problem
from tests.clients.scenarios import FAILING_RETRY_AFTER_S, SECRET
from tests.clients.stream_requests import fresh_key, resume_headers, stream_url
from tests.support.sse import Parser

TICKS = 3
CLOSED = 2
# Ten times the streams' `retry:`: room for a reconnect a client must not make.
LINGER = 0.5

EXPECTED_PROBLEMS = {
    "crashing": DEFAULT_PROBLEM,
    "failing": upstream_problem(FAILING_RETRY_AFTER_S),
}


@pytest.mark.parametrize("stream", list(EXPECTED_PROBLEMS))
def test_every_client_gets_the_events_then_the_error_event(
    server: str, client: str, stream: str
) -> None:
    key = fresh_key()
    url = stream_url(server, stream, key, ticks=TICKS)

    # Not told to stop at `failed`: after the end of the response the client
    # reconnects like after any end, and is then told (204) that nothing follows.
    run = run_client(client, url, events=["tick", "failed", "message"], linger=LINGER)

    ticks = [("tick", Tick(n=n).model_dump_json()) for n in range(1, TICKS + 1)]
    assert run.events[:-1] == ticks, run.describe()
    failed_type, failed_data = run.events[-1]
    assert failed_type == "failed", run.describe()
    assert json.loads(failed_data) == EXPECTED_PROBLEMS[stream], run.describe()
    assert run.last_event_ids == [str(n) for n in range(1, TICKS + 2)], run.describe()
    assert SECRET not in run.describe()
    assert run.done["reason"] == "closed", run.describe()
    assert run.done["readyState"] == CLOSED, run.describe()
    assert run.failure_status == (204 if client in REPORTS_STATUS else None), run.describe()
    assert resume_headers(server, f"/{stream}/{key}") == [None, str(TICKS + 1)]


@pytest.mark.parametrize("stream", list(EXPECTED_PROBLEMS))
def test_the_response_ends_cleanly_after_the_error_event(server: str, stream: str) -> None:
    url = stream_url(server, stream, fresh_key(), ticks=TICKS)
    with httpx.stream("GET", url, timeout=20) as response:
        # httpx raises RemoteProtocolError when a chunked body ends without its
        # last chunk: reading it whole proves the server ended it, not cut it.
        body = response.read()
    assert response.status_code == 200
    assert SECRET.encode() not in body
    parser = Parser()
    events = [(r.type, r.data, r.last_event_id) for r in parser.feed(body)]
    ticks = [("tick", Tick(n=n).model_dump_json(), str(n)) for n in range(1, TICKS + 1)]
    assert events[:-1] == ticks, body
    failed_type, failed_data, failed_id = events[-1]
    assert (failed_type, failed_id) == ("failed", str(TICKS + 1)), body
    assert json.loads(failed_data) == EXPECTED_PROBLEMS[stream], body
