"""Golden trees: each case's specs render to exactly its committed tree.

Missing, extra and changed files all fail. `pytest --update-golden` rewrites
the trees; review the diff before committing it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from ssegen.output import with_manifest
from ssegen.pipeline import build_files

CASES = Path(__file__).parent / "golden"


def _tree(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize("case", sorted(p.name for p in CASES.iterdir() if p.is_dir()))
def test_golden_tree(case: str, update_golden: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(CASES / case)  # headers name the spec relative to the working folder
    rendered = with_manifest(build_files([Path("specs")]))
    expected_dir = CASES / case / "expected"
    if update_golden:
        shutil.rmtree(expected_dir, ignore_errors=True)
        for relative, text in rendered.items():
            target = expected_dir / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8", newline="\n")
    expected = _tree(expected_dir)
    assert sorted(rendered) == sorted(expected), "file set differs from the golden tree"
    for relative, text in rendered.items():
        assert text == expected[relative], f"{relative} differs from the golden tree"
