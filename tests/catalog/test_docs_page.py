"""The one-line helper: the app serves the event catalog, and a docs page that shows the events.

The example app with `add_event_catalog(app, ...)`, served by a real uvicorn:
its `/openapi.json` is the catalog merged into FastAPI's own document (3.2.0,
every `$ref` resolving, routes that are not streams kept), and its docs page,
loaded in headless Chromium, shows every event name of every stream.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from openapi_spec_validator import OpenAPIV32SpecValidator, validate
from ssegen.runtime.docs import SCALAR_CDN, add_event_catalog
from ssegen.runtime.docs_page import render_page
from starlette.responses import FileResponse, HTMLResponse

from examples.services import JobsDemo
from generated.jobs import build_router as jobs_router
from tests.catalog.documents import frame_branches, operations, unresolved
from tests.support.server import free_port, serve_in_process, serve_in_thread

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "generated" / "openapi.json"
SCALAR = ROOT / "node_modules" / "@scalar" / "api-reference" / "dist" / "browser" / "standalone.js"
CHROMIUM = os.environ.get("SSEGEN_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    with serve_in_process("tests.catalog.docs_app:app", cwd=ROOT) as url:
        yield url


def _catalog_events() -> set[str]:
    document = json.loads(CATALOG.read_text(encoding="utf-8"))
    return {
        name
        for _, _, operation in operations(document)
        for name in frame_branches(document, operation)
    }


def test_the_app_serves_the_catalog_as_its_openapi_document(base: str) -> None:
    document = httpx.get(f"{base}/openapi.json", timeout=10).json()
    assert document["openapi"] == "3.2.0"
    validate(document, cls=OpenAPIV32SpecValidator)
    assert unresolved(document) == []
    catalog = json.loads(CATALOG.read_text(encoding="utf-8"))
    for path, method, operation in operations(catalog):
        assert document["paths"][path][method] == operation
    # The app's own routes stay as FastAPI describes them (the example's publish endpoints).
    own = {op["operationId"] for _, _, op in operations(document)} - {
        op["operationId"] for _, _, op in operations(catalog)
    }
    assert own, "the example app has routes that are not streams"
    assert document["info"]["title"] == "ssegen example"


def test_a_router_mounted_under_a_prefix_is_matched(tmp_path: Path) -> None:
    app = FastAPI()
    app.include_router(jobs_router(JobsDemo()), prefix="/api/v2")
    add_event_catalog(app, CATALOG, docs_url="/events-docs")
    with serve_in_thread(app) as url:
        document = httpx.get(f"{url}/openapi.json", timeout=10).json()
        page = httpx.get(f"{url}/events-docs", timeout=10)
    assert list(document["paths"]) == ["/api/v2/jobs/{job_id}/events"]
    operation = document["paths"]["/api/v2/jobs/{job_id}/events"]["get"]
    assert list(frame_branches(document, operation)) == ["progress", "log", "completed", "failed"]
    assert unresolved(document) == []
    # Only what this app references: no other package's schemas, no orphaned FastAPI ones.
    assert {name.split(".")[0] for name in document["components"]["schemas"]} == {"jobs", "ssegen"}
    assert page.status_code == 200
    # The events are on the page itself; Scalar is loaded from the local copy, then the CDN.
    assert '<article class="stream" id="stream-job_events">' in page.text
    assert f'"sources": ["/events-docs/standalone.js", "{SCALAR_CDN}"]' in page.text
    assert '"url": "/openapi.json"' in page.text


def test_a_missing_catalog_says_what_to_run(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="run `ssegen build` first"):
        add_event_catalog(FastAPI(), tmp_path / "openapi.json")


def _require_browser() -> None:
    if shutil.which("node") is None:
        pytest.fail("node is not on PATH: install Node.js 20 or later, then run `npm ci`")
    for needed in (SCALAR, ROOT / "node_modules" / "playwright-core" / "package.json"):
        if not needed.is_file():
            pytest.fail(f"{needed} is missing: run `npm ci` in {ROOT}")
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"no Chromium at {CHROMIUM}: `apt-get install -y chromium` or set SSEGEN_CHROMIUM"
        )


def _load_page(
    url: str,
    names: list[str],
    screenshot: Path,
    *,
    ready: str = "OpenAPI 3.2.0",
    first_screen: Path | None = None,
) -> dict[str, Any]:
    _require_browser()
    options = {
        "url": url,
        "names": names,
        "screenshot": str(screenshot),
        "timeoutMs": 60000,
        "ready": ready,
        "firstScreen": str(first_screen) if first_screen else None,
    }
    done = subprocess.run(
        ["node", str(Path(__file__).parent / "node" / "docs_page.mjs"), json.dumps(options)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _overview_expected(document: dict[str, Any]) -> dict[str, set[str]]:
    """Per stream heading (`GET /path`), the event keys the catalog gives it."""
    return {
        f"{method.upper()} {path}": set(frame_branches(document, operation))
        for path, method, operation in operations(document)
    }


def _overview_seen(result: dict[str, Any]) -> dict[str, set[str]]:
    """What the page showed first: per heading, every name in its events' first cells."""
    return {
        stream["heading"]: {word for cell in stream["events"] for word in cell.split()}
        for stream in result["overview"]
    }


