"""Invalid specs: every error, with its position, all at once, exit 1, no traceback.

Each case folder holds `specs/` and `expected.txt`, the exact stderr of
`ssegen build`; `pytest --update-golden` rewrites expected.txt.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from ssegen.cli import main

CASES = Path(__file__).parent / "diagnostics"


@pytest.mark.parametrize("case", sorted(p.name for p in CASES.iterdir() if p.is_dir()))
def test_diagnostics(
    case: str,
    update_golden: bool,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(CASES / case)
    code = main(["build", "specs", "-o", str(tmp_path / "out")])
    captured = capsys.readouterr()
    expected_file = CASES / case / "expected.txt"
    if update_golden:
        expected_file.write_text(captured.err, encoding="utf-8")
    assert code == 1
    assert captured.err == expected_file.read_text(encoding="utf-8")
    assert "Traceback" not in captured.err + captured.out
    assert not (tmp_path / "out").exists(), "nothing is written when a spec has errors"
