"""One line gives an app its event catalog and a docs page that shows SSE events.

    from ssegen.runtime.docs import add_event_catalog
    add_event_catalog(app)  # reads generated/openapi.json (here, or beside the app's module)

FastAPI documents one payload type per stream, never the event names, and
labels a document that uses OpenAPI 3.2's `itemSchema` as 3.1.0. This helper
makes `app.openapi()` the app's own document with every operation ssegen
generated replaced by its entry in the catalog `ssegen build` wrote: version
3.2.0, one `oneOf` branch per event, every component registered. Routes that
are not streams keep what FastAPI says about them.

The docs page lists every stream's events itself, then embeds Scalar's
interactive reference, which renders 3.2's `itemSchema`; Redoc 2 (behind
FastAPI's `/redoc`) refuses 3.2 documents. Like every part of the runtime it
depends on nothing in the generator: it reads JSON.

What users see of it: README, "Event catalog and docs" > "In your app".
"""

from __future__ import annotations

import copy
import inspect
import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from ssegen.runtime.docs_page import render_page
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response

SCALAR_VERSION = "1.72.1"
SCALAR_CDN = f"https://cdn.jsdelivr.net/npm/@scalar/api-reference@{SCALAR_VERSION}/dist/browser/standalone.js"
DEFAULT_CATALOG = Path("generated/openapi.json")
LOCAL_SCALAR = Path("node_modules/@scalar/api-reference/dist/browser/standalone.js")

Document = dict[str, Any]
_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace", "query"})
# The component kinds the catalog brings and prunes; securitySchemes are merged, never pruned.
_PRUNED_KINDS = ("schemas", "mediaTypes")


def find_catalog(near: str | os.PathLike[str] | None = None) -> Path:
    """Where the default catalog (`generated/openapi.json`) is: under the current folder, else
    under the folder of `near` (the app's module file) or one of its parents.

    Raises FileNotFoundError naming every place it looked.
    """
    places = [Path.cwd()]
    if near is not None:
        origin = Path(near).resolve()
        places += [origin.parent, *origin.parent.parents]
    tried = []
    for folder in dict.fromkeys(places):
        candidate = folder / DEFAULT_CATALOG
        if candidate.is_file():
            return candidate
        tried.append(str(candidate))
    raise FileNotFoundError(
        "no event catalog found (looked for "
        + ", ".join(tried[:4])
        + (", ..." if len(tried) > 4 else "")
        + "); run `ssegen build` first, or pass its path to add_event_catalog(app, path)"
    )


def load_catalog(
    catalog: str | os.PathLike[str] | Mapping[str, Any] = DEFAULT_CATALOG,
    *,
    near: str | os.PathLike[str] | None = None,
) -> Document:
    """The catalog document: a mapping as given, or the JSON file `ssegen build` wrote.

    The default path is looked up by `find_catalog` (the current folder, then
    around `near`); any other path is taken as given.
    """
    if isinstance(catalog, Mapping):
        return copy.deepcopy(dict(catalog))
    path = find_catalog(near) if Path(catalog) == DEFAULT_CATALOG else Path(catalog)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FileNotFoundError(
            f"{path}: no event catalog here; run `ssegen build` first"
        ) from None
    document = json.loads(text)
    if not isinstance(document, dict) or "paths" not in document:
        raise ValueError(f"{path}: not an OpenAPI document")
    return document


def find_local_scalar(near: str | os.PathLike[str] | None = None) -> Path | None:
    """Scalar's bundle from `npm install @scalar/api-reference`, if installed.

    Looked for in `node_modules/` under the current folder, then beside `near`
    (the app's module) and its parents: the copy the docs page falls back on.
    """
    places = [Path.cwd()]
    if near is not None:
        origin = Path(near).resolve()
        places += [origin.parent, *origin.parent.parents]
    for folder in dict.fromkeys(places):
        candidate = folder / LOCAL_SCALAR
        if candidate.is_file():
            return candidate
    return None


def add_event_catalog(
    app: FastAPI,
    catalog: str | os.PathLike[str] | Mapping[str, Any] = DEFAULT_CATALOG,
    *,
    docs_url: str = "/reference",
    script_url: str = SCALAR_CDN,
    script_path: str | os.PathLike[str] | None = None,
    config: Mapping[str, Any] | None = None,
    local_fallback: bool = True,
) -> None:
    """Serve the event catalog as `app`'s OpenAPI document, and a docs page at `docs_url`.

    The page lists every stream's events itself (ssegen.runtime.docs_page), then
    loads Scalar's standalone bundle for the interactive reference: from
    `script_path` (a local copy) when given, else from a copy installed in
    `node_modules/` when one is found (`find_local_scalar`; `local_fallback=False`
    skips the search), then from
    `script_url` (a CDN by default, pinned). When none loads, the page says so.
    `config` adds Scalar configuration options.
    """
    # The default catalog and Scalar's local copy are also looked for around the module
    # that calls this (the app), so an app started from another folder still finds them.
    caller = inspect.stack(context=0)[1].filename
    document = load_catalog(catalog, near=caller if catalog == DEFAULT_CATALOG else None)
    app_openapi = app.openapi
    merged: list[Document] = []

    def openapi() -> Document:
        if not merged:
            merged.append(merge_catalog(app_openapi(), document))
            app.openapi_schema = merged[0]
        return merged[0]

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to extend it
    openapi_url = app.openapi_url
    if openapi_url is None:
        openapi_url = f"{docs_url}/openapi.json"
        app.add_api_route(openapi_url, lambda: JSONResponse(openapi()), include_in_schema=False)
    if script_path is not None:
        local: Path | None = Path(script_path)
    else:
        local = find_local_scalar(caller) if local_fallback else None
    if script_path is not None and local is not None and not local.is_file():
        raise FileNotFoundError(f"{local}: no Scalar bundle here")
    local_url = f"{docs_url}/standalone.js"
    if local is not None:
        bundle = local
        app.add_api_route(
            local_url,
            lambda: FileResponse(bundle, media_type="text/javascript"),
            include_in_schema=False,
        )
    settings = dict(config or {})
    title = str(document.get("info", {}).get("title") or app.title)

    def page(request: Request) -> Response:
        root = str(request.scope.get("root_path", ""))
        sources = [root + local_url] if local is not None else []
        if script_path is None or script_url != SCALAR_CDN:
            sources.append(script_url)  # a given local copy is not second-guessed by the CDN
        return HTMLResponse(
            render_page(title, openapi(), sources, {"url": root + str(openapi_url), **settings})
        )

    app.add_api_route(docs_url, page, include_in_schema=False)


