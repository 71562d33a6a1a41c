"""The whole pipeline in memory: spec paths in, {relative path: text} out.

load -> validate -> check -> lower -> render (architecture.md). Every stage
records diagnostics instead of raising; if any were recorded, `build_files`
raises one SpecError carrying all of them, sorted.

The stages and the data flow between them: ARCHITECTURE.md.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ssegen import ir
from ssegen.ir.lower import lower
from ssegen.ir.naming import package_from_stem
from ssegen.ir.refs import Resolver
from ssegen.render.models import ModelError
from ssegen.render.package import render_catalog, render_openapi
from ssegen.smoke import check_packages
from ssegen.spec.checks import Routes, check_routes, check_spec
from ssegen.spec.diagnostics import Diagnostic, Position, SpecError
from ssegen.spec.loader import Document, load
from ssegen.spec.validate import validate
from ssegen.text import one_line

SPEC_SUFFIXES = (".yaml", ".yml")
_RESERVED_PACKAGES = frozenset({"docs"})  # generated/docs/ holds the contract pages


@dataclass
class _Workspace:
    """Loaded documents by real path, shared by catalogs that $ref each other's files."""

    roots: list[Path]
    documents: dict[Path, Document] = field(default_factory=dict)

    def document(self, path: Path) -> Document:
        real = path.resolve()
        if real not in self.documents:
            self.documents[real] = load(real, _display(path))
        return self.documents[real]

    def sibling(self, doc: Document, relative: str) -> Document | None:
        origin = next(real for real, known in self.documents.items() if known is doc)
        target = (origin.parent / relative).resolve()
        if not any(target.is_relative_to(root) for root in self.roots) or not target.is_file():
            return None
        return self.document(target)


def discover(paths: Sequence[Path]) -> tuple[list[Path], list[Diagnostic]]:
    """Spec files named directly, or found (recursively, sorted) under folders."""
    found: list[Path] = []
    problems: list[Diagnostic] = []
    for path in paths:
        if path.is_dir():
            found.extend(
                sorted(p for p in path.rglob("*") if p.suffix in SPEC_SUFFIXES and p.is_file())
            )
        elif path.is_file():
            found.append(path)
        else:
            problems.append(Diagnostic(_display(path), Position(), "no such file or folder"))
    return found, problems


def build_catalogs(paths: Sequence[Path]) -> list[ir.Catalog]:
    return [catalog for catalog, _ in build_contracts(paths)]


def build_contracts(paths: Sequence[Path]) -> list[tuple[ir.Catalog, Document]]:
    """Each spec's catalog with its loaded document (positions for `ssegen diff`)."""
    files, problems = discover(paths)
    if not files and not problems:
        problems.append(
            Diagnostic(", ".join(_display(p) for p in paths), Position(), "no spec files found")
        )
    roots = [(p if p.is_dir() else p.parent).resolve() for p in paths if p.exists()]
    workspace = _Workspace(roots)
    catalogs: list[tuple[ir.Catalog, Document]] = []
    packages: dict[str, str] = {}
    routes: Routes = {}
    for path in files:
        doc = workspace.document(path)
        if isinstance(doc.data, dict) and "streams" not in doc.data and "schemas" in doc.data:
            continue  # a schema library: only referenced from other specs
        spec = validate(doc) if doc.data is not None else None
        if spec is None:
            continue
        check_spec(doc, spec)
        check_routes(doc, spec, routes)
        package = spec.package or package_from_stem(path.stem)
        if package in packages or package in _RESERVED_PACKAGES:
            why = (
                f"is also built from {packages[package]}" if package in packages else "is reserved"
            )
            doc.error(
                ("package",), f"package '{package}' {why}; set a different 'package'", key=True
            )
        packages.setdefault(package, doc.path)
        catalog = lower(doc, spec, Resolver(doc, workspace.sibling), package, doc.path)
        if not doc.diagnostics:
            catalogs.append((catalog, doc))
    for doc in workspace.documents.values():
        problems.extend(doc.diagnostics)
    if problems:
        raise SpecError(problems)
    return catalogs


def build_files(paths: Sequence[Path], *, openapi_31: bool = False) -> dict[str, str]:
    """Every generated file for the specs under `paths`, rendered in memory.

    Per package its modules and `docs/<package>.md`; for all of them one
    `openapi.json` (and `openapi-3.1.json` with `openapi_31`). Only packages that
    import, build their router and render their OpenAPI document get this far
    (`smoke.py`).
    """
    catalogs = build_catalogs(paths)
    files: dict[str, str] = {}
    problems: list[Diagnostic] = []
    for catalog in catalogs:
        try:
            files.update(render_catalog(catalog))
        except ModelError as exc:
            problems.append(Diagnostic(catalog.source, Position(), one_line(exc, 400)))
    files.update(render_openapi(catalogs, openapi_31=openapi_31))
    if not problems:
        problems.extend(check_packages(files, catalogs))
    if problems:
        raise SpecError(problems)
    return dict(sorted(files.items()))


def _display(path: Path) -> str:
    """The spec path as diagnostics and headers show it: relative to the working folder."""
    try:
        return Path(os.path.relpath(path.absolute())).as_posix()
    except ValueError:  # another drive on Windows
        return path.as_posix()
