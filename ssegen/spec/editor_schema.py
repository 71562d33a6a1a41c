"""The editor schema: spec format v1 as a JSON Schema draft-07, for yaml-language-server.

It is generated from the spec model (`model.py`), so it cannot drift from
what `ssegen build` accepts as a shape: the same keys, types, bounds and name
patterns. What needs more than one field (undeclared path parameters,
examples against their schemas, name collisions) stays `build`'s to report.
Draft-07 because yaml-language-server (VS Code's YAML extension) supports it;
pydantic writes 2020-12's `$defs`, renamed here to draft-07's `definitions`.

What users see of it: README, "Spec format" > "Editor support"; `ssegen schema`.
"""

from __future__ import annotations

import json
from typing import Any

from ssegen.spec.model import (
    EVENT_NAME,
    HEADER_NAME,
    PARAM_NAME,
    SCHEMA_NAME,
    SCHEME_NAME,
    STREAM_NAME,
    Spec,
)

DRAFT_07 = "http://json-schema.org/draft-07/schema#"
# Mapping keys the model types as plain `str`, with the patterns checks.py holds them to.
_KEY_PATTERNS = {
    ("Spec", "streams"): STREAM_NAME,
    ("Spec", "schemas"): SCHEMA_NAME,
    ("Spec", "security_schemes"): SCHEME_NAME,
    ("Stream", "events"): EVENT_NAME,
    ("Params", "path"): PARAM_NAME,
    ("Params", "query"): PARAM_NAME,
    ("Params", "header"): HEADER_NAME,
}


def editor_schema() -> dict[str, Any]:
    """The JSON Schema (draft-07) of a spec file."""
    schema = Spec.model_json_schema(by_alias=True)
    text = json.dumps(schema).replace('"#/$defs/', '"#/definitions/')
    result: dict[str, Any] = json.loads(text)
    definitions = result.pop("$defs", {})
    definitions["Spec"] = {k: v for k, v in result.items()}
    for (model, field), pattern in _KEY_PATTERNS.items():
        definitions[model]["properties"][field]["propertyNames"] = {"pattern": pattern.pattern}
    return {
        "$schema": DRAFT_07,
        "title": "ssegen spec format v1",
        "description": "A YAML description of Server-Sent Event streams (README, 'Spec format').",
        "$ref": "#/definitions/Spec",
        "definitions": dict(sorted(definitions.items())),
    }


def render_editor_schema() -> str:
    return json.dumps(editor_schema(), indent=2, ensure_ascii=False) + "\n"
