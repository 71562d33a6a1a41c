"""Codegen cannot be hijacked: hostile spec strings stay data.

Every string below lands in a generated file (docstrings, literals, comments,
models). The build either reports a diagnostic or generates code that
compiles and imports without running any of it; the strings come back out of
the generated code exactly as written.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml
from ssegen.cli import main
from ssegen.pipeline import build_files
from ssegen.spec.diagnostics import SpecError

CANARY = "PWNED"
PAYLOAD = f"__import__('pathlib').Path({CANARY!r}).touch()"
HOSTILE = [
    PAYLOAD,
    f'"""); {PAYLOAD}; ("""',
    f"'''); {PAYLOAD}; ('''",
    f'"); {PAYLOAD}; ("',
    f"\\'); {PAYLOAD} #",
    f'\\"""\n{PAYLOAD}\n"""',
    f"line one\n{PAYLOAD}\r\nline three\rfour",
    "trailing backslash \\",
    f"\u2028{PAYLOAD}\u2029\x85\x0b\x0c",
    f"{{{{ {PAYLOAD} }}}} {{% raw %}} {{# x #}}",
    f"--> <!-- {PAYLOAD} -->",
    f"# {PAYLOAD}",
    "\ttabs\tand é ü 漢字 🎉 and \x00 nul",
    "x" * 100_000,
]


def _hostile_spec() -> dict[str, Any]:
    events: dict[str, Any] = {}
    for i, text in enumerate(HOSTILE):
        events[f"e{i}"] = {
            "summary": text,
            "description": text,
            "data": {
                "type": "object",
                "title": text,
                "description": text,
                "properties": {
                    "value": {
                        "type": "string",
                        "description": text,
                        "default": text,
                        "enum": [text, "ok"],
                    },
                    "pattern": {"type": "string", "pattern": "^[a-z]+$", "description": text},
                },
            },
            "examples": [{"value": text}],
        }
    events["sentinel"] = {"text": {"const": HOSTILE[1]}, "terminal": True}
    events["choice"] = {"text": {"enum": HOSTILE[:6]}}
    return {
        "ssegen": 1,
        "info": {"title": HOSTILE[1], "version": HOSTILE[2], "description": HOSTILE[6]},
        "package": "hostile",
        "schemas": {
            "Thing": {
                "type": "object",
                "description": HOSTILE[5],
                "properties": {"a": {"const": HOSTILE[3]}},
            }
        },
        "streams": {
            "stream": {
                "summary": HOSTILE[1],
                "description": HOSTILE[5],
                "tags": HOSTILE[:8],
                "path": "/hostile/{id}",
                "params": {
                    "path": {
                        "id": {
                            "type": "string",
                            "description": HOSTILE[2],
                            "pattern": r"^(?:''''|\"\"\"|[a-z\\]|\n)+$",
                        }
                    },
                    "query": {
                        "q": {"type": "string", "default": HOSTILE[3], "description": HOSTILE[6]},
                        "pick": {"type": "string", "enum": HOSTILE[:5], "default": HOSTILE[0]},
                    },
                    "header": {"X-Evil": {"type": "string", "description": HOSTILE[7]}},
                },
                "events": events,
            }
        },
    }


def test_hostile_strings_generate_inert_code(tmp_path: Path) -> None:
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "hostile.yaml").write_text(
        yaml.safe_dump(_hostile_spec(), allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    out = tmp_path / "generated"
    assert main(["build", str(specs), "-o", str(out)]) == 0
    for module in sorted(out.rglob("*.py")):
        compile(module.read_text(encoding="utf-8"), str(module), "exec")
    # Import everything and read the strings back, in a fresh process whose
    # working folder is where the canary would appear.
    check = textwrap.dedent(
        """
        import json
        from fastapi import FastAPI
        import generated.hostile as pkg
        from generated.hostile.service import HostileService
        from generated.hostile.streams import STREAM

        class Impl(HostileService):
            async def stream(self, **kwargs):
                yield None

        app = FastAPI()
        app.include_router(pkg.build_router(Impl()))
        op = app.openapi()["paths"]["/hostile/{id}"]["get"]
        print(json.dumps({
            "summary": op["summary"],
            "description": op["description"],
            "tags": op["tags"],
            "events": [e.name for e in STREAM.events],
            "doc": pkg.E0Event.__doc__,
            "title": app.openapi()["info"]["title"],
            "default": pkg.E0Data.model_fields["value"].default,
            "sentinel": pkg.SentinelEvent().data,
            "params": {p["name"]: p.get("schema", {}).get("default") for p in op["parameters"]},
        }))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", check],
        cwd=tmp_path,
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / CANARY).exists(), "generated code ran a spec string"
    seen = json.loads(result.stdout)
    assert seen["summary"] == HOSTILE[1]
    assert seen["description"] == HOSTILE[5]
    assert seen["tags"] == HOSTILE[:8]
    assert seen["events"][: len(HOSTILE)] == [f"e{i}" for i in range(len(HOSTILE))]
    assert HOSTILE[0] in seen["doc"]
    assert seen["default"] == HOSTILE[0]
    assert seen["sentinel"] == HOSTILE[1]
    assert seen["params"]["q"] == HOSTILE[3]
    assert seen["params"]["pick"] == HOSTILE[0]


@pytest.mark.parametrize(
    "package",
    [
        "../outside",
        "/etc/passwd",
        "a/b",
        "os.path",
        "x; import os",
        "class",
        "__import__('os')",
        "",
    ],
)
def test_package_names_never_become_paths(package: str, tmp_path: Path) -> None:
    spec = _minimal()
    spec["package"] = package
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    with pytest.raises(SpecError) as caught:
        build_files([tmp_path / "s.yaml"])
    assert any("package" in d.message for d in caught.value.diagnostics)


@pytest.mark.parametrize(
    ("where", "value"),
    [
        (("streams", "s", "events"), {"bad\nname": {}}),
        (("streams",), {"Bad Name": {"path": "/x", "events": {"e": {}}}}),
        (("streams", "s", "path"), "/x\nimport os"),
        (("streams", "s", "params"), {"query": {"a'b": {"type": "string"}}}),
        (("streams", "s", "params"), {"header": {'X-"Evil': {"type": "string"}}}),
        (("schemas",), {'Bad"Name': {"type": "object"}}),
    ],
)
def test_hostile_names_are_refused(where: tuple[str, ...], value: Any, tmp_path: Path) -> None:
    spec = _minimal()
    target = spec
    for part in where[:-1]:
        target = target[part]
    target[where[-1]] = value
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    with pytest.raises(SpecError):
        build_files([tmp_path / "s.yaml"])


def _minimal() -> dict[str, Any]:
    return {
        "ssegen": 1,
        "info": {"title": "T", "version": "1"},
        "streams": {"s": {"path": "/s", "events": {"e": {}}}},
    }
