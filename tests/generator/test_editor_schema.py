"""The editor schema (`ssegen schema`): spec format v1 as JSON Schema draft-07, from the model.

The committed copy in the package (what the example specs point
yaml-language-server at) is what the model generates now (`--update-golden`
rewrites it); every spec in the repository validates against it; and every
diagnostics case that is a shape error (`ssegen build` refuses it before any
cross-field check) is rejected by it too.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from ssegen.cli import main
from ssegen.spec.editor_schema import editor_schema, render_editor_schema
from ssegen.spec.loader import load
from ssegen.spec.validate import validate

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "ssegen" / "schemas" / "spec-v1.schema.json"
LINE = "# yaml-language-server: $schema=../ssegen/schemas/spec-v1.schema.json\n"
DIAGNOSTICS = Path(__file__).parent / "diagnostics"


def _is_spec(path: Path) -> bool:
    """A spec file, not a schema library (a file of `schemas` that specs $ref)."""
    data = load(path, path.name).data
    return not (isinstance(data, dict) and "streams" not in data and "schemas" in data)


SPECS = sorted(
    p
    for p in [*ROOT.glob("specs/*.yaml"), *ROOT.glob("tests/**/specs/**/*.yaml")]
    if DIAGNOSTICS not in p.parents and "cases" not in p.parts and _is_spec(p)
)
VALIDATOR = jsonschema.Draft7Validator(editor_schema())


def test_the_shipped_schema_is_the_models(update_golden: bool) -> None:
    if update_golden:
        SHIPPED.write_text(render_editor_schema(), encoding="utf-8")
    assert SHIPPED.read_text(encoding="utf-8") == render_editor_schema()
    jsonschema.Draft7Validator.check_schema(json.loads(SHIPPED.read_text(encoding="utf-8")))


def test_ssegen_schema_prints_and_writes_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["schema"]) == 0
    assert capsys.readouterr().out == render_editor_schema()
    assert main(["schema", "-o", str(tmp_path / "s.json")]) == 0
    assert (tmp_path / "s.json").read_text(encoding="utf-8") == render_editor_schema()


def test_the_example_specs_point_their_editor_at_it() -> None:
    for spec in sorted((ROOT / "specs").glob("*.yaml")):
        assert spec.read_text(encoding="utf-8").startswith(LINE), spec.name


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_spec_of_the_repository_validates(spec: Path) -> None:
    doc = load(spec, spec.name)
    errors = [f"{e.json_path}: {e.message}" for e in VALIDATOR.iter_errors(doc.data)]
    assert errors == []


def _shape_errors() -> list[Path]:
    """The diagnostics specs that parse as YAML but whose shape `build` refuses."""
    found = []
    for spec in sorted(DIAGNOSTICS.glob("*/specs/**/*.yaml")):
        doc = load(spec, spec.name)
        if doc.diagnostics or doc.data is None:
            continue  # not YAML ssegen reads: the editor's YAML parser reports those
        if validate(doc) is None:
            found.append(spec)
    return found


@pytest.mark.parametrize("spec", _shape_errors(), ids=lambda p: str(p.relative_to(DIAGNOSTICS)))
def test_every_shape_error_case_is_rejected_by_it(spec: Path) -> None:
    doc = load(spec, spec.name)
    assert not VALIDATOR.is_valid(doc.data)
