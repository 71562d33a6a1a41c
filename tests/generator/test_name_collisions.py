"""Spec names that collide with what generated code imports or binds.

Every name a generated module imports comes from one table
(`ssegen.ir.imports`). A spec name that would become one of those names at
module level is a positioned spec error; everywhere else (parameters, route
functions, service methods) the generated code must stay correct: it
imports, serves and passes `mypy --strict`.
"""

from __future__ import annotations

import importlib
import re
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import yaml
from fastapi import FastAPI
from ssegen.ir.imports import EXTERNAL, LOCAL_NAMES, RESERVED
from ssegen.ir.naming import pascal
from ssegen.pipeline import build_files
from ssegen.spec.diagnostics import SpecError

from tests.support.generated import build_package, type_check

IMPORTED = sorted(
    {name for sources in EXTERNAL.values() for names in sources.values() for name in names}
)


def _write(tmp_path: Path, spec: dict[str, object]) -> Path:
    specs = tmp_path / "specs"
    specs.mkdir(exist_ok=True)
    (specs / "clash.yaml").write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return specs


def _errors(specs: Path) -> list[str]:
    with pytest.raises(SpecError) as caught:
        build_files([specs])
    return [str(d) for d in caught.value.diagnostics]


def test_schemas_named_like_any_imported_name_are_positioned_errors(tmp_path: Path) -> None:
    names = sorted(name for name in RESERVED if pascal(name) == name)
    assert "TypeAlias" in names and "Literal" in names and "AsyncIterable" in names
    specs = _write(
        tmp_path,
        {
            "ssegen": 1,
            "info": {"title": "Clash", "version": "1"},
            "schemas": {name: {"type": "object"} for name in names},
            "streams": {
                "feed": {"path": "/feed", "events": {"tick": {"data": {"$ref": "#/schemas/Any"}}}}
            },
        },
    )
    errors = _errors(specs)
    for name in names:
        assert any(f"Python name '{name}'" in e for e in errors), (name, errors)
    assert all(re.match(r".*clash\.yaml:\d+:\d+: error: ", e) for e in errors), errors


@pytest.mark.parametrize("stream", ["serve", "serve_topic", "abstractmethod", "dataclass"])
def test_streams_named_like_an_imported_function_are_positioned_errors(
    tmp_path: Path, stream: str
) -> None:
    specs = _write(
        tmp_path,
        {
            "ssegen": 1,
            "info": {"title": "Clash", "version": "1"},
            "streams": {stream: {"path": "/s", "events": {"tick": {}}}},
        },
    )
    errors = _errors(specs)
    assert any(f"'{stream}'" in e and "reserves" in e for e in errors), errors


@pytest.mark.parametrize("stream", ["router", "service", "broker"])
def test_streams_named_like_a_local_of_build_router_are_positioned_errors(
    tmp_path: Path, stream: str
) -> None:
    specs = _write(
        tmp_path,
        {
            "ssegen": 1,
            "info": {"title": "Clash", "version": "1"},
            "streams": {stream: {"path": "/s", "events": {"tick": {}}}},
        },
    )
    errors = _errors(specs)
    assert any(f"'{stream}'" in e and "reserves" in e for e in errors), errors


def test_parameters_named_like_an_imported_name_are_positioned_errors(tmp_path: Path) -> None:
    names = [name for name in IMPORTED if name.isidentifier() and not name.startswith("_")]
    query = {name: {"type": "string"} for name in names}
    specs = _write(
        tmp_path,
        {
            "ssegen": 1,
            "info": {"title": "Clash", "version": "1"},
            "streams": {"feed": {"path": "/f", "params": {"query": query}, "events": {"tick": {}}}},
        },
    )
    errors = _errors(specs)
    for name in names:
        assert any(f"parameter '{name}' becomes Python name '{name}'" in e for e in errors), name


def test_parameters_and_streams_named_like_imports_and_locals_build_typed_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    query = {name: {"type": "string", "enum": ["a", "b"]} for name in sorted(LOCAL_NAMES)}
    spec = {
        "ssegen": 1,
        "info": {"title": "Clash", "version": "1"},
        "streams": {
            # Stream names that are local names of the generated functions.
            "key": {
                "path": "/key/{id}",
                "method": "POST",
                "params": {"path": {"id": {"type": "integer"}}, "query": query},
                "body": {"type": "object", "properties": {"Annotated": {"type": "string"}}},
                "resume": {"ids": "sequence"},
                "events": {
                    "Literal": {"text": {"enum": ["x"]}},
                    "TypeAlias": {"data": {"type": "object"}},
                },
            },
            "body": {
                "path": "/topic/{self}/{broker}",
                "params": {"path": {"self": {"type": "integer"}, "broker": {"type": "string"}}},
                "resume": {"ids": "sequence"},
                "topic": {"key": ["self", "broker"]},
                "events": {"dataclass": {"text": {"const": "y"}}},
            },
            "last_event_id": {
                "path": "/self",
                "params": {"query": {"self": {"type": "boolean"}}},
                "events": {"self": {}},
            },
        },
    }
    specs = _write(tmp_path, spec)
    out = build_package(specs, tmp_path / "out")
    result = type_check([str(out / "clash")], [out])
    assert result.returncode == 0, result.stdout + result.stderr

    monkeypatch.syspath_prepend(str(out))
    sys.modules.pop("clash", None)
    package = importlib.import_module("clash")

    async def no_events(self: object, **arguments: object) -> AsyncIterator[object]:
        return
        yield

    abstract = package.ClashService.__abstractmethods__
    service = type("Service", (package.ClashService,), dict.fromkeys(abstract, no_events))()
    app = FastAPI()
    app.include_router(package.build_router(service))
    operations = {
        op["operationId"] for path in app.openapi()["paths"].values() for op in path.values()
    }
    assert operations == {"key", "body", "last_event_id"}
