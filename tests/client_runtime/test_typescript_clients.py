"""The generated TypeScript clients: `tsc --strict` clean, and reading by the contract.

`generated/typescript/*.ts` is compiled once (strict) into a temporary folder;
`node/read_stream.mjs` reads a stream with it in Node or in headless
Chromium (the compiled module loaded into a page of the server's origin),
through the same connection-cutting proxy as the Python clients' tests.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.client_runtime.conftest import ADA, CutEvery, Served
from tests.client_runtime.test_decoder_vectors import ALL_VECTORS
from tests.clients.client_runs import require_client
from tests.support.generated import REPO

TYPESCRIPT = REPO / "generated" / "typescript"
READER = Path(__file__).parent / "node" / "read_stream.mjs"
TSC = REPO / "node_modules" / "typescript" / "bin" / "tsc"
# Node >= 20 and browsers: ES2022 with the DOM's fetch, streams and AbortSignal.
TSC_FLAGS = [
    "--strict",
    "--target",
    "es2022",
    "--module",
    "es2022",
    "--moduleResolution",
    "bundler",
    "--lib",
    "es2022,dom,dom.iterable",
    "--skipLibCheck",
    "--noEmitOnError",
]


def tsc(*arguments: str) -> subprocess.CompletedProcess[str]:
    if shutil.which("node") is None or not TSC.is_file():
        pytest.fail("the TypeScript tests need node and `npm ci` (typescript)")
    return subprocess.run(
        ["node", str(TSC), *TSC_FLAGS, *arguments],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("ts-clients")
    result = tsc("--outDir", str(out), *map(str, sorted(TYPESCRIPT.glob("*.ts"))))
    assert result.returncode == 0, result.stdout + result.stderr
    return out


def read(
    compiled: Path,
    package: str,
    function: str,
    base_url: str,
    params: dict[str, Any],
    *,
    options: dict[str, Any] | None = None,
    limit: int = 0,
    browser: bool = False,
    header_calls: bool = False,
    until: str | None = None,
) -> list[dict[str, Any]]:
    """The lines the reader printed; it stops after `limit` events, or at the event whose
    `data.id` is `until` (for topics, which do not end)."""
    if browser:
        require_client("chromium")
    job = {
        "module": str(compiled / f"{package}.js"),
        "function": function,
        "baseUrl": base_url,
        "params": params,
        "options": {"reconnectDelayMs": 0, **(options or {})},
        "limit": limit,
        "browser": browser,
        "headerCalls": header_calls,
        "until": until,
    }
    done = subprocess.run(
        ["node", str(READER), json.dumps(job)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    assert done.returncode == 0 and lines, done.stdout + done.stderr
    return lines


def events(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [line["event"] for line in lines if "event" in line]


CONSUMER = """
import {{ jobEvents, type JobEventsEvent }} from "{module}";

