"""`openapi.json`: a valid OpenAPI 3.2 document that names every event of every stream.

Checked on `generated/openapi.json` and on every golden case's document, with
openapi-spec-validator (its 0.9 release carries the 3.2 schema) and by
reading it as a client generator would: every `$ref` resolves, one branch
per event with its payload, example frames that parse back to the spec's
examples.
"""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path
from typing import Any

import pytest
from openapi_spec_validator import OpenAPIV31SpecValidator, OpenAPIV32SpecValidator, validate
from ssegen.cli import main
from ssegen.pipeline import build_catalogs, build_files
from ssegen.spec.diagnostics import SpecError

from tests.catalog.documents import frame_branches, operations, resolve, stream_media, unresolved
from tests.support.sse import Parser

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "generator" / "golden"
DOCUMENTS = [ROOT / "generated" / "openapi.json"] + sorted(GOLDEN.glob("*/expected/openapi.json"))


def _id(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


@pytest.mark.parametrize("path", DOCUMENTS, ids=_id)
def test_committed_documents_are_valid_openapi_3_2(path: Path) -> None:
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["openapi"] == "3.2.0"
    validate(document, cls=OpenAPIV32SpecValidator)
    assert unresolved(document) == []


@pytest.mark.parametrize("path", DOCUMENTS, ids=_id)
def test_every_event_of_every_stream_has_its_branch(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    document = json.loads(path.read_text(encoding="utf-8"))
    monkeypatch.chdir(path.parents[1] if path.parent.name == "expected" else ROOT)
    catalogs = build_catalogs([Path("specs")])
    streams = {(s.http_method.lower(), s.path): s for c in catalogs for s in c.streams}
    assert {(m, p) for p, m, _ in operations(document)} == set(streams)
    for path_, method, operation in operations(document):
        stream = streams[(method, path_)]
        branches = frame_branches(document, operation)
        declared = [event.name for event in stream.events]
        assert list(branches)[: len(declared)] == declared
        union = resolve(document, stream_media(operation)["itemSchema"]["$ref"])
        if stream.named_uniquely:
            assert union["discriminator"]["propertyName"] == "event"
            wire = [branch["properties"]["event"]["const"] for branch in branches.values()]
            assert list(union["discriminator"]["mapping"]) == wire
        else:
            assert "discriminator" not in union and "oneOf" not in union
        for event in stream.events:
            frame = branches[event.name]
            if event.wire_name is None:
                assert "event" not in frame["properties"] and frame["not"] == {
                    "required": ["event"]
                }
            else:
                assert frame["properties"]["event"] == {"const": event.wire_name}
            assert ("x-sse-variant" in frame) == (event.tell.kind != "own")
            data = branches[event.name]["properties"]["data"]
            media = {"json": "application/json", "text": "text/plain"}.get(event.payload)
            assert data.get("contentMediaType") == media
            assert ("id" in branches[event.name]["required"]) == (stream.ids is not None)
            assert branches[event.name].get("x-sse-terminal", False) == event.terminal


def _doc(tmp_path: Path, specs: dict[str, str], *, openapi_31: bool = False) -> dict[str, Any]:
    (tmp_path / "specs").mkdir()
    for name, text in specs.items():
        (tmp_path / "specs" / name).write_text(textwrap.dedent(text), encoding="utf-8")
    files = build_files([tmp_path / "specs"], openapi_31=openapi_31)
    document: dict[str, Any] = json.loads(
        files["openapi-3.1.json" if openapi_31 else "openapi.json"]
    )
    return document


JOBS = """
    ssegen: 1
    info: {title: Jobs, version: '2'}
    schemas:
      Problem: {type: object, required: [title], properties: {title: {type: string}}}
    streams:
      events:
        path: /jobs/{job_id}/events
        params: {path: {job_id: {type: string}}}
        retry: 3000
        keepalive: 7.5
        resume: {ids: sequence, query: last_event_id}
        events:
          progress:
            data: {type: object, required: [percent], properties: {percent: {type: integer}}}
            examples: [{percent: 40}, {percent: 80}]
          log: {text: true, examples: ["two\\nlines"]}
          completed: {terminal: true}
          failed: {error: true, data: {$ref: '#/schemas/Problem'}}
"""


def test_a_stream_in_the_shape_of_the_event_catalog_design(tmp_path: Path) -> None:
    document = _doc(tmp_path, {"jobs.yaml": JOBS})
    operation = document["paths"]["/jobs/{job_id}/events"]["get"]
    assert operation["operationId"] == "events"
    resume = [(p["name"], p["in"], p["schema"]) for p in operation["parameters"][1:]]
    assert resume == [
        ("Last-Event-ID", "header", {"type": "string", "pattern": "^[0-9]{1,19}$"}),
        ("last_event_id", "query", {"type": "string", "pattern": "^[0-9]{1,19}$"}),
    ]
    assert sorted(operation["responses"]) == ["200", "204", "400", "422", "default"]
    problem = operation["responses"]["400"]["content"]["application/problem+json"]["schema"]
    assert resolve(document, problem["$ref"])["required"] == ["type", "title", "status"]
    media = stream_media(operation)
    assert media["x-sse"] == {
        "retry": 3000,
        "keepalive": 7.5,
        "resume": {"ids": "sequence", "header": "Last-Event-ID", "query": "last_event_id"},
        "terminal": ["completed", "failed"],
        "error": "failed",
    }
    branches = frame_branches(document, operation)
    payload = branches["progress"]["properties"]["data"]["contentSchema"]
    assert resolve(document, payload["$ref"])["required"] == ["percent"]
    failed = branches["failed"]["properties"]["data"]["contentSchema"]["$ref"]
    assert failed == "#/components/schemas/jobs.Problem"
    assert branches["failed"]["x-sse-error"] is True
    assert branches["completed"]["properties"]["data"] == {
        "const": "",
        "description": "Empty: the event has no payload.",
    }


def test_example_frames_are_whole_frames_that_parse_back_to_the_spec_examples(
    tmp_path: Path,
) -> None:
    document = _doc(tmp_path, {"jobs.yaml": JOBS})
    examples = stream_media(document["paths"]["/jobs/{job_id}/events"]["get"])["examples"]
    assert list(examples) == ["progress", "progress (2)", "log", "completed"]
    parser = Parser()
    parsed = [
        record
        for example in examples.values()
        for record in parser.feed(example["serializedValue"])
    ]
    assert [(r.type, r.last_event_id) for r in parsed] == [
        ("progress", "1"),
        ("progress", "2"),
        ("log", "3"),
        ("completed", "4"),
    ]
    assert [json.loads(r.data) for r in parsed[:2]] == [{"percent": 40}, {"percent": 80}]
    assert parsed[2].data == "two\nlines"
    assert examples["log"]["serializedValue"] == "event: log\ndata: two\ndata: lines\nid: 3\n\n"


def test_two_packages_never_clash(tmp_path: Path) -> None:
    other = JOBS.replace("title: Jobs", "title: Other").replace("/jobs/{job_id}", "/other/{job_id}")
    document = _doc(tmp_path, {"jobs.yaml": JOBS, "other.yaml": other})
    validate(document, cls=OpenAPIV32SpecValidator)
    assert unresolved(document) == []
    ids = sorted(op["operationId"] for _, _, op in operations(document))
    assert ids == ["jobs.events", "other.events"]  # a stream name used twice gets its package
    assert {
        "jobs.Problem",
        "other.Problem",
        "jobs.events.progress",
        "other.events.progress",
    } <= set(document["components"]["schemas"])
    assert document["info"]["title"] == "Jobs, Other"


def test_two_streams_on_one_operation_are_a_spec_error(tmp_path: Path) -> None:
    other = JOBS.replace("title: Jobs", "title: Other").replace("/jobs/{job_id}", "/jobs/{id}")
    other = other.replace("job_id: {type: string}", "id: {type: string}")
    with pytest.raises(SpecError) as caught:
        _doc(tmp_path, {"jobs.yaml": JOBS, "other.yaml": other})
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.path.endswith("specs/other.yaml")
    assert (diagnostic.position.line, diagnostic.position.col) != (1, 1)
    assert "stream 'events' of " in diagnostic.message
    assert "already serves GET /jobs/{id}/events" in diagnostic.message


def test_topics_document_the_missed_event(tmp_path: Path) -> None:
    feed = """
        ssegen: 1
        info: {title: Feed, version: '1'}
        streams:
          feed:
            path: /feeds/{feed_id}
            params: {path: {feed_id: {type: integer}}}
            resume: {ids: sequence}
            topic: {keep: 10, ttl: 60}
            events:
              item: {text: true}
    """
    document = _doc(tmp_path, {"feed.yaml": feed})
    operation = document["paths"]["/feeds/{feed_id}"]["get"]
    branches = frame_branches(document, operation)
    assert list(branches) == ["item", "ssegen.missed"]
    assert "id" not in branches["ssegen.missed"]["required"]
    sse = stream_media(operation)["x-sse"]
    assert sse["topic"] == {"key": ["feed_id"], "keep": 10, "ttl": 60}
    assert sse["missed"] == "ssegen.missed"
    assert "204" not in operation["responses"]  # no terminal event: a topic never answers 204


@pytest.mark.parametrize("case", ["specs", *sorted(p.name for p in GOLDEN.iterdir() if p.is_dir())])
def test_the_3_1_variant_is_valid_openapi_3_1(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT if case == "specs" else GOLDEN / case)
    files = build_files([Path("specs")], openapi_31=True)
    document = json.loads(files["openapi-3.1.json"])
    assert document["openapi"] == "3.1.0"
    validate(document, cls=OpenAPIV31SpecValidator)
    assert unresolved(document) == []
    # 3.1 refuses what only 3.2 has: the 3.2 document must not pass as 3.1.
    with pytest.raises(Exception):  # noqa: B017 - any validation error will do
        validate(
            {**json.loads(files["openapi.json"]), "openapi": "3.1.0"}, cls=OpenAPIV31SpecValidator
        )


def test_the_3_1_flag_writes_and_checks_the_variant(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(ROOT / "specs", tmp_path / "specs")
    monkeypatch.chdir(tmp_path)
    assert main(["build", "--openapi-3.1"]) == 0
    assert (tmp_path / "generated" / "openapi-3.1.json").is_file()
    assert main(["check", "--openapi-3.1"]) == 0
    capsys.readouterr()
    assert main(["check"]) == 1  # built with the flag: the 3.1 file is not expected without it
    assert "orphaned: generated/openapi-3.1.json" in capsys.readouterr().out
