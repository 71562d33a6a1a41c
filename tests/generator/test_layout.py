"""The package layout's rules (ARCHITECTURE.md): the build never loads the runtime, no import cycles."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import ssegen

PACKAGE = Path(ssegen.__file__).parent
# The preview server serves over the runtime; nothing else outside it may import it.
# What may use the runtime: the mock server, and the client, which decodes with the StreamSpec.
SERVING = ("ssegen.preview", "ssegen.runtime", "ssegen.client")


def test_the_build_pipeline_does_not_import_the_runtime_or_fastapi() -> None:
    code = (
        "import sys, ssegen.pipeline, ssegen.cli, ssegen.output;"
        "print(sorted({m.split('.')[0] if not m.startswith('ssegen') else m for m in sys.modules"
        " if m.startswith(('fastapi', 'starlette', 'uvicorn', 'ssegen.runtime', 'ssegen.preview'))}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def _unit(module: str) -> str:
    """What a cycle is counted between: a subpackage of ssegen, or a top-level module."""
    parts = module.split(".")
    return ".".join(parts[:2])


def _imports() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE.parent).with_suffix("")
        module = ".".join(relative.parts).removesuffix(".__init__")
        targets = graph.setdefault(_unit(module), set())
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            for name in names:
                if name.startswith("ssegen.") and _unit(name) != _unit(module):
                    targets.add(_unit(name))
    return graph


def test_no_import_cycle_between_packages_or_top_level_modules() -> None:
    graph = _imports()
    state: dict[str, str] = {}
    cycles: list[list[str]] = []

    def visit(unit: str, trail: list[str]) -> None:
        state[unit] = "open"
        for target in sorted(graph.get(unit, ())):
            if state.get(target) == "open":
                cycles.append([*trail[trail.index(target) :], target])
            elif target not in state:
                visit(target, [*trail, target])
        state[unit] = "done"

    for unit in sorted(graph):
        if unit not in state:
            visit(unit, [unit])
    assert cycles == []


def test_only_the_preview_and_the_client_import_the_runtime() -> None:
    graph = _imports()
    importers = sorted(u for u, targets in graph.items() if "ssegen.runtime" in targets)
    assert [u for u in importers if u not in SERVING] == []
