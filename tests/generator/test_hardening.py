"""Hostile specs (issue 9): a spec is data, cannot hang the build, and builds only what runs.

The positioned messages of each probe are in `diagnostics/` (generator_keywords,
patterns, limits, broken_schemas, yaml_reader); these tests add what a message
cannot show: nothing is imported, nothing hangs, values keep their value.
"""

from __future__ import annotations

import json
import re
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from datamodel_code_generator.parser.jsonschema import JsonSchemaObject
from ssegen import pipeline
from ssegen.memory_import import imported
from ssegen.pipeline import build_files
from ssegen.spec.diagnostics import SpecError
from ssegen.spec.keywords import GENERATOR_KEYS, KEYWORDS

CANARY = "ssegen_canary_module"
POSITIONED = re.compile(r"^[^:\n]+:\d+:\d+: error: [^\n]+$")


def _generator_keys() -> list[str]:
    """Every key datamodel-code-generator 0.89.0 reads beyond JSON Schema 2020-12."""
    fields = {f.alias or name for name, f in JsonSchemaObject.model_fields.items()}
    source = Path(sys.modules[JsonSchemaObject.__module__].__file__ or "").parent.parent
    x_keys = set()
    for path in source.rglob("*.py"):
        x_keys.update(re.findall(r"[\"'](x-[A-Za-z0-9_-]+)[\"']", path.read_text("utf-8")))
    keys = (fields | x_keys | GENERATOR_KEYS) - set(KEYWORDS) - {"x-python-"}
    return sorted(k for k in keys if not k.startswith("#"))


_VALUES: list[Any] = [
    f"{CANARY}.Planted",
    [f"{CANARY}.Planted"],
    {"module": CANARY, "name": "Planted", "import": CANARY, "type": f"{CANARY}.Planted"},
    True,
]


