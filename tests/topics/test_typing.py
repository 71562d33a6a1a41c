"""The topic test app uses the package generated from specs/ as `mypy --strict` reads it."""

from __future__ import annotations

from tests.support.generated import type_check

from .conftest import GENERATED


def test_the_app_type_checks_against_the_generated_package() -> None:
    # The app builds events of the generated classes and publishes to the
    # generated topics: a class, field or topic the generator changes fails here.
    result = type_check(["tests/topics/feed_app.py", "tests/topics/feeds.py"], [GENERATED])
    assert result.returncode == 0, result.stdout + result.stderr
