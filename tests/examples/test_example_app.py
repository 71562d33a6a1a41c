"""The example app, served by a real uvicorn and read over HTTP.

This is the README's main job: `ssegen build specs/` output, implemented in
examples/, under a real server, read by a spec-conformant client.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.clients.client_runs import run_client
from tests.support.server import serve_in_process
from tests.support.sse import Event, Parser, read_events

ROOT = Path(__file__).resolve().parents[2]
# The demo users of examples/accounts.py: ada is user 7, bob user 8.
ADA = {"Authorization": "Bearer token-ada"}
BOB = {"Authorization": "Bearer token-bob"}


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    with serve_in_process(
        "examples.app:app", cwd=ROOT, env={"EXAMPLE_STEP_SECONDS": "0.01"}
    ) as url:
        yield url


def test_job_progress_resumes_after_a_dropped_connection(base: str) -> None:
    parser = Parser()
    with httpx.stream("GET", f"{base}/jobs/42/events", timeout=10) as response:
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
        assert response.headers["cache-control"] == "no-cache"
        first = read_events(response, limit=4, parser=parser)  # then drop the connection
    assert parser.reconnection_ms == 3000
    assert [e.last_event_id for e in first] == ["1", "2", "3", "4"]
    headers = {"Last-Event-ID": parser.last_event_id}
    with httpx.stream("GET", f"{base}/jobs/42/events", headers=headers, timeout=10) as response:
        rest = read_events(response, parser=parser)
    received = first + rest
    assert [e.type for e in received] == ["progress"] * 10 + ["completed"]
    assert [json.loads(e.data)["percent"] for e in received[:10]] == list(range(10, 101, 10))
    assert [e.last_event_id for e in received] == [str(n) for n in range(1, 12)]
    assert json.loads(received[-1].data) == {"result_url": "/jobs/42/result"}


def test_query_fallback_and_header_precedence(base: str) -> None:
    with httpx.stream("GET", f"{base}/jobs/1/events?last_event_id=9", timeout=10) as response:
        assert [e.last_event_id for e in read_events(response)] == ["10", "11"]
    headers = {"Last-Event-ID": "10"}
    with httpx.stream(
        "GET", f"{base}/jobs/1/events?last_event_id=2", headers=headers, timeout=10
    ) as response:
        assert [e.type for e in read_events(response)] == ["completed"]


def test_bad_resume_position_and_handler_errors_are_real_http_errors(base: str) -> None:
    bad = httpx.get(f"{base}/jobs/1/events", headers={"Last-Event-ID": "abc"}, timeout=10)
    assert bad.status_code == 400
    assert bad.headers["content-type"] == "application/problem+json"
    assert bad.json()["status"] == 400
    missing = httpx.get(f"{base}/jobs/missing/events", timeout=10)
    assert missing.status_code == 404
    assert missing.json()["detail"] == "no such job"


@pytest.mark.parametrize("cursor", ["\u00b2", "1" * 5000, "\uff11", "+1", "-1", "1" * 19])
@pytest.mark.parametrize("where", ["header", "from", "cursor"])
def test_a_log_cursor_that_is_not_a_record_number_is_a_400_problem(
    base: str, where: str, cursor: str
) -> None:
    url = f"{base}/services/api/logs"
    if where == "header":
        reply = httpx.get(url, headers=[(b"Last-Event-ID", cursor.encode())], timeout=10)
    else:
        reply = httpx.get(url, params={where: cursor}, timeout=10)
    assert reply.status_code == 400
    assert reply.headers["content-type"] == "application/problem+json"
    assert reply.json()["status"] == 400


def test_chat_completion_streams_chunks_then_the_done_sentinel(base: str) -> None:
    body = {
        "model": "small-chat-1",
        "messages": [{"role": "user", "content": "hello streaming world"}],
    }
    with httpx.stream(
        "POST", f"{base}/v1/chat/completions", json=body, headers=ADA, timeout=10
    ) as response:
        assert response.status_code == 200
        events = read_events(response)
    assert [e.type for e in events] == ["chunk", "chunk", "chunk", "usage", "done"]
    assert "".join(json.loads(e.data)["delta"] for e in events[:3]) == "hello streaming world"
    assert events[-1].data == "[DONE]"
    # An optional field left as None is absent on the wire, as the published schema says.
    assert "finish_reason" not in json.loads(events[0].data)
    assert json.loads(events[2].data)["finish_reason"] == "stop"
    assert all(e.last_event_id == "" for e in events)  # not resumable: no ids
    invalid = httpx.post(
        f"{base}/v1/chat/completions",
        json={"model": "m", "messages": []},
        headers=ADA,
        timeout=10,
    )
    assert invalid.status_code == 422
    missing = httpx.post(
        f"{base}/v1/chat/completions",
        json={"model": "missing-model", "messages": [{"role": "user", "content": "x"}]},
        headers=ADA,
        timeout=10,
    )
    assert missing.status_code == 404


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer stolen"}], ids=["none", "bad"])
def test_the_secured_chat_stream_refuses_callers_without_a_valid_key(
    base: str, headers: dict[str, str]
) -> None:
    body = {"model": "small-chat-1", "messages": [{"role": "user", "content": "hi"}]}
    with httpx.stream(
        "POST", f"{base}/v1/chat/completions", json=body, headers=headers, timeout=10
    ) as response:
        response.read()
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 401


def test_log_tail_sends_multi_line_records_and_resumes_at_the_handler_cursor(base: str) -> None:
    url = f"{base}/services/api/logs?level=info"
    with httpx.stream(
        "GET", url, headers={"X-Tenant": "acme", "Last-Event-ID": "5"}, timeout=10
    ) as response:
        events = read_events(response, limit=3)
    assert [e.last_event_id for e in events] == ["6", "7", "8"]
    assert events[0].data == "INFO [acme] api: request 6 ok"
    assert events[1].data.splitlines() == [
        "ERROR request 7 failed",
        "Traceback (most recent call last):",
        '  File "app.py", line 7',
    ]
    with httpx.stream("GET", f"{base}/services/api/logs?cursor=23", timeout=10) as response:
        events = read_events(response, limit=2)
    assert [(e.type, e.last_event_id) for e in events] == [("line", "24"), ("rotated", "25")]
    assert httpx.get(f"{base}/services/API/logs", timeout=10).status_code == 422  # path pattern


def test_notifications_reach_subscribers_and_replay_after_reconnect(base: str) -> None:
    url = f"{base}/users/7/notifications"  # ada's own: the topic is secured
    received: list[Event] = []
    connected = threading.Event()

    def subscribe() -> None:
        with httpx.stream("GET", url, headers=ADA, timeout=10) as response:
            connected.set()
            received.extend(read_events(response, limit=2))

    reader = threading.Thread(target=subscribe)
    reader.start()
    # The topic route subscribes before it answers: once the response has
    # started, nothing published from now on can be missed.
    assert connected.wait(10)
    for n in (1, 2):
        note = {"id": f"n{n}", "kind": "mention", "title": f"note {n}"}
        assert httpx.post(url, json=note, timeout=10).status_code == 202
    reader.join(10)
    assert [json.loads(e.data)["id"] for e in received] == ["n1", "n2"]
    first_id = received[0].last_event_id
    with httpx.stream(
        "GET", url, headers={**ADA, "Last-Event-ID": first_id}, timeout=10
    ) as response:
        replay = read_events(response, limit=1)
    assert [json.loads(e.data)["id"] for e in replay] == ["n2"]
    assert replay[0].last_event_id == received[1].last_event_id


def test_a_users_notifications_are_refused_to_other_callers(base: str) -> None:
    url = f"{base}/users/7/notifications"
    foreign = httpx.get(url, headers=BOB, timeout=10)  # bob is user 8
    assert foreign.status_code == 403
    assert foreign.headers["content-type"] == "application/problem+json"
    anonymous = httpx.get(url, timeout=10)
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"] == 'Bearer, APIKey in="cookie", name="session"'
    # A browser's EventSource sends no Authorization header, but it sends the session cookie.
    note = {"id": "cookie", "kind": "system", "title": "retained"}
    assert httpx.post(url, json=note, timeout=10).status_code == 202
    cookies = {"session": "session-ada"}
    with httpx.stream("GET", url, cookies=cookies, timeout=10) as response:
        assert response.status_code == 200
        retained = read_events(response, limit=1)
    assert retained[0].type == "notification"


def test_a_browser_eventsource_reads_its_users_topic_with_the_session_cookie(base: str) -> None:
    """Headless Chromium's EventSource: no Authorization header, but the session cookie."""
    note = {"id": "browser", "kind": "system", "title": "for the browser"}
    url = f"{base}/users/7/notifications"
    assert httpx.post(url, json=note, timeout=10).status_code == 202  # retained for replay
    run = run_client(
        "chromium",
        url,
        events=["notification"],
        terminal=["notification"],
        cookies={"session": "session-ada"},
    )
    assert run.done["reason"] == "terminal", run.describe()
    assert run.events[0][0] == "notification"
    # Without the cookie the browser is refused (401) and never sees an event.
    refused = run_client("chromium", url, events=["notification"], timeout=10, linger=0.5)
    assert refused.events == [] and refused.done["reason"] == "closed", refused.describe()


def test_a_reconnect_after_the_terminal_event_gets_204(base: str) -> None:
    with httpx.stream("GET", f"{base}/jobs/5/events", timeout=10) as response:
        events = read_events(response)
    assert events[-1].type == "completed"
    again = httpx.get(
        f"{base}/jobs/5/events", headers={"Last-Event-ID": events[-1].last_event_id}, timeout=10
    )
    assert again.status_code == 204  # EventSource stops for good
