"""The last stage of a build: the rendered packages must import and serve.

Every spec problem ssegen knows of is reported at its position by the earlier
stages; this is the backstop for the ones it does not know yet. Each package
is imported from memory (nothing is written), its `build_router()` is called
with a stand-in service and broker, and a FastAPI app's OpenAPI document is
rendered from it. A failure is a spec error at the top of that spec, so a
build never exits 0 with code that fails in the user's app.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from types import ModuleType
from typing import Any

from ssegen import ir
from ssegen.memory_import import imported
from ssegen.spec.diagnostics import Diagnostic, Position
from ssegen.text import one_line


class _StandInBroker:
    """Passed as `broker`: build_router only stores it; no request ever reaches it here."""


def check_packages(files: Mapping[str, str], catalogs: Sequence[ir.Catalog]) -> list[Diagnostic]:
    """One diagnostic per catalog whose package fails to import, route or document itself."""
    from fastapi import FastAPI  # the generated code's own dependency, loaded on first build

    problems: list[Diagnostic] = []
    for catalog in catalogs:
        prefix = f"{catalog.package}/"
        own = {path: text for path, text in files.items() if path.startswith(prefix)}
        stage = "does not import"
        try:
            with imported(own, [catalog.package]) as modules:
                stage = "fails in build_router()"
                router = _router(catalog, modules[catalog.package])
                stage = "fails to render its OpenAPI document"
                app = FastAPI()
                app.include_router(router)
                app.openapi()
        except Exception as exc:  # noqa: BLE001 - whatever it is, it is this spec's build failing
            message = f"the generated package '{catalog.package}' {stage}: {_describe(exc)}"
            problems.append(Diagnostic(catalog.source, Position(), message))
    return problems


def _router(catalog: ir.Catalog, package: ModuleType) -> Any:
    arguments: dict[str, Any] = {}
    parameters = inspect.signature(package.build_router).parameters
    if "service" in parameters:
        arguments["service"] = _stand_in(getattr(package, catalog.service_class))
    if "broker" in parameters:
        arguments["broker"] = _StandInBroker()
    if "access" in parameters:
        arguments["access"] = _stand_in(getattr(package, catalog.access_class))
    for scheme in catalog.security_schemes:
        arguments[scheme.py_name] = _not_called
    return package.build_router(**arguments)


def _stand_in(base: type) -> Any:
    """An instance of the generated abstract class `base` whose methods are never called."""
    methods = {name: _not_called for name in getattr(base, "__abstractmethods__", ())}
    return type(f"StandIn{base.__name__}", (base,), methods)()


def _not_called(*args: object, **kwargs: object) -> None:
    raise AssertionError("a stand-in service is never called")


def _describe(exc: BaseException) -> str:
    return one_line(f"{type(exc).__name__}: {exc}", 300)
