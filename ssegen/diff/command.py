"""`ssegen diff`: read both sides, compare, apply the rule settings, print, exit.

`ssegen diff OLD NEW` compares spec files or folders; `--against REF`
reads the old side of SPECS (default `specs/`) from git at REF. Exit codes:
1 when a change is breaking (after `--rule` settings), 0 otherwise, 2 for
bad usage (a bad ref, a bad `--rule`); spec errors print as `build` prints
them, exit 1.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import asdict, replace
from pathlib import Path

from ssegen.diff.compare import Change, Contract, compare
from ssegen.diff.rules import BY_ID, SEVERITIES, Severity
from ssegen.pipeline import SPEC_SUFFIXES, build_contracts

FORMATS = ("text", "json", "github")


class UsageError(Exception):
    """Bad arguments: exit 2."""


def rule_settings(values: Sequence[str]) -> dict[str, Severity | None]:
    """`--rule ID=breaking|warning|info|off`, repeated; `off` (None) drops the rule's changes."""
    settings: dict[str, Severity | None] = {}
    for value in values:
        rule, _, level = value.partition("=")
        if rule not in BY_ID:
            raise UsageError(f"--rule {value}: no rule '{rule}' (see README, 'Contract evolution')")
        if level == "off":
            settings[rule] = None
        elif level in SEVERITIES:
            settings[rule] = level
        else:
            raise UsageError(f"--rule {value}: the level must be breaking, warning, info or off")
    return settings


def apply(changes: list[Change], settings: dict[str, Severity | None]) -> list[Change]:
    kept = []
    for change in changes:
        if change.rule in settings:
            level = settings[change.rule]
            if level is None:
                continue
            change = replace(change, severity=level)
        kept.append(change)
    return kept


def diff(old: Sequence[Path], new: Sequence[Path]) -> list[Change]:
    return compare(build_contracts(old), build_contracts(new))


def diff_against(ref: str, specs: Sequence[Path]) -> list[Change]:
    """`specs` now, against the same paths in git at `ref` (a path missing there: no specs)."""
    new = build_contracts(specs)
    with _checkout(ref, specs) as (root, old_paths), contextlib.chdir(root):
        old: list[Contract] = build_contracts(old_paths) if old_paths else []
    return compare(old, new)


@contextlib.contextmanager
def _checkout(ref: str, specs: Sequence[Path]) -> Iterator[tuple[Path, list[Path]]]:
    """The spec files of `specs` as they are at `ref`, under a temporary folder, at the same paths."""
    top = _git(["rev-parse", "--show-toplevel"], Path.cwd()).strip()
    prefix = _git(["rev-parse", "--show-prefix"], Path.cwd()).strip()
    _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], Path.cwd())
    with tempfile.TemporaryDirectory(prefix="ssegen-diff-") as folder:
        root = Path(folder)
        present: list[Path] = []
        for spec in specs:
            listed = _git(
                ["ls-tree", "-r", "--name-only", ref, "--", f"{prefix}{spec.as_posix()}"], Path(top)
            )
            files = [name for name in listed.splitlines() if name.endswith(SPEC_SUFFIXES)]
            for name in files:
                target = root / Path(name).relative_to(prefix) if prefix else root / name
                target.parent.mkdir(parents=True, exist_ok=True)
                content = subprocess.run(
                    ["git", "show", f"{ref}:{name}"], cwd=top, capture_output=True, check=True
                ).stdout
                target.write_bytes(content)
            if files:
                present.append(spec)
        yield root, present


def _git(arguments: list[str], cwd: Path) -> str:
    try:
        done = subprocess.run(
            ["git", *arguments], cwd=cwd, capture_output=True, text=True, check=False
        )
    except FileNotFoundError:
        raise UsageError("--against needs git") from None
    if done.returncode != 0:
        raise UsageError(f"git {' '.join(arguments)}: {done.stderr.strip() or 'failed'}")
    return done.stdout


def render(changes: list[Change], fmt: str) -> str:
    if fmt == "json":
        return json.dumps([_json(change) for change in changes], indent=2) + "\n"
    if fmt == "github":
        return "".join(_annotation(change) + "\n" for change in changes)
    return "".join(change.text() + "\n" for change in changes)


def _json(change: Change) -> dict[str, object]:
    fields = asdict(change)
    order = ("rule", "severity", "package", "stream", "event", "path", "line", "column", "message")
    return {key: fields[key] for key in order}


def _annotation(change: Change) -> str:
    """A GitHub Actions workflow command: error, warning or notice at the change's position."""
    level = {"breaking": "error", "warning": "warning", "info": "notice"}[change.severity]

    def escape(text: str, property_value: bool = False) -> str:
        text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        return text.replace(":", "%3A").replace(",", "%2C") if property_value else text

    return (
        f"::{level} file={escape(change.path, True)},line={change.line},col={change.column},"
        f"title={escape(f'ssegen diff [{change.rule}]', True)}::{escape(change.message)}"
    )
