"""Test specs built by ssegen's real pipeline into packages the tests import.

The runtime and client conformance apps implement contracts that ssegen
generates from YAML (`tests/runtime/specs/`, `tests/clients/specs/`), the way
an application implements `generated/`. Nothing of it is committed: each
session builds the specs afresh into a temporary folder (load, validate,
lower, render, write: the same code path as `ssegen build`), so a change to the
generator reaches these tests at once.

A conftest calls `importable(specs)` at import time, before pytest imports the
test modules that import the generated packages. Servers started as child
processes get the same folders through `PYTHONPATH` (`child_env`), mypy
through `MYPYPATH` (`type_check`).
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from ssegen.output import write_tree
from ssegen.pipeline import build_files

REPO = Path(__file__).resolve().parents[2]

_builds: dict[Path, Path] = {}


def build_package(specs_dir: Path, out: Path | None = None) -> Path:
    """Render every spec under `specs_dir` and write the tree under `out`; returns `out`.

    `out` defaults to a fresh temporary folder, removed when the process exits.
    Beside the packages, the build writes what `ssegen build` writes (the event
    catalog, the docs pages, the manifest). A spec error raises `SpecError`
    with every diagnostic.
    """
    files = build_files([specs_dir])
    if out is None:
        out = Path(tempfile.mkdtemp(prefix=f"{specs_dir.parent.name}-", dir=_temporary_root()))
    write_tree(out, files)
    return out


def importable(specs_dir: Path) -> Path:
    """Build `specs_dir` once per process and put the output folder on `sys.path`.

    Returns that folder, for `child_env` and `type_check`.
    """
    specs_dir = specs_dir.resolve()
    if specs_dir not in _builds:
        out = build_package(specs_dir)
        # First on the path: a generated package shadows any module of the same name.
        sys.path.insert(0, str(out))
        _builds[specs_dir] = out
    return _builds[specs_dir]


def child_env(*folders: Path) -> dict[str, str]:
    """Environment entries that let a child Python process import packages under `folders`."""
    paths = [*map(str, folders), os.environ.get("PYTHONPATH", "")]
    return {"PYTHONPATH": os.pathsep.join(p for p in paths if p)}


def type_check(targets: Sequence[str], folders: Sequence[Path]) -> subprocess.CompletedProcess[str]:
    """`mypy --strict` of `targets` (paths from the repository root) with `folders` importable."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--config-file",
            str(REPO / "pyproject.toml"),
            *targets,
        ],
        cwd=REPO,
        env={**os.environ, "MYPYPATH": os.pathsep.join(map(str, folders))},
        check=False,
        capture_output=True,
        text=True,
        timeout=600,
    )


@functools.cache
def _temporary_root() -> Path:
    root = Path(tempfile.mkdtemp(prefix="ssegen-test-generated-"))
    # Removed when the test process exits; the servers it started are gone by then.
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    return root
