"""Payload and body models: datamodel-code-generator, called in-process.

One call per catalog with every schema under `$defs` (its CLI would cost
about half a second per call; in-process it is tens of milliseconds). The
generator is pinned exactly in pyproject.toml because its output is committed.
"""

from __future__ import annotations

import ast
import warnings
from typing import Any

from datamodel_code_generator import LiteralType, generate
from datamodel_code_generator.enums import DataModelType, InputFileType
from datamodel_code_generator.format import PythonVersion
from ssegen.spec.keywords import for_models
from ssegen.text import one_line


class ModelError(Exception):
    """datamodel-code-generator refused the schemas, or renamed one we rely on."""


def render_models(defs: dict[str, dict[str, Any]], header: str) -> str:
    document = {"$defs": {name: for_models(schema) for name, schema in defs.items()}}
    with warnings.catch_warnings():
        # It warns about future default changes; every option we rely on is explicit.
        warnings.simplefilter("ignore")
        try:
            output = generate(
                document,
                input_file_type=InputFileType.JsonSchema,
                output_model_type=DataModelType.PydanticV2BaseModel,
                target_python_version=PythonVersion.PY_311,
                formatters=[],  # formatted once, with the other modules (package._format)
                custom_file_header=header,
                disable_timestamp=True,
                skip_root_model=True,
                field_constraints=True,
                use_annotated=True,
                use_union_operator=True,
                use_standard_collections=True,
                use_double_quotes=True,
                use_schema_description=True,
                use_field_description=True,
                use_single_line_docstring=True,
                enum_field_as_literal=LiteralType.All,
            )
        except Exception as exc:  # the generator raises many kinds; all mean "these schemas"
            raise ModelError(
                f"the payload models cannot be generated: {one_line(exc, 300)}"
            ) from exc
    if not isinstance(output, str):
        raise ModelError("datamodel-code-generator returned no single module")
    tree = ast.parse(output)
    if any(isinstance(node, ast.keyword) and node.arg == "regex_engine" for node in ast.walk(tree)):
        # Every spec pattern compiles on the Rust engine (keywords.py): a generator change.
        raise ModelError("the payload models would match patterns with Python's backtracking re")
    defined = {node.name for node in tree.body if isinstance(node, ast.ClassDef)}
    missing = sorted(set(defs) - defined)
    if missing:
        raise ModelError(
            "datamodel-code-generator renamed schema(s) "
            + ", ".join(missing)
            + ": a nested object probably takes the same name; rename one of them"
        )
    return output
