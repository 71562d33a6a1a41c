"""`[tool.ssegen]` in pyproject.toml: read by every command, overridden by its arguments."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from ssegen.cli import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copy(ROOT / "specs" / "jobs.yaml", tmp_path / "jobs.yaml")
    (tmp_path / "contracts").mkdir()
    shutil.move(tmp_path / "jobs.yaml", tmp_path / "contracts" / "jobs.yaml")
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "demo"\n\n[tool.ssegen]\nspecs = ["contracts"]\nout = "gen"\n'
        'openapi-3_1 = true\n\n[tool.ssegen.diff.rules]\nevent-added = "breaking"\n'
    )
    (tmp_path / "app").mkdir()
    monkeypatch.chdir(tmp_path / "app")  # found from a subfolder; its paths are the file's
    return tmp_path


def test_build_and_check_take_paths_and_flags_from_it(project: Path) -> None:
    assert main(["build"]) == 0
    assert (project / "gen" / "jobs" / "router.py").is_file()
    assert (project / "gen" / "openapi-3.1.json").is_file()
    assert main(["check"]) == 0
    # An argument overrides it: a fresh folder is stale, whatever the file says.
    assert main(["check", "-o", str(project / "elsewhere")]) == 1


def test_diff_takes_the_rule_levels_and_an_argument_overrides_them(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = project / "old"
    shutil.copytree(project / "contracts", old)
    spec = project / "contracts" / "jobs.yaml"
    spec.write_text(spec.read_text().replace("    events:\n", "    events:\n      ping: {}\n", 1))
    assert main(["diff", str(old), str(project / "contracts")]) == 1  # raised by the file
    assert ": breaking: [event-added]" in capsys.readouterr().out
    assert main(["diff", str(old), str(project / "contracts"), "--rule", "event-added=info"]) == 0


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('specz = ["x"]', "unknown key tool.ssegen.specz (did you mean 'specs'?)"),
        ("out = 3", "tool.ssegen.out must be a path"),
        ('openapi-3_1 = "yes"', "tool.ssegen.openapi-3_1 must be true or false"),
        (
            "[tool.ssegen.diff]\nrulez = {}",
            "unknown key tool.ssegen.diff.rulez (did you mean 'rules'?)",
        ),
    ],
)
def test_a_bad_table_is_a_usage_error(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    table: str,
    message: str,
) -> None:
    (tmp_path / "pyproject.toml").write_text(f"[tool.ssegen]\n{table}\n")
    monkeypatch.chdir(tmp_path)
    assert main(["check"]) == 2
    assert message in capsys.readouterr().err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.startswith("ssegen 0.")


def test_a_missing_specs_folder_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    for command in ("build", "check", "serve"):
        assert main([command]) == 2
        assert "no such file or folder: specs" in capsys.readouterr().err
