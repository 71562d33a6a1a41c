"""Seeded mutations of the example and golden specs: no traceback, no hang, nothing half-built.

Each mutant deletes keys, swaps values, puts hostile strings and numbers in,
or gives a value the wrong type, then is built in-process. For every mutant:
the build ends (a generous guard, not a timing), raises nothing but a
SpecError whose every line is `file:line:col: error: ...`, and a mutant that
builds imports and serves (`ssegen serve`'s app: mock services, the generated
routers, OpenAPI). The count bounds the run (about a minute on one core).

A failure prints its seed; replay just that mutant with
`SSEGEN_FUZZ_SEED=<seed> pytest tests/generator/test_fuzz.py`. For a longer
hunt: `SSEGEN_FUZZ_COUNT=5000 SSEGEN_FUZZ_FIRST=100000`.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import threading
from pathlib import Path
from typing import Any

import pytest
import yaml
from ssegen.pipeline import build_files
from ssegen.preview.app import preview_app
from ssegen.spec.diagnostics import SpecError

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted(
    [*ROOT.glob("specs/*.yaml"), *(ROOT / "tests/generator/golden").glob("*/specs/*.yaml")]
)
MUTANTS = 400
GUARD_SECONDS = 60.0
POSITIONED = re.compile(r"^[^\n]+:\d+:\d+: error: [^\n]+$")

HOSTILE: list[Any] = [
    "",
    " ",
    "__class__",
    "__init__",
    "class",
    "import os",
    "'); __import__('os').system('true'); ('",
    '"""',
    "\\",
    "{x}",
    "/{x}",
    "a\nb",
    "\u2028",
    "\x00",
    "é漢🎉",
    "x" * 5000,
    "^(a+)+$",
    "(?=a)a",
    r"(a)\1",
    "a{99999999}",
    "[",
    "#/schemas/Nope",
    "other.yaml#/schemas/X",
    "../x.yaml#/schemas/X",
    "customBasePath",
    "planted.Base",
    "ConfigDict",
    "UUID",
    "email",
    "password",
    "binary",
    "uri",
    "date-time",
    0,
    -1,
    1,
    2**63,
    10**20,
    -(10**30),
    1e308,
    -0.0,
    0.5,
    True,
    False,
    None,
    [],
    {},
    [1, "a", None],
    {"type": "nope"},
    {"$ref": "#/schemas/Nope"},
    {"type": "string", "pattern": "^(a+)+$"},
    {"type": "string", "format": "password"},
    {"type": "object", "customBasePath": "planted.Base"},
    {"enum": ["a"], "default": "a", "pattern": 5},
]
# Keys worth planting: spec keys and the schema keywords whose values matter most.
KEYS = [
    "pattern",
    "format",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "enum",
    "const",
    "default",
    "type",
    "items",
    "properties",
    "required",
    "$ref",
    "allOf",
    "anyOf",
    "oneOf",
    "additionalProperties",
    "patternProperties",
    "examples",
    "x-python-type",
    "customTypePath",
    "package",
    "text",
    "data",
    "body",
    "params",
    "query",
    "header",
    "path",
    "resume",
    "topic",
    "terminal",
    "error",
    "method",
    "retry",
    "keepalive",
]


