"""Generated code is `mypy --strict` and `ruff` clean, and its types bite.

mypy must reject an implementation that yields an event of another stream,
which is the point of a typed contract.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _mypy(*targets: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--cache-dir",
            os.devnull,
            "--config-file",
            str(ROOT / "pyproject.toml"),
            *targets,
        ],
        cwd=cwd,
        check=False,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_generated_and_example_code_pass_mypy_strict() -> None:
    result = _mypy("generated/", "examples/")
    assert result.returncode == 0, result.stdout + result.stderr


def test_generated_code_passes_ruff() -> None:
    """generated/ and every golden case's output."""
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "generated/", "tests/generator/golden/"],
        cwd=ROOT,
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_rejects_an_event_of_another_stream(tmp_path: Path) -> None:
    bad = ROOT / "examples" / "_typing_probe.py"
    bad.write_text(
        textwrap.dedent(
            """
            from collections.abc import AsyncIterator

            from generated.chat import DoneEvent, ChatCompletionEvent
            from generated.jobs import JobEventsEvent, ProgressEvent, ProgressData, JobsService


            class WrongEvent(JobsService):
                async def job_events(
                    self, *, job_id: str, verbose: bool, last_event_id: int | None
                ) -> AsyncIterator[JobEventsEvent]:
                    yield ProgressEvent(data=ProgressData(percent=1))
                    yield DoneEvent()


            class WrongStream(JobsService):
                async def job_events(
                    self, *, job_id: str, verbose: bool, last_event_id: int | None
                ) -> AsyncIterator[ChatCompletionEvent]:
                    yield DoneEvent()
            """
        )
    )
    try:
        result = _mypy(str(bad.relative_to(ROOT)))
    finally:
        bad.unlink()
    out = result.stdout
    assert result.returncode == 1, out
    assert 'Incompatible types in "yield" (actual type "DoneEvent"' in out, out
    assert (
        'Return type "AsyncIterator[ChunkEvent | UsageEvent | DoneEvent | ErrorEvent]" of "job_events" incompatible'
        in out
    ), out


GOLDEN = Path(__file__).parent / "golden"


@pytest.mark.parametrize("case", sorted(p.name for p in GOLDEN.iterdir() if p.is_dir()))
def test_every_golden_tree_passes_mypy_strict(case: str) -> None:
    expected = GOLDEN / case / "expected"
    packages = sorted(p.name for p in expected.iterdir() if (p / "__init__.py").is_file())
    result = _mypy(*(arg for name in packages for arg in ("-p", name)), cwd=expected)
    assert result.returncode == 0, result.stdout + result.stderr


TYPES_SPEC = """\
ssegen: 1
info: {title: Types, version: "1"}
package: kinds
schemas:
  Stage: {type: string, enum: [build, test]}
  Kind: {const: deploy}
streams:
  run:
    method: POST
    path: /run
    body:
      type: object
      required: [stage]
      properties:
        stage: {$ref: '#/schemas/Stage'}
        kind: {$ref: '#/schemas/Kind'}
        env: {type: string, enum: [staging, prod], default: staging}
        dry_run: {type: boolean, default: false}
        note: {type: [string, "null"], default: null}
    events:
      step:
        data:
          type: object
          required: [stage]
          properties:
            stage: {$ref: '#/schemas/Stage'}
            level: {type: integer, default: 1}
"""


def test_enum_refs_take_string_literals_and_defaults_are_not_optional(tmp_path: Path) -> None:
    """Issue 15: `Data(stage="build")` type-checks; `dry_run: bool = False`, not `bool | None`."""
    from ssegen.cli import main

    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "kinds.yaml").write_text(TYPES_SPEC, encoding="utf-8")
    assert main(["build", str(tmp_path / "specs"), "-o", str(tmp_path / "gen")]) == 0
    (tmp_path / "gen" / "__init__.py").touch()
    (tmp_path / "good.py").write_text(
        textwrap.dedent(
            """
            from gen.kinds import RunBody, StepData, StepEvent

            body = RunBody(stage="build", kind="deploy", env="prod")
            dry_run: bool = body.dry_run
            env: str = body.env
            note: str | None = body.note
            event = StepEvent(data=StepData(stage="test"))
            level: int = event.data.level
            """
        ),
        encoding="utf-8",
    )
    (tmp_path / "bad.py").write_text(
        textwrap.dedent(
            """
            from gen.kinds import RunBody

            RunBody(stage="deploy")
            RunBody(stage="build", dry_run=None)
            """
        ),
        encoding="utf-8",
    )
    good = _mypy("good.py", cwd=tmp_path)
    assert good.returncode == 0, good.stdout + good.stderr
    bad = _mypy("bad.py", cwd=tmp_path)
    assert bad.returncode == 1, bad.stdout
    assert 'Argument "stage" to "RunBody" has incompatible type "Literal[\'deploy\']"' in bad.stdout
    assert 'Argument "dry_run" to "RunBody" has incompatible type "None"' in bad.stdout
    models = (tmp_path / "gen" / "kinds" / "models.py").read_text(encoding="utf-8")
    assert "RootModel" not in models
    assert "dry_run: bool = False" in models
