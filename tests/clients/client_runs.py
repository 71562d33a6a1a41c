"""Run one real client against a stream URL and collect what it reported.

Every client reports the same records (see node/report.mjs): the node clients
print them as JSON lines, the Python client yields them. A client that cannot
run (no node_modules, no Chromium) fails the test with the command that fixes
it: a conformance suite that skips proves nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.clients.sse_client import EventSource

REPO = Path(__file__).resolve().parents[2]
NODE_DIR = Path(__file__).resolve().parent / "node"
CHROMIUM = os.environ.get("SSEGEN_CHROMIUM", "/usr/bin/chromium")

NODE_CLIENTS = {
    "chromium": "chromium_client.mjs",
    "eventsource": "eventsource_client.mjs",
    "eventsource-parser": "parser_client.mjs",
}
CLIENTS = (*NODE_CLIENTS, "python")
# A browser's EventSource hides why a connection failed; the others report the status.
REPORTS_STATUS = {"eventsource", "eventsource-parser", "python"}

# The exact majors the conformance suite is written for (package.json pins them).
NODE_PACKAGES = {"eventsource": "5.", "eventsource-parser": "4.", "playwright-core": "1."}

Record = dict[str, Any]


@dataclass(frozen=True, slots=True)
class ClientRun:
    client: str
    records: list[Record]

    @property
    def events(self) -> list[tuple[str, str]]:
        return [(r["type"], r["data"]) for r in self.records if r["kind"] == "event"]

    @property
    def last_event_ids(self) -> list[str]:
        return [r["lastEventId"] for r in self.records if r["kind"] == "event"]

    @property
    def opens(self) -> int:
        return sum(1 for r in self.records if r["kind"] == "open")

    @property
    def failure_status(self) -> int | None:
        """The HTTP status that failed the connection for good, where the client tells it."""
        failures = [r for r in self.records if r["kind"] == "error" and r["readyState"] == 2]
        status: int | None = failures[-1]["status"] if failures else None
        return status

    @property
    def done(self) -> Record:
        return self.records[-1]

    def describe(self) -> str:
        return f"{self.client} reported:\n" + "\n".join(json.dumps(r) for r in self.records)


def require_client(client: str) -> None:
    if client in NODE_CLIENTS:
        if shutil.which("node") is None:
            pytest.fail("node is not on PATH: install Node.js 20 or later, then run `npm ci`")
        for package, major in NODE_PACKAGES.items():
            manifest = REPO / "node_modules" / package / "package.json"
            version = json.loads(manifest.read_text())["version"] if manifest.exists() else None
            if version is None or not version.startswith(major):
                pytest.fail(
                    f"node_modules/{package} {major}x is missing (found {version}): "
                    f"run `npm ci` in {REPO}"
                )
    if client == "chromium" and not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"no Chromium at {CHROMIUM}: install Debian's package "
            "(`apt-get install -y chromium`) or set SSEGEN_CHROMIUM"
        )


def run_client(
    client: str,
    url: str,
    *,
    events: Sequence[str],
    terminal: Sequence[str] = (),
    timeout: float = 20.0,
    linger: float = 0.0,
    cookies: Mapping[str, str] | None = None,
) -> ClientRun:
    """Let `client` read `url` until a `terminal` event, a failed connection or `timeout`.

    `linger` keeps a failed EventSource open that long, so that a reconnect it
    should not make would reach the server. `cookies` are set for the URL's
    origin first (Chromium only: the page's session cookie, which EventSource sends).
    """
    if cookies and client != "chromium":
        raise ValueError("cookies: only the chromium client has a cookie jar here")
    require_client(client)
    if client == "python":
        source = EventSource(url, terminal=terminal, timeout=timeout)
        records = [r for r in source.records() if r["kind"] != "event" or r["type"] in events]
        return ClientRun(client, records)
    options = {
        "url": url,
        "events": list(events),
        "terminal": list(terminal),
        "timeoutMs": int(timeout * 1000),
        "lingerMs": int(linger * 1000),
        "cookies": dict(cookies or {}),
    }
    script = NODE_DIR / NODE_CLIENTS[client]
    try:
        done = subprocess.run(
            ["node", str(script), json.dumps(options)],
            cwd=REPO,
            capture_output=True,
            timeout=timeout + 60,
            check=False,
        )
    except subprocess.TimeoutExpired as expired:
        pytest.fail(f"{client} did not finish in {timeout + 60}s; stderr: {expired.stderr!r}")
    stdout = done.stdout.decode("utf-8", errors="replace")
    # Split on LF only: JSON.stringify leaves U+2028 and U+0085 raw, which
    # str.splitlines() would take for line ends.
    records = [json.loads(line) for line in stdout.split("\n") if line.strip()]
    if done.returncode != 0 or not records or records[-1]["kind"] != "done":
        stderr = done.stderr.decode("utf-8", errors="replace")
        pytest.fail(f"{client} exited with {done.returncode}\nstdout:\n{stdout}\nstderr:\n{stderr}")
    return ClientRun(client, records)
