"""Reading an OpenAPI document the way a viewer or a client generator would."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

Document = dict[str, Any]


def refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from refs(item)


def resolve(document: Document, ref: str) -> Any:
    """The target of a local `$ref` (JSON Pointer, RFC 6901); KeyError when there is none."""
    assert ref.startswith("#/"), ref
    node: Any = document
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def unresolved(document: Document) -> list[str]:
    missing = []
    for ref in refs(document):
        try:
            resolve(document, ref)
        except (KeyError, TypeError):
            missing.append(ref)
    return missing


def operations(document: Document) -> Iterator[tuple[str, str, Document]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def stream_media(operation: Document) -> Document:
    media: Document = operation["responses"]["200"]["content"]["text/event-stream"]
    return media


def frame_branches(document: Document, operation: Document) -> dict[str, Document]:
    """Event key (the branch's title) -> its frame schema, read through the itemSchema's union.

    The union is `oneOf` when event names tell the branches apart, `anyOf` when
    variants share a name or have none.
    """
    union = resolve(document, stream_media(operation)["itemSchema"]["$ref"])
    branches = {}
    for option in union.get("oneOf") or union["anyOf"]:
        branch = resolve(document, option["$ref"])
        branches[branch["title"]] = branch
    return branches
