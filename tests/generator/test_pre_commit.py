"""The pre-commit hooks (`.pre-commit-hooks.yaml`), run as a user's repository runs them.

`pre-commit try-repo` installs this repository's committed HEAD into a fresh
environment and runs `ssegen-check` in a throwaway git repository: it passes
when generated/ is fresh and fails when a spec changed without a rebuild.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.git import git

ROOT = Path(__file__).resolve().parents[2]


def _try_repo(repo: Path, home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), "ssegen-check", "--all-files"],
        cwd=repo,
        env={**os.environ, "PRE_COMMIT_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def test_the_manifest_is_valid() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pre_commit",
            "validate-manifest",
            str(ROOT / ".pre-commit-hooks.yaml"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_ssegen_check_passes_fresh_and_fails_stale(tmp_path: Path) -> None:
    if shutil.which("git") is None:
        pytest.fail("the pre-commit test needs git")
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    shutil.copytree(ROOT / "specs", repo / "specs")
    shutil.copytree(ROOT / "generated", repo / "generated")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "fresh")
    fresh = _try_repo(repo, tmp_path / "home")
    assert fresh.returncode == 0, fresh.stdout + fresh.stderr
    assert "Passed" in fresh.stdout
    spec = repo / "specs" / "jobs.yaml"
    spec.write_text(spec.read_text().replace("Lifecycle events of one job", "Edited"))
    git(repo, "commit", "-q", "-am", "stale")
    stale = _try_repo(repo, tmp_path / "home")
    assert stale.returncode == 1
    assert "is stale: run `ssegen build`" in stale.stdout, stale.stdout