def merge_catalog(app_document: Mapping[str, Any], catalog: Mapping[str, Any]) -> Document:
    """`app_document` with its stream operations taken from `catalog`, as OpenAPI 3.2.0.

    An operation is the catalog's when the method matches and the path is the
    catalog's, or ends with it (a router mounted under a prefix) with the same
    operationId. Components the document no longer references are dropped.
    """
    merged: Document = copy.deepcopy(dict(app_document))
    merged["openapi"] = catalog.get("openapi", "3.2.0")
    for path, item in merged.get("paths", {}).items():
        for method, operation in item.items():
            if method in _METHODS and isinstance(operation, dict):
                found = _catalog_operation(catalog, path, method, operation.get("operationId"))
                if found is not None:
                    item[method] = keep_app_additions(copy.deepcopy(found), operation)
    components = merged.setdefault("components", {})
    for kind in (*_PRUNED_KINDS, "securitySchemes"):
        added = copy.deepcopy(catalog.get("components", {}).get(kind, {}))
        if added or kind in _PRUNED_KINDS:
            components[kind] = {**components.get(kind, {}), **added}
    _prune(merged)
    return merged


def keep_app_additions(operation: Document, app_operation: Mapping[str, Any]) -> Document:
    """The catalog's `operation` with what the app added to its route kept from FastAPI's.

    An app mounts a router with a prefix, tags, `responses` or dependencies
    (`include_router(..., dependencies=[Depends(...)])`): FastAPI documents
    their parameters and security requirements, the catalog cannot know them.
    Parameters the catalog lacks are added; the app's security requirements,
    which FastAPI lists one per dependency but all of which must pass, are
    added to each alternative of the catalog's (or stand alone); tags the
    catalog lacks are added. Responses stay the catalog's: FastAPI's are the
    generated route's own.
    """
    known = {(p.get("name"), p.get("in")) for p in operation.get("parameters", [])}
    extra = [
        p
        for p in app_operation.get("parameters", [])
        if isinstance(p, dict) and (p.get("name"), p.get("in")) not in known
    ]
    if extra:
        operation["parameters"] = [*operation.get("parameters", []), *copy.deepcopy(extra)]
    required: dict[str, Any] = {}
    for requirement in app_operation.get("security", []):
        required.update(copy.deepcopy(requirement))
    if required:
        alternatives = [a for a in operation.get("security", []) if isinstance(a, dict)]
        operation["security"] = [{**a, **required} for a in alternatives] or [required]
    tags = [t for t in app_operation.get("tags", []) if t not in operation.get("tags", [])]
    if tags:
        operation["tags"] = [*operation.get("tags", []), *tags]
    return operation


def _catalog_operation(
    catalog: Mapping[str, Any], path: str, method: str, operation_id: Any
) -> Any:
    for catalog_path, item in catalog.get("paths", {}).items():
        operation = item.get(method)
        if operation is None:
            continue
        if catalog_path == path:
            return operation
        stream = str(operation.get("operationId", "")).rpartition(".")[2]
        if path.endswith(catalog_path) and operation_id == stream:
            return operation
    return None


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def _prune(document: Document) -> None:
    """Drop the schemas and media types nothing references (FastAPI's, of replaced operations)."""
    components = document["components"]
    outside = {key: value for key, value in document.items() if key != "components"}
    outside["components"] = {k: v for k, v in components.items() if k not in _PRUNED_KINDS}
    pending = list(_refs(outside))
    reached: set[tuple[str, str]] = set()
    while pending:
        parts = pending.pop().split("/")
        if len(parts) != 4 or parts[:2] != ["#", "components"] or parts[2] not in _PRUNED_KINDS:
            continue
        key = (parts[2], parts[3])
        target = components.get(parts[2], {}).get(parts[3])
        if key not in reached and target is not None:
            reached.add(key)
            pending.extend(_refs(target))
    for kind in _PRUNED_KINDS:
        kept = {
            name: value
            for name, value in components.get(kind, {}).items()
            if (kind, name) in reached
        }
        if kept:
            components[kind] = dict(sorted(kept.items()))
        else:
            components.pop(kind, None)
    if not components:
        del document["components"]
