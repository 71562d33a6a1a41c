"""The event catalog as OpenAPI 3.1, for tools that refuse 3.2 documents (`--openapi-3.1`).

OpenAPI 3.1 cannot say that a response is a sequence of items: it has no
`itemSchema` and no `serializedValue`. So each stream's `schema` becomes its
frame union, with a description that says it describes one event rather
than the body, and each example frame becomes a string `value`. Everything
else (JSON Schema 2020-12 with `const`, `contentMediaType`, `contentSchema`,
the discriminator, `x-sse`) is already valid 3.1, but for OAuth 2.0's
device authorization flow, new in 3.2: it is kept as the extension
`x-deviceAuthorization` of its scheme's flows.
"""

from __future__ import annotations

import copy
from typing import Any

OPENAPI_31_VERSION = "3.1.0"
_ITEM = (
    "Each event of the stream is one frame matching this schema "
    "(OpenAPI 3.2 calls it the `itemSchema`; 3.1 has no word for it)."
)


def _media_type(media: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in media.items():
        if key == "itemSchema":
            result["schema"] = {**value, "description": _ITEM}
        elif key == "examples":
            result[key] = {
                name: {
                    **{k: v for k, v in example.items() if k != "serializedValue"},
                    "value": example["serializedValue"],
                }
                for name, example in value.items()
            }
        else:
            result[key] = value
    return result


def downgrade_to_31(document: dict[str, Any]) -> dict[str, Any]:
    """A copy of the 3.2 `document` (as `openapi.py` builds it) that validates as OpenAPI 3.1."""
    result = copy.deepcopy(document)
    result["openapi"] = OPENAPI_31_VERSION
    for item in result.get("paths", {}).values():
        for operation in item.values():
            for response in operation.get("responses", {}).values():
                content = response.get("content", {})
                if "text/event-stream" in content:
                    content["text/event-stream"] = _media_type(content["text/event-stream"])
    for scheme in result.get("components", {}).get("securitySchemes", {}).values():
        flows = scheme.get("flows", {})
        if "deviceAuthorization" in flows:
            flows["x-deviceAuthorization"] = flows.pop("deviceAuthorization")
    return result
