"""The app implements the contracts generated from specs/, as `mypy --strict` reads them."""

from __future__ import annotations

from pathlib import Path

from tests.support.generated import type_check


def test_the_app_type_checks_against_the_generated_packages(generated: Path) -> None:
    # The service overrides the generated abstract methods and yields its
    # events: a parameter or event type the generator changes fails here.
    result = type_check(["tests/clients"], [generated])
    assert result.returncode == 0, result.stdout + result.stderr
