"""`[tool.ssegen]` in pyproject.toml: the settings every command would otherwise repeat.

    [tool.ssegen]
    specs = ["specs"]          # spec files or folders (default: specs/)
    out = "generated"          # build and check (default: generated/)
    openapi-3_1 = false        # also write openapi-3.1.json (`--openapi-3.1`)

    [tool.ssegen.diff.rules]   # `ssegen diff --rule ID=LEVEL`, kept for every run
    event-added = "breaking"

The file is the first pyproject.toml found from the current folder upwards;
paths in it are relative to its folder. Command-line arguments override it.
A key ssegen does not know is a usage error (exit 2), with a "did you mean".

What users see of it: README, "CLI" > "Configuration".
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PYPROJECT = "pyproject.toml"
_KEYS = ("specs", "out", "openapi-3_1", "diff")
_DIFF_KEYS = ("rules",)


class ConfigError(Exception):
    """`[tool.ssegen]` is not what ssegen reads: exit 2."""


@dataclass(frozen=True)
class Config:
    source: Path | None = None  # the pyproject.toml read, if any
    specs: tuple[Path, ...] = ()
    out: Path | None = None
    openapi_31: bool | None = None
    diff_rules: dict[str, str] = field(default_factory=dict)


def find_pyproject(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        candidate = folder / PYPROJECT
        if candidate.is_file():
            return candidate
    return None


def load_config(start: Path | None = None) -> Config:
    """The `[tool.ssegen]` table of the nearest pyproject.toml (an empty Config without one)."""
    path = find_pyproject((start or Path.cwd()).absolute())
    if path is None:
        return Config()
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read: {exc}") from None
    table = document.get("tool", {}).get("ssegen")
    if table is None:
        return Config(source=path)
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.ssegen] must be a table")
    _known(path, "tool.ssegen", table, _KEYS)
    base = path.parent
    specs = table.get("specs", [])
    if isinstance(specs, str):
        specs = [specs]
    if not isinstance(specs, list) or not all(isinstance(s, str) for s in specs):
        raise ConfigError(f"{path}: tool.ssegen.specs must be a path or a list of paths")
    out = table.get("out")
    if out is not None and not isinstance(out, str):
        raise ConfigError(f"{path}: tool.ssegen.out must be a path")
    openapi_31 = table.get("openapi-3_1")
    if openapi_31 is not None and not isinstance(openapi_31, bool):
        raise ConfigError(f"{path}: tool.ssegen.openapi-3_1 must be true or false")
    diff = table.get("diff", {})
    if not isinstance(diff, dict):
        raise ConfigError(f"{path}: [tool.ssegen.diff] must be a table")
    _known(path, "tool.ssegen.diff", diff, _DIFF_KEYS)
    rules = diff.get("rules", {})
    if not isinstance(rules, dict) or not all(isinstance(v, str) for v in rules.values()):
        raise ConfigError(f"{path}: tool.ssegen.diff.rules maps rule ids to levels (strings)")
    return Config(
        source=path,
        specs=tuple(_relative(base, s) for s in specs),
        out=None if out is None else _relative(base, out),
        openapi_31=openapi_31,
        diff_rules=dict(rules),
    )


def _relative(base: Path, value: str) -> Path:
    """A path of the file, as the commands see it: relative to the current folder when it can be."""
    path = (base / value).absolute()
    try:
        return path.relative_to(Path.cwd().absolute())
    except ValueError:
        return path


def _known(path: Path, where: str, table: dict[str, Any], keys: tuple[str, ...]) -> None:
    for key in table:
        if key not in keys:
            close = difflib.get_close_matches(key, keys, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else f" (known: {', '.join(keys)})"
            raise ConfigError(f"{path}: unknown key {where}.{key}{hint}")
