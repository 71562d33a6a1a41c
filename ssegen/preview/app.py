"""`ssegen serve`: every stream of the specs, served by a mock, with the docs page.

The specs are built in memory (nothing is written), the rendered packages are
imported from memory, each service is a mock that streams the examples
(`mock.py`), and the generated routers serve them with ssegen's runtime, so
retry, ids, resume, keepalive and 204 behave as they will in production.
Front-end developers point EventSource at it before the backend exists.
A secured stream still needs credentials (401 without), but any are accepted,
and every caller may subscribe to every topic instance.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from ssegen import ir
from ssegen.memory_import import import_rendered
from ssegen.pipeline import build_catalogs
from ssegen.preview.mock import PreviewBroker, StreamPlan, mock_service, plan_stream
from ssegen.render.openapi import openapi_document
from ssegen.render.package import render_catalog
from ssegen.runtime import Broker, Credentials
from ssegen.runtime.docs import SCALAR_CDN, add_event_catalog
from starlette.responses import RedirectResponse

DOCS_URL = "/docs"


@dataclass(frozen=True)
class Preview:
    app: FastAPI
    plans: tuple[StreamPlan, ...]
    catalogs: tuple[ir.Catalog, ...] = ()

    @property
    def skipped(self) -> list[str]:
        """`stream: event` for each event the mock cannot send (no example, no valid sample)."""
        return [f"{plan.stream.name}: {name}" for plan in self.plans for name in plan.skipped]


def _router(
    catalog: ir.Catalog,
    package: ModuleType,
    plans: list[StreamPlan],
    broker: Broker,
    interval: float,
) -> APIRouter:
    """The package's generated router, given a mock service and/or the preview broker."""
    arguments: dict[str, Any] = {}
    handler_plans = [plan for plan in plans if plan.stream.topic is None]
    if handler_plans:
        service_class = getattr(package, catalog.service_class)
        arguments["service"] = mock_service(service_class, handler_plans, interval)
    if "broker" in inspect.signature(package.build_router).parameters:
        arguments["broker"] = broker
    if catalog.secured_topics:
        arguments["access"] = _open_access(getattr(package, catalog.access_class))
    for scheme in catalog.security_schemes:
        arguments[scheme.py_name] = _any_credentials
    router: APIRouter = package.build_router(**arguments)
    return router


def _any_credentials(credentials: Credentials) -> Credentials:
    """The mock's authenticator: credentials must be sent, and any are accepted."""
    return credentials


async def _allowed(*args: Any, **kwargs: Any) -> bool:
    return True


def _open_access(base: type) -> Any:
    """The mock's topic authorization: every caller with credentials may subscribe."""
    methods = {name: _allowed for name in getattr(base, "__abstractmethods__", ())}
    return type(f"Mock{base.__name__}", (base,), methods)()


def preview_app(
    specs: Sequence[Path],
    *,
    interval: float = 1.0,
    script_url: str = SCALAR_CDN,
    script_path: str | os.PathLike[str] | None = None,
) -> Preview:
    """The mock app of `specs` (a SpecError when they do not build)."""
    catalogs = build_catalogs(specs)
    files: dict[str, str] = {}
    for catalog in catalogs:
        files.update(render_catalog(catalog))
    packages = import_rendered(files, [catalog.package for catalog in catalogs])
    all_plans: list[StreamPlan] = []
    brokers: list[PreviewBroker] = []
    routers = []
    for catalog in catalogs:
        package = packages[catalog.package]
        plans = [plan_stream(catalog, stream, package) for stream in catalog.streams]
        all_plans.extend(plans)
        broker = PreviewBroker({p.stream.name: p for p in plans if p.stream.topic}, interval)
        brokers.append(broker)
        routers.append(_router(catalog, package, plans, broker, interval))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        for broker in brokers:
            await broker.aclose()

    document = openapi_document(catalogs)
    info = document["info"]
    app = FastAPI(
        title=str(info["title"]) or "ssegen mock",  # a folder of schema libraries only
        version=str(info["version"]) or "0",
        description=str(info.get("description", "")),
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    for router in routers:
        app.include_router(router)
    # A mock is called from the front end's dev server, another origin: allow any
    # (no credentials), and the Last-Event-ID header a resuming fetch() sends.
    app.add_middleware(
        CORSMiddleware, allow_origins=["*"], allow_methods=["*"], allow_headers=["*"]
    )
    add_event_catalog(
        app, document, docs_url=DOCS_URL, script_url=script_url, script_path=script_path
    )
    app.add_api_route("/", lambda: RedirectResponse(DOCS_URL), include_in_schema=False)
    return Preview(app, tuple(all_plans), tuple(catalogs))
