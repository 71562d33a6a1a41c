"""Every payload on the wire validates against its own schema in the published catalog.

For each JSON event of every spec in the repository (the example specs, the
test apps' specs, the golden cases): its examples, and instances generated
from its schema (hypothesis-jsonschema, derandomized), are validated into the
generated classes the way a handler builds them, encoded by the runtime's own
encoder, and the `data:` text is checked against the event's `contentSchema`
in the generated `openapi.json`. Each instance is also sent with optional
members set to None explicitly, as handlers do (`finish_reason=None`): a
member whose schema admits null goes out as `null`, any other is left out,
and a required nullable member is never dropped (spec format: nulls as
declared; README, "Nulls").
"""

from __future__ import annotations

import json
import random
import typing
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema
from jsonschema import Draft202012Validator
from pydantic import BaseModel, TypeAdapter
from ssegen import ir
from ssegen.memory_import import imported
from ssegen.pipeline import build_catalogs, build_files
from ssegen.runtime import encode_event
from ssegen.spec.patterns import spec_validator

REPO = Path(__file__).resolve().parents[2]
SPEC_FOLDERS = sorted(
    {
        p.parent
        for p in [*REPO.glob("specs/*.yaml"), *REPO.glob("tests/**/specs/**/*.yaml")]
        if "diagnostics" not in p.parts
    }
)
# A spec under `shared/` is referenced from a sibling, not built on its own.
SPEC_FOLDERS = [p for p in SPEC_FOLDERS if p.name == "specs"]


def _frames(document: dict[str, Any]) -> dict[tuple[str, str, str], dict[str, Any]]:
    """(method, path, event key) -> that event's `data` content schema in the catalog."""
    schemas = document["components"]["schemas"]

    def target(node: dict[str, Any]) -> dict[str, Any]:
        return schemas[node["$ref"].removeprefix("#/components/schemas/")]  # type: ignore[no-any-return]

    found: dict[tuple[str, str, str], dict[str, Any]] = {}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            content = operation["responses"]["200"]["content"]["text/event-stream"]
            frames = target(content["itemSchema"])
            # `oneOf` by event name, or `anyOf` when variants share one (or have none).
            for branch in frames.get("oneOf") or frames["anyOf"]:
                frame = target(branch)
                data = frame["properties"]["data"]
                if data.get("contentMediaType") == "application/json":
                    key = (method.upper(), path, frame.get("title", ""))
                    found[key] = data["contentSchema"]
    return found


class Case(typing.NamedTuple):
    folder: Path
    catalog: ir.Catalog
    stream: ir.Stream
    event: ir.Event


def _cases() -> Iterator[Case]:
    for folder in SPEC_FOLDERS:
        for catalog in build_catalogs([folder]):
            for stream in catalog.streams:
                for event in stream.events:
                    if event.payload == "json":
                        yield Case(folder, catalog, stream, event)


CASES = list(_cases())

# Formats the models type but hypothesis-jsonschema does not generate by (it would
# give any string, which the build and the models refuse).
FORMATS = {
    "uuid": st.uuids().map(str),
    "password": st.text(min_size=8),
    "binary": st.text(),
}


@pytest.fixture(scope="module")
def built() -> Iterator[dict[Path, tuple[dict[str, ModuleType], dict[str, Any]]]]:
    """Per spec folder: its packages imported from memory, and its catalog document."""
    with_packages: dict[Path, tuple[dict[str, ModuleType], dict[str, Any]]] = {}
    stack = []
    for folder in SPEC_FOLDERS:
        files = build_files([folder])
        packages = sorted({path.split("/", 1)[0] for path in files if path.endswith(".py")})
        context = imported(files, packages)
        stack.append(context)
        with_packages[folder] = (context.__enter__(), json.loads(files["openapi.json"]))
    yield with_packages
    for context in reversed(stack):
        context.__exit__(None, None, None)