@pytest.fixture
def canary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A module on sys.path that leaves a file behind when anything imports it."""
    marker = tmp_path / "imported"
    module = tmp_path / "lib" / f"{CANARY}.py"
    module.parent.mkdir()
    module.write_text(
        f"import pathlib\npathlib.Path({str(marker)!r}).touch()\n"
        "class Planted:\n    pass\nPlanted.Base = Planted\nPlanted.Type = Planted\n",
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(module.parent))
    yield marker
    sys.modules.pop(CANARY, None)


def _spec(key: str, value: Any) -> dict[str, Any]:
    planted = {key: value}
    return {
        "ssegen": 1,
        "info": {"title": "Planted", "version": "1"},
        "package": "planted",
        "schemas": {
            "Thing": {"type": "object", **planted, "properties": {"a": {"type": "string"}}},
            "Name": {"type": "string", **planted},
        },
        "streams": {
            "s": {
                "method": "POST",
                "path": "/s",
                "params": {"query": {"q": {"type": "string", **planted}}},
                "body": {"type": "object", "properties": {"b": {"type": "string", **planted}}},
                "events": {
                    "e": {
                        "data": {
                            "type": "object",
                            "properties": {
                                "thing": {"$ref": "#/schemas/Thing"},
                                "v": {"type": "integer", **planted},
                                "items": {"type": "array", "items": {"type": "string", **planted}},
                            },
                        }
                    }
                },
            }
        },
    }


def test_the_key_list_covers_the_known_vectors() -> None:
    keys = _generator_keys()
    for known in ("customBasePath", "customTypePath", "x-python-type", "x-python-import"):
        assert known in keys
    assert len(keys) > 20


@pytest.mark.parametrize("key", _generator_keys())
def test_no_generator_keyword_imports_anything(
    key: str, canary: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for i, value in enumerate(_VALUES):
        spec = tmp_path / f"planted{i}.yaml"
        spec.write_text(yaml.safe_dump(_spec(key, value)), encoding="utf-8")
        try:
            files = build_files([spec])
        except SpecError as exc:
            assert all(POSITIONED.match(str(d)) for d in exc.diagnostics)
            assert any(f"'{key}'" in d.message for d in exc.diagnostics), exc
        else:  # it built: its package must not import the canary either
            with imported(files, ["planted"]) as modules:
                assert modules["planted"].build_router
            assert CANARY not in "".join(files.values())
        assert not canary.exists(), f"{key}={value!r} imported {CANARY}"
        assert CANARY not in sys.modules


def _within(seconds: float, work: Callable[[], object]) -> object:
    """`work()` in a thread; fails (instead of hanging the suite) when it has not ended."""
    outcome: list[object] = []
    thread = threading.Thread(target=lambda: outcome.append(_catching(work)), daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still running after {seconds} s: a hang"
    return outcome[0]


def _catching(work: Callable[[], object]) -> object:
    try:
        return work()
    except SpecError as exc:
        return exc


def _write(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


EVIL = """\
ssegen: 1
info: {title: Evil, version: '1'}
streams:
  s:
    path: /s
    events:
      e:
        data: {type: object, properties: {w: {type: string, pattern: '^(a+)+$'}}}
        examples: [{w: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!'}]
"""


def test_a_catastrophic_pattern_is_matched_at_once(tmp_path: Path) -> None:
    outcome = _within(60, lambda: build_files([_write(tmp_path, EVIL)]))
    assert isinstance(outcome, SpecError)
    (diagnostic,) = outcome.diagnostics
    assert (diagnostic.position.line, diagnostic.position.col) == (9, 24)
    assert "does not match '^(a+)+$'" in diagnostic.message


BODY = """\
ssegen: 1
info: {title: Body, version: '1'}
streams:
  s:
    method: POST
    path: /s
    body:
      type: object
      properties:
        words: {type: string, pattern: '^([a-z]+ ?)*$'}
        other: {type: string, pattern: '%s'}
    events: {e: {}}
"""


def test_no_model_switches_to_a_backtracking_engine(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="look-around"):
        build_files([_write(tmp_path, BODY % "^(?!x)")])
    files = build_files([_write(tmp_path, BODY % "^y")])
    assert "regex_engine" not in files["s/models.py"]
    with imported(files, ["s"]) as modules:
        body = modules["s"].SBody
        evil = "a" * 28 + "!"
        assert not _valid(body, {"words": evil})  # linear: no 7 s stall here
        assert _valid(body, {"words": "ab cd"})


def _valid(model: Any, value: object) -> bool:
    try:
        model.model_validate(value)
    except ValueError:
        return False
    return True


FORMATS = Path(__file__).parent / "golden" / "formats" / "specs"


def test_formats_keep_their_values_on_the_wire(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FORMATS.parent)
    files = build_files([Path("specs")])
    with imported(files, ["accounts"]) as modules:
        data = modules["accounts"].SignedUpData
        value = {
            "email": "ada@example.com",  # no email-validator needed
            "password": "correct horse",  # not "**********"
            "avatar": "\xff\xfe\x00",  # never bytes that fail to serialize
            "home": "http://example.com",  # not normalized to ".../"
            "id": "0b6e1f7a-4c1e-4c2f-9d8e-2f0a1b2c3d4e",
            "at": "2024-05-01T12:00:00Z",
            "balance": 1.5,  # a number, not "1.5"
            "seen": 1700000000,  # an integer, not a date
        }
        assert json.loads(data.model_validate(value).model_dump_json()) == value


def test_a_package_that_fails_to_import_fails_the_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    render = pipeline.render_catalog

    def broken(catalog: Any) -> dict[str, str]:
        files = render(catalog)
        files[f"{catalog.package}/router.py"] += "\nraise RuntimeError('boom')\n"
        return files

    monkeypatch.setattr(pipeline, "render_catalog", broken)
    with pytest.raises(SpecError) as caught:
        build_files([_write(tmp_path, EVIL.replace("!'", "'"))])
    (diagnostic,) = caught.value.diagnostics
    assert "the generated package 's' does not import: RuntimeError: boom" in str(diagnostic)
    assert POSITIONED.match(str(diagnostic))