def _nodes(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path into `node` (the root excluded)."""
    found: list[tuple[Any, ...]] = []
    items = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else ()
    )
    for key, child in items:
        found.append((*path, key))
        found.extend(_nodes(child, (*path, key)))
    return found


def _get(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        data = data[part]
    return data


def _set(data: Any, path: tuple[Any, ...], value: Any) -> None:
    _get(data, path[:-1])[path[-1]] = value


def _mutate(data: Any, rng: random.Random) -> Any:
    for _ in range(rng.randint(1, 3)):
        paths = _nodes(data)
        if not paths:
            return data
        path = rng.choice(paths)
        operation = rng.choice(("delete", "swap", "hostile", "wrong_type", "plant", "plant"))
        parent = _get(data, path[:-1])
        if operation == "delete":
            del parent[path[-1]]
        elif operation == "swap":
            other = rng.choice(paths)
            if other[: len(path)] != path and path[: len(other)] != other:
                a, b = _get(data, path), _get(data, other)
                _set(data, path, b)
                _set(data, other, a)
        elif operation == "hostile":
            _set(data, path, rng.choice(HOSTILE))
        elif operation == "wrong_type":
            value = _get(data, path)
            _set(data, path, rng.choice([v for v in HOSTILE if type(v) is not type(value)]))
        else:
            target = _get(data, path)
            if isinstance(target, dict):
                target[rng.choice(KEYS + [v for v in HOSTILE if isinstance(v, str)][:20])] = (
                    rng.choice(HOSTILE)
                )
    return data


def _mutant(seed: int, folder: Path) -> Path:
    """Writes mutant `seed` (a copy of one source's specs folder, one file mutated)."""
    rng = random.Random(seed)
    source = rng.choice(SOURCES)
    specs = folder / "specs"
    shutil.copytree(source.parent, specs)
    target = specs / source.name
    if rng.random() < 0.15:  # a line moved left or right, as a slip in an editor does
        lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
        at = rng.randrange(len(lines))
        shift = rng.choice([-3, -2, -1, 1, 2, 3])
        lines[at] = (
            " " * shift + lines[at]
            if shift > 0
            else lines[at][min(-shift, len(lines[at]) - len(lines[at].lstrip(" "))) :]
        )
        target.write_text("".join(lines), encoding="utf-8")
        return specs
    data = _mutate(yaml.safe_load(source.read_text(encoding="utf-8")), rng)
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=200)
    if rng.random() < 0.1:  # now and then, damage the text itself
        at = rng.randrange(len(text) + 1)
        text = (
            text[:at]
            + rng.choice(["\x07", ":", "{", "'", "&a ", "*a", "\t", "!!python/none "])
            + text[at:]
        )
    target.write_text(text, encoding="utf-8")
    return specs


def _build(specs: Path) -> tuple[str, list[str]]:
    """('built', []) after importing and serving, or ('errors', lines)."""
    try:
        build_files([specs])
    except SpecError as exc:
        return "errors", [str(d) for d in exc.diagnostics]
    preview = preview_app([specs])
    # No paths when the mutant lost every `streams`: its files are schema libraries then.
    assert "paths" in preview.app.openapi()
    return "built", []


def _run(seed: int, folder: Path) -> tuple[str, list[str]]:
    specs = _mutant(seed, folder)
    outcome: list[tuple[str, list[str]] | BaseException] = []

    def work() -> None:
        try:
            outcome.append(_build(specs))
        except BaseException as exc:  # noqa: BLE001 - reported with the seed below
            outcome.append(exc)

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    thread.join(GUARD_SECONDS)
    where = f"mutant SSEGEN_FUZZ_SEED={seed} ({folder / 'specs'})"
    assert not thread.is_alive(), f"{where} did not finish within {GUARD_SECONDS} s"
    result = outcome[0]
    if isinstance(result, BaseException):
        pytest.fail(f"{where} raised {type(result).__name__}: {result}")
    for line in result[1]:
        assert POSITIONED.match(line), f"{where} printed an unpositioned error: {line!r}"
    return result


def _seeds() -> list[int]:
    replay = os.environ.get("SSEGEN_FUZZ_SEED")
    if replay:
        return [int(replay)]
    count = int(os.environ.get("SSEGEN_FUZZ_COUNT", str(MUTANTS)))
    first = int(os.environ.get("SSEGEN_FUZZ_FIRST", "9000"))
    return list(range(first, first + count))


def test_fuzz_mutated_specs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    counts = {"built": 0, "errors": 0}
    for seed in _seeds():
        folder = tmp_path / str(seed)
        folder.mkdir()
        kind, _ = _run(seed, folder)
        counts[kind] += 1
        shutil.rmtree(folder)
    print(
        f"fuzz: {sum(counts.values())} mutants, {counts['built']} built, {counts['errors']} refused"
    )
