"""`ssegen serve`: the mock a front-end developer points EventSource at.

The real CLI in a child process serves the example specs and a spec made for
these tests; real clients read it over HTTP: Chromium's own EventSource and a
Python client written from the WHATWG algorithm (tests/clients).
"""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from openapi_spec_validator import OpenAPIV32SpecValidator, validate
from ssegen.pipeline import build_files

from tests.clients.client_runs import Record, run_client
from tests.support.server import free_port, stop_process, wait_for_port
from tests.support.sse import Event, read_events

ROOT = Path(__file__).resolve().parents[2]
SPECS = ["specs", "tests/catalog/specs"]
SCALAR = "node_modules/@scalar/api-reference/dist/browser/standalone.js"
INTERVAL = 0.2  # seconds between mock events; four times the test spec's keepalive


@dataclass(frozen=True)
class Served:
    base: str
    banner: list[str]  # what `ssegen serve` printed before it started listening


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    port = free_port()
    command = [sys.executable, "-m", "ssegen", "serve", *SPECS, "--port", str(port)]
    command += ["--interval", str(INTERVAL), "--scalar-script", SCALAR]
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    lines: queue.Queue[str] = queue.Queue()
    assert proc.stdout is not None
    stdout = proc.stdout

    def forward() -> None:
        for line in stdout:
            lines.put(line)

    threading.Thread(target=forward, daemon=True).start()
    try:
        banner: list[str] = []
        while not banner or "docs at" not in banner[-1]:
            banner.append(lines.get(timeout=60).rstrip("\n"))
        wait_for_port(port)
        yield Served(f"http://127.0.0.1:{port}", banner)
    finally:
        stop_process(proc)


def _get(
    url: str, *, limit: int | None = None, last_event_id: str | None = None
) -> tuple[int, list[Event]]:
    headers = {"Last-Event-ID": last_event_id} if last_event_id is not None else {}
    with httpx.stream("GET", url, headers=headers, timeout=20) as response:
        if response.status_code != 200:
            return response.status_code, []
        return 200, read_events(response, limit)


def _summary(events: list[Event]) -> list[tuple[str, str, str]]:
    return [(e.type, e.data, e.last_event_id) for e in events]


TASK = [
    ("queued", '{"position":1}', "1"),  # no example: synthesized from the schema
    ("progress", '{"percent":50}', "2"),
    ("progress", '{"percent":100}', "3"),
    ("note", "line one\nline two", "4"),
]


def test_the_banner_lists_every_stream_and_what_cannot_be_sent(served: Served) -> None:
    assert f"GET    {served.base}/tasks/{{task_id}}  (tasks)" in served.banner
    assert f"POST   {served.base}/v1/chat/completions  (chat_completion)" in served.banner
    # `digest` has no example and its pattern rules out a synthesized string.
    assert "not sent (no example, no valid sample): tasks: digest" in served.banner
    assert served.banner[-1] == f"ssegen: mock of 10 streams; docs at {served.base}/docs"
    # A typed client per package, pointed at the mock.
    assert (
        "client jobs: from generated.jobs.client import JobsClient; "
        f'async with JobsClient("{served.base}") as client: '
        "async for event in client.job_events(job_id=...): ..."
    ) in served.banner


@pytest.mark.parametrize("client", ["chromium", "python"])
def test_eventsource_sees_the_events_then_stops_on_204(served: Served, client: str) -> None:
    names = ["queued", "progress", "note", "digest", "done", "failed"]
    run = run_client(client, f"{served.base}/tasks/{client}", events=names, timeout=20, linger=1)
    assert [(t, d) for t, d, _ in _summary_of(run.records)] == [(t, d) for t, d, _ in TASK] + [
        ("done", "")
    ], run.describe()
    assert run.last_event_ids == ["1", "2", "3", "4", "5"], run.describe()
    # After `done` the stream ends; EventSource reconnects with Last-Event-ID 5, gets 204, stops.
    assert run.done["reason"] == "closed", run.describe()
    assert run.opens == 1, run.describe()


def _summary_of(records: list[Record]) -> list[tuple[str, str, str]]:
    return [(r["type"], r["data"], r["lastEventId"]) for r in records if r["kind"] == "event"]


def test_each_new_connection_ends_with_the_next_terminal_event(served: Served) -> None:
    endings = [_get(f"{served.base}/tasks/endings")[1][-1] for _ in range(3)]
    assert _summary(endings) == [
        ("done", "", "5"),
        ("failed", '{"title":"boom"}', "5"),
        ("done", "", "5"),
    ]