def test_the_docs_page_shows_every_event_in_chromium(base: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    screenshot = ARTIFACTS / "docs-page.png"
    first_screen = ARTIFACTS / "docs-page-first-screen.png"
    for old in (screenshot, first_screen):
        old.unlink(missing_ok=True)
    names = sorted(_catalog_events())
    result = _load_page(f"{base}/reference", names, screenshot, first_screen=first_screen)
    assert result["failures"] == []
    # Before any click: every stream with every one of its events, on the page itself.
    document = json.loads(CATALOG.read_text(encoding="utf-8"))
    seen = _overview_seen(result)
    for heading, keys in _overview_expected(document).items():
        assert heading in seen, f"{heading} is not in the events overview"
        assert keys <= seen[heading], f"{heading}: {sorted(keys - seen[heading])} not shown"
    assert "broadcast topic" in result["text"]  # notifications' topics say what they are
    assert result["status"] is None  # the reference loaded: no message left in its place
    assert first_screen.stat().st_size > 10_000
    missing = [name for name, found in result["found"].items() if not found]
    assert missing == [], f"not on the page: {missing}"
    # Scalar read the document as 3.2 and rendered the streams' item schemas.
    assert "OpenAPI 3.2.0" in result["text"]
    assert "Stream item" in result["text"]
    assert screenshot.stat().st_size > 10_000


def test_the_default_catalog_is_found_beside_the_app_from_another_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "project"
    (project / "generated").mkdir(parents=True)
    (project / "generated" / "openapi.json").write_text(
        json.dumps({"openapi": "3.2.0", "info": {"title": "T", "version": "1"}, "paths": {}})
    )
    (project / "service").mkdir()
    app_file = project / "service" / "main.py"
    app_file.write_text(
        "from fastapi import FastAPI\n"
        "from ssegen.runtime.docs import add_event_catalog\n"
        "app = FastAPI()\n"
        "add_event_catalog(app)\n"
    )
    monkeypatch.chdir(tmp_path)  # started from elsewhere
    namespace: dict[str, object] = {"__file__": str(app_file)}
    exec(compile(app_file.read_text(), str(app_file), "exec"), namespace)  # noqa: S102
    app = namespace["app"]
    assert isinstance(app, FastAPI) and app.openapi()["openapi"] == "3.2.0"  # the catalog's
    elsewhere = tmp_path / "elsewhere.py"
    elsewhere.write_text(app_file.read_text())
    with pytest.raises(FileNotFoundError, match="no event catalog found .*run `ssegen build`"):
        exec(compile(elsewhere.read_text(), str(elsewhere), "exec"), {"__file__": str(elsewhere)})  # noqa: S102


def _unreachable_script() -> str:
    """A URL on 127.0.0.1 where nothing listens: a CDN the machine cannot reach."""
    return f"http://127.0.0.1:{free_port()}/standalone.js"


def test_without_its_script_the_page_says_so_and_still_lists_the_events(tmp_path: Path) -> None:
    app = FastAPI()
    app.include_router(jobs_router(JobsDemo()))
    missing = _unreachable_script()
    add_event_catalog(app, CATALOG, script_url=missing, local_fallback=False)
    with serve_in_thread(app) as url:
        result = _load_page(
            f"{url}/reference", [], tmp_path / "page.png", ready="could not be shown"
        )
    assert result["failures"] == []
    assert missing in result["status"] and "npm install @scalar/api-reference" in result["status"]
    seen = _overview_seen(result)
    assert seen["GET /jobs/{job_id}/events"] >= {"progress", "log", "completed", "failed"}


def test_an_unreachable_first_source_falls_back_to_the_local_copy(tmp_path: Path) -> None:
    """The page tries each source in turn: here the 'CDN' is down, the app's own copy works."""
    app = FastAPI()
    app.include_router(jobs_router(JobsDemo()))
    document = json.loads(CATALOG.read_text(encoding="utf-8"))
    app.add_api_route("/standalone.js", lambda: FileResponse(SCALAR, media_type="text/javascript"))
    sources = [_unreachable_script(), "/standalone.js"]
    page = render_page("Jobs", document, sources, {"url": "/catalog.json"})
    app.add_api_route("/page", lambda: HTMLResponse(page))
    app.add_api_route("/catalog.json", lambda: document)
    with serve_in_thread(app) as url:
        result = _load_page(f"{url}/page", ["progress"], tmp_path / "page.png")
    assert result["failures"] == []
    assert result["status"] is None
    assert "OpenAPI 3.2.0" in result["text"]
