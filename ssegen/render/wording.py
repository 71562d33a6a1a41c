"""How the human-facing renderers (the OpenAPI descriptions, the contract pages) say
lists and numbers, so the catalog and the pages word the same facts the same way."""

from __future__ import annotations

from collections.abc import Callable, Sequence


def listed(names: Sequence[str], last: str, quote: Callable[[str], str]) -> str:
    """`a`, `b` and `c`: each name quoted, the last joined with `last` ("and", "or")."""
    quoted = [quote(name) for name in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + f" {last} {quoted[-1]}"


def number(value: float) -> int | float:
    """A whole number of seconds as an int (`15`, not `15.0`); others unchanged."""
    return int(value) if float(value).is_integer() else value
