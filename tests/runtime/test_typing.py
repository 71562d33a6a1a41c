"""The app implements the contracts generated from specs/, as `mypy --strict` reads them."""

from __future__ import annotations

from pathlib import Path

from tests.support.generated import type_check


def test_the_app_type_checks_against_the_generated_packages(
    generated: Path, topic_generated: Path
) -> None:
    # The services override the generated abstract methods and yield their
    # events: a parameter or event type the generator changes fails here.
    # The shutdown app imports the topic tests' app, and so their package.
    result = type_check(["tests/runtime"], [generated, topic_generated])
    assert result.returncode == 0, result.stdout + result.stderr