def _wire_data(case: Case, modules: dict[str, ModuleType], value: Any, nones: int) -> Any:
    """`value` built into the event's class as a handler would, encoded, and its data decoded."""
    package = modules[case.catalog.package]
    event_class = getattr(package.events, case.event.class_name)
    data = TypeAdapter(typing.get_type_hints(event_class)["data"]).validate_python(value)
    if nones >= 0:
        _set_nones(data, random.Random(nones))
    spec = getattr(package.streams, case.stream.const_name)
    fields = {"data": data, "id": "1"} if case.stream.ids == "handler" else {"data": data}
    frame = encode_event(spec, event_class(**fields)).decode()
    lines = [line.removeprefix("data: ") for line in frame.split("\n") if line.startswith("data:")]
    return json.loads("\n".join(lines))


def _admits_none(annotation: Any) -> bool:
    return annotation is None or type(None) in typing.get_args(annotation)


def _set_nones(value: Any, rnd: random.Random) -> None:
    """Set some optional members of every model in `value` to None, explicitly.

    Only where the member's type admits None: what a type-checked handler can
    write (a const member with its default, `type: Literal["start"] = "start"`, cannot).
    """
    if isinstance(value, BaseModel):
        for name, info in type(value).model_fields.items():
            member = getattr(value, name)
            if not info.is_required() and _admits_none(info.annotation) and rnd.random() < 0.5:
                setattr(value, name, None)
            else:
                _set_nones(member, rnd)
    elif isinstance(value, list | tuple):
        for item in value:
            _set_nones(item, rnd)
    elif isinstance(value, dict):
        for item in value.values():
            _set_nones(item, rnd)


def _check(case: Case, built: Any, value: Any, nones: int) -> None:
    modules, document = built[case.folder]
    schema = _frames(document)[(case.stream.http_method, case.stream.path, case.event.name)]
    validator = Draft202012Validator({**schema, "components": document["components"]})
    wire = _wire_data(case, modules, value, nones)
    errors = [error.message for error in validator.iter_errors(wire)]
    assert not errors, f"{case.event.name}: {json.dumps(wire)} breaks its schema: {errors}"


def _ids(case: Case) -> str:
    return f"{case.folder.relative_to(REPO).parent}:{case.stream.name}.{case.event.name}"


@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_examples_on_the_wire_match_the_catalog(case: Case, built: Any) -> None:
    for example in case.event.examples:
        for nones in range(4):  # as given, then with optional members set to None
            _check(case, built, example, nones if nones else -1)


@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_generated_instances_on_the_wire_match_the_catalog(case: Case, built: Any) -> None:
    schema = {**(case.event.data_schema or {}), "$defs": case.catalog.defs}
    # hypothesis-jsonschema does not generate by `format`; keep what the build would accept.
    valid = spec_validator(schema)

    @settings(
        max_examples=25,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        value=from_schema(schema, custom_formats=FORMATS),
        nones=st.integers(min_value=-1, max_value=1000),
    )
    def check(value: Any, nones: int) -> None:
        assume(valid.is_valid(value))
        _check(case, built, value, nones)

    check()


def test_nullable_members_go_out_as_declared(built: Any) -> None:
    """The golden `nested` case: nullable members sent as null, the others left out."""
    case = next(c for c in CASES if c.catalog.package == "completions")
    modules, _ = built[case.folder]
    value = {
        "id": "c1",
        "choices": [{"index": 0, "delta": {"content": None}, "finish_reason": None}],
        "usage": None,
    }
    wire = _wire_data(case, modules, value, -1)
    # `logprobs` admits null and defaults to None: sent as null, as the real APIs do;
    # `role`, `tool_calls` and `status` do not admit null: left out.
    assert wire == {
        "id": "c1",
        "choices": [
            {"index": 0, "delta": {"content": None}, "finish_reason": None, "logprobs": None}
        ],
        "usage": None,
    }
    package = modules["completions"]
    data = package.ChunkData(id="c1", choices=[], usage=None, status=None)
    spec = package.streams.COMPLETION
    frame = encode_event(spec, package.ChunkEvent(data=data)).decode()
    assert '"status"' not in frame  # set to None, but its schema does not admit null
    assert '"usage":null' in frame
