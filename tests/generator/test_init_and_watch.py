"""`ssegen init` scaffolds a project that builds and serves at once; `build --watch` rebuilds."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import jsonschema
import pytest
import yaml
from ssegen.cli import main

from tests.support.server import serve_in_process
from tests.support.sse import read_events
from tests.support.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]


def test_init_builds_and_serves_at_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", str(tmp_path)]) == 0
    written = capsys.readouterr().out
    for name in ("specs/hello.yaml", "app.py", "pyproject.toml", ".github/workflows/ssegen.yml"):
        assert (tmp_path / name).is_file() and f"wrote {tmp_path / name}" in written
    schema = json.loads((tmp_path / "ssegen-spec.schema.json").read_text())
    spec = yaml.safe_load((tmp_path / "specs" / "hello.yaml").read_text())
    jsonschema.Draft7Validator(schema).validate(spec)  # the spec's editor schema accepts it
    build = subprocess.run(
        [sys.executable, "-m", "ssegen", "build"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert build.returncode == 0, build.stderr  # paths from its [tool.ssegen]
    assert (tmp_path / "generated" / "hello" / "router.py").is_file()
    env = {"PYTHONPATH": str(tmp_path)}
    with serve_in_process("app:app", cwd=tmp_path, env=env) as url:
        with httpx.stream("GET", f"{url}/countdown/2", timeout=20) as response:
            events = read_events(response)
        assert [(e.type, e.data) for e in events] == [
            ("tick", '{"left":1}'),
            ("tick", '{"left":0}'),
            ("bye", "Goodbye"),
        ]
        headers = {"Last-Event-ID": events[-1].last_event_id}
        assert httpx.get(f"{url}/countdown/2", headers=headers, timeout=20).status_code == 204
    assert main(["init", str(tmp_path)]) == 2  # never overwrites
    assert "exist already" in capsys.readouterr().err


def test_build_watch_rebuilds_on_save_and_keeps_going_on_errors(tmp_path: Path) -> None:
    (tmp_path / "specs").mkdir()
    spec = tmp_path / "specs" / "jobs.yaml"
    shutil.copy(ROOT / "specs" / "jobs.yaml", spec)
    log = tmp_path / "watch.log"
    with log.open("w") as output:
        watcher = subprocess.Popen(
            [sys.executable, "-m", "ssegen", "build", "--watch", "specs", "-o", "out"],
            cwd=tmp_path,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        page = tmp_path / "out" / "docs" / "jobs.md"
        assert wait_until(page.is_file, patience=60)
        original = spec.read_text()
        spec.write_text(original.replace("Lifecycle events of one job", "Events of a job, edited"))
        assert wait_until(lambda: "Events of a job, edited" in page.read_text(), patience=60)
        spec.write_text(original.replace("keepalive:", "keepalve:", 1))  # a typo while editing
        assert wait_until(lambda: "unknown key 'keepalve'" in log.read_text(), patience=60)
        assert watcher.poll() is None  # still watching
        spec.write_text(original)
        assert wait_until(lambda: "Lifecycle events of one job" in page.read_text(), patience=60)
    finally:
        watcher.terminate()
        watcher.wait(timeout=30)
