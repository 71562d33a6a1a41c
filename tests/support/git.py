"""Throwaway git repositories for the tests of `ssegen diff --against` and the pre-commit hooks."""

from __future__ import annotations

import subprocess
from pathlib import Path


def git(repo: Path, *arguments: str) -> None:
    """Run git in `repo` with a fixed author, failing the test on an error."""
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *arguments],
        cwd=repo,
        check=True,
        capture_output=True,
    )
