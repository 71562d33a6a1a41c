"""Diagnostics: errors as values with a position, reported all at once.

Every problem found in a run becomes a `Diagnostic`; the CLI prints them
sorted as `path:line:col: error: message` and exits 1. A traceback is a bug.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True, order=True)
class Position:
    """A 1-based line and column in a spec file."""

    line: int = 1
    col: int = 1


@dataclass(frozen=True, slots=True, order=True)
class Diagnostic:
    path: str
    position: Position
    message: str

    def __str__(self) -> str:
        # One line per diagnostic, whatever spec text the message quotes (`a\nb` as a key).
        message = "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in self.message)
        return f"{self.path}:{self.position.line}:{self.position.col}: error: {message}"


class SpecError(Exception):
    """Raised with every diagnostic of a run when at least one was found."""

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.diagnostics = sorted(set(diagnostics), key=_sort_key)
        super().__init__("\n".join(str(d) for d in self.diagnostics))


def _sort_key(diagnostic: Diagnostic) -> tuple[str, int, int, str]:
    pos = diagnostic.position
    return (diagnostic.path, pos.line, pos.col, diagnostic.message)