export async function consume(baseUrl: string): Promise<number> {{
  let percent = 0;
  for await (const event of jobEvents(baseUrl, {{ job_id: "1", verbose: true }})) {{
    switch (event.event) {{
      case "progress":
        percent = event.data.percent;
        break;
      case "log":
        console.log(event.data.toUpperCase());
        break;
      {completed}
      default: {{
        const never: never = event;
        throw new Error(String(never));
      }}
    }}
  }}
  return percent;
}}
export type All = JobEventsEvent;
"""


def _consumer(tmp_path: Path, completed: str) -> subprocess.CompletedProcess[str]:
    source = tmp_path / "consumer.ts"
    module = str(TYPESCRIPT / "jobs.ts").removesuffix(".ts")
    source.write_text(CONSUMER.format(module=module, completed=completed))
    return tsc("--noEmit", "--allowImportingTsExtensions", str(source))


def test_a_consumer_that_handles_every_event_compiles_strictly(tmp_path: Path) -> None:
    result = _consumer(tmp_path, 'case "completed":\n        return percent;')
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_consumer_missing_one_event_fails_to_compile(tmp_path: Path) -> None:
    result = _consumer(tmp_path, "")
    assert result.returncode != 0
    assert "is not assignable to type 'never'" in result.stdout, result.stdout


@pytest.fixture(params=["node", "chromium"])
def where(request: pytest.FixtureRequest) -> Iterator[bool]:
    yield request.param == "chromium"


def test_a_resumable_stream_reads_to_its_end_through_cuts(
    compiled: Path, served: Served, cut: CutEvery, where: bool
) -> None:
    params = {"job_id": f"ts{int(where)}", "verbose": True}
    whole = events(read(compiled, "jobs", "jobEvents", served.url, params, browser=where))
    cut.budget = 131
    before = cut.cuts
    lines = read(
        compiled, "jobs", "jobEvents", served.url, params, browser=where, header_calls=True
    )
    assert events(lines) == whole
    assert [e["event"] for e in whole].count("progress") == 10 and whole[-1]["event"] == "completed"
    assert [e["id"] for e in whole] == [str(n) for n in range(1, 22)]  # ids 1..N, once each
    assert cut.cuts > before
    assert lines[-1]["done"] and lines[-1]["headerCalls"] > 1  # called for every connection


def test_a_post_without_resume_is_never_sent_again(
    compiled: Path, served: Served, cut: CutEvery
) -> None:
    params = {
        "body": {"model": "small-chat-1", "messages": [{"role": "user", "content": "a b c d e"}]}
    }
    options = {"headers": ADA}
    ok = read(compiled, "chat", "chatCompletion", served.url, params, options=options)
    assert [e["event"] for e in events(ok)][-1] == "done"
    path = "/v1/chat/completions"
    sent = len(served.requests(path))
    cut.budget = 80
    lines = read(compiled, "chat", "chatCompletion", served.url, params, options=options)
    assert lines[-1]["error"] == "StreamInterrupted"
    assert len(served.requests(path)) == sent + 1


def test_refusals_and_the_error_event_are_thrown(compiled: Path, served: Served) -> None:
    body = {"model": "m", "messages": [{"role": "user", "content": "x"}]}
    refused = read(compiled, "chat", "chatCompletion", served.url, {"body": body})
    assert refused[-1]["error"] == "StatusError" and refused[-1]["status"] == 401
    failing = {
        "model": "fail-midway",
        "max_tokens": 20,
        "messages": [{"role": "user", "content": "hi"}],
    }
    lines = read(
        compiled,
        "anthropic_messages",
        "createMessage",
        served.url,
        {"body": failing, "x-api-key": "sk-ant-1"},
    )
    assert lines[-1]["error"] == "ErrorEventError"
    assert lines[-1]["event"]["event"] == "error"
    assert lines[-1]["event"]["data"]["error"]["type"] == "api_error"


def test_variants_without_event_names_are_told_apart(compiled: Path, served: Served) -> None:
    body = {
        "model": "small-chat-1",
        "stream": True,
        "messages": [{"role": "user", "content": "a b"}],
    }
    lines = read(
        compiled,
        "openai_chat",
        "createChatCompletion",
        served.url,
        {"body": body, "Authorization": "Bearer sk-1"},
    )
    assert [e["event"] for e in events(lines)] == ["chunk"] * 3 + ["done"]
    assert events(lines)[-1]["data"] == "[DONE]"


def test_a_topic_says_missed_and_204_ends_it(compiled: Path, served: Served) -> None:
    import httpx

    for n in range(60):
        assert httpx.post(f"{served.url}/announcements", json={"text": f"t{n}"}).status_code == 202
    lines = read(
        compiled,
        "notifications",
        "announcements",
        served.url,
        {},
        options={"lastEventId": "1"},
        limit=2,
    )
    first = events(lines)[0]
    assert first == {"event": "ssegen.missed", "data": {"last_event_id": "1"}, "id": "1"}
    # User 9 (cy): the Python clients' tests close user 8's instance in this same process.
    assert httpx.post(f"{served.url}/users/9/account/close").status_code == 202
    cy = {"headers": {"Authorization": "Bearer token-cy"}}
    closed = read(
        compiled, "notifications", "userNotifications", served.url, {"user_id": 9}, options=cy
    )
    assert events(closed)[-1]["event"] == "account_closed"
    path = "/users/9/notifications"
    before = len(served.requests(path))
    again = read(
        compiled,
        "notifications",
        "userNotifications",
        served.url,
        {"user_id": 9},
        options={**cy, "lastEventId": closed[-1]["lastEventId"]},
    )
    assert events(again) == [] and again[-1]["done"]
    assert len(served.requests(path)) == before + 1  # 204: no further request


DECODER = Path(__file__).parent / "node" / "decode_vectors.mjs"


@pytest.mark.parametrize("split", [False, True], ids=["whole", "one-byte-at-a-time"])
def test_the_typescript_decoder_passes_the_parsing_vectors(compiled: Path, split: bool) -> None:
    """The web-platform-tests `eventsource/format-*` vectors of test_decoder_vectors.py."""
    cases = [(param.id, param.values[0]) for param in ALL_VECTORS]
    payload = [
        {"connections": [list(c.stream) for c in connections], "split": split}
        for _, connections in cases
    ]
    done = subprocess.run(
        ["node", str(DECODER), str(compiled / "jobs.js"), json.dumps(payload)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)
    for (name, connections), result in zip(cases, results, strict=True):
        expected = [
            {"events": [list(event) for event in c.events], "retry": c.retry} for c in connections
        ]
        assert result == expected, name


def test_a_handler_id_stream_resumes_at_the_ids_it_was_given(
    compiled: Path, served: Served, cut: CutEvery
) -> None:
    cut.budget = 200  # more than its longest event, a three-line record
    lines = read(compiled, "logs", "tail", served.url, {"service": "api", "from": "20"}, limit=12)
    assert [e["id"] for e in events(lines)] == [str(n) for n in range(21, 33)]
    assert events(lines)[4]["event"] == "rotated"


@pytest.mark.parametrize("where", [False, True], ids=["node", "chromium"])
def test_a_secured_topic_replays_through_cuts_exactly_once(
    compiled: Path, served: Served, cut: CutEvery, where: bool
) -> None:
    import httpx

    mine = [f"ts-{int(where)}-{n}" for n in range(6)]
    for note in mine:
        body = {"id": note, "kind": "system", "title": note}
        assert httpx.post(f"{served.url}/users/7/notifications", json=body).status_code == 202
    cut.budget = 150
    lines = read(
        compiled,
        "notifications",
        "userNotifications",
        served.url,
        {"user_id": 7},
        options={"headers": ADA},
        browser=where,
        limit=0,
        until=mine[-1],
    )
    received = events(lines)
    ids = [int(e["id"]) for e in received]
    assert ids == sorted(set(ids))  # in order, none twice, across reconnects
    assert [e["data"]["id"] for e in received if e["data"]["id"] in mine] == mine