def test_resume_continues_after_the_last_event_id(served: Served) -> None:
    url = f"{served.base}/tasks/resume"
    assert _summary(_get(url, last_event_id="3")[1]) == [TASK[3], ("done", "", "5")]
    assert _summary(_get(f"{url}?after=4")[1]) == [("done", "", "5")]
    assert _get(url, last_event_id="5")[0] == 204
    bad = httpx.get(url, headers={"Last-Event-ID": "five"}, timeout=10)
    assert bad.status_code == 400
    assert bad.headers["content-type"] == "application/problem+json"


def test_retry_and_keepalive_are_on_the_wire(served: Served) -> None:
    with httpx.stream("GET", f"{served.base}/tasks/wire", timeout=20) as response:
        body = response.read().decode()
    assert body.startswith("retry: 50\n")
    between = body.split("\n\n")[1:-2]  # after each of the first events, before the next one
    assert between and all(block.startswith(":\n") for block in between), body


def test_a_stream_without_terminal_event_repeats_with_its_own_ids(served: Served) -> None:
    status, events = _get(f"{served.base}/ticker", limit=5)
    assert status == 200
    assert _summary(events) == [("tick", d, str(i)) for i, d in enumerate("ababa", start=1)]
    _, resumed = _get(f"{served.base}/ticker", limit=2, last_event_id="5")
    assert _summary(resumed) == [("tick", "b", "6"), ("tick", "a", "7")]


def test_a_topic_gets_a_publisher_for_each_instance_subscribed_to(served: Served) -> None:
    status, live = _get(f"{served.base}/feeds/3")
    assert status == 200
    assert [(e.type, e.data) for e in live] == [
        ("item", '{"n":1}'),
        ("item", '{"n":2}'),
        ("closed", ""),
    ]
    ids = [int(e.last_event_id) for e in live]
    assert ids == [ids[0], ids[0] + 1, ids[0] + 2]
    # A later subscriber replays the retained events; one at the end gets 204.
    assert _get(f"{served.base}/feeds/3")[1] == live
    assert _get(f"{served.base}/feeds/3", last_event_id=str(ids[-1]))[0] == 204


def test_the_example_specs_are_served(served: Served) -> None:
    _, jobs = _get(f"{served.base}/jobs/42/events")
    assert [e.type for e in jobs] == ["progress", "log", "completed"]
    body = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
    # A secured stream: the mock needs credentials, and accepts any.
    assert (
        httpx.post(f"{served.base}/v1/chat/completions", json=body, timeout=20).status_code == 401
    )
    with httpx.stream(
        "POST",
        f"{served.base}/v1/chat/completions",
        json=body,
        headers={"Authorization": "Bearer anything"},
        timeout=20,
    ) as response:
        chat = read_events(response)
    assert [e.type for e in chat] == ["chunk", "chunk", "usage", "done"]
    assert chat[-1].data == "[DONE]"
    # A stream with a JSON answer: the mock answers it from the answer's schema.
    answer = httpx.post(f"{served.base}/openai/v1/chat/completions", json=body, timeout=20)
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"
    assert answer.json()["object"] == "chat.completion"


def test_the_docs_page_and_the_catalog(served: Served) -> None:
    root = httpx.get(served.base, timeout=10)
    assert root.status_code == 307 and root.headers["location"] == "/docs"
    page = httpx.get(f"{served.base}/docs", timeout=10)
    assert '"sources": ["/docs/standalone.js"]' in page.text
    assert 'class="stream"' in page.text  # the events are listed on the page itself
    script = httpx.get(f"{served.base}/docs/standalone.js", timeout=10)
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    document = httpx.get(f"{served.base}/openapi.json", timeout=10).json()
    validate(document, cls=OpenAPIV32SpecValidator)
    built = json.loads(build_files([ROOT / folder for folder in SPECS])["openapi.json"])
    assert document["paths"] == built["paths"]
    assert document["components"] == built["components"]


def test_a_front_end_on_another_origin_may_read_it(served: Served) -> None:
    headers = {"Origin": "http://localhost:5173", "Last-Event-ID": "4"}
    with httpx.stream("GET", f"{served.base}/tasks/cors", headers=headers, timeout=20) as response:
        assert response.headers["access-control-allow-origin"] == "*"
    preflight = httpx.options(
        f"{served.base}/v1/chat/completions",
        headers={
            "Origin": "http://localhost:5173",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, last-event-id",
        },
        timeout=10,
    )
    assert preflight.status_code == 200
