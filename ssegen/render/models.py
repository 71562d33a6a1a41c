"""Payload and body models: datamodel-code-generator, called in-process.

One call per catalog with every schema under `$defs` (its CLI would cost
about half a second per call; in-process it is tens of milliseconds). The
generator is pinned exactly in pyproject.toml because its output is committed.
"""

from __future__ import annotations

import ast
import io
import warnings
from typing import Any

from datamodel_code_generator import LiteralType, generate
from datamodel_code_generator.enums import DataModelType, InputFileType
from datamodel_code_generator.format import PythonVersion
from ssegen.spec.keywords import for_models
from ssegen.text import one_line


class ModelError(Exception):
    """datamodel-code-generator refused the schemas, or renamed one we rely on."""


def render_models(
    defs: dict[str, dict[str, Any]], omit_none: dict[str, tuple[str, ...]], header: str
) -> str:
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
                # `type: Literal["start"] = "start"`: a variant's const (its discriminator)
                # need not be repeated by the handler; defaults are always sent (wire.py).
                use_one_literal_as_default=True,
                # A named enum, const or scalar schema is an alias, not a RootModel class:
                # `Data(stage="build")` type-checks, and there is no `.root` to unwrap.
                use_type_alias=True,
                # A member with a default is `bool = False`, not `bool | None = False`:
                # None only where the schema admits null.
                strict_nullable=True,
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
    defined = {node.name for node in tree.body if isinstance(node, ast.ClassDef)} | {
        target.id  # `Stage = TypeAliasType("Stage", Literal[...])`
        for node in tree.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    missing = sorted(set(defs) - defined)
    if missing:
        raise ModelError(
            "datamodel-code-generator renamed schema(s) "
            + ", ".join(missing)
            + ": a nested object probably takes the same name; rename one of them"
        )
    return _omit_none(output, tree, omit_none)


# Emitted once into models.py when some member needs it (pydantic's `Field(exclude_if=...)`).
_OMIT_HELPER = '''

def _omit_if_none(value: object) -> bool:
    """Optional members whose schema does not admit null are left out when None, not sent as null."""
    return value is None
'''


def _omit_none(output: str, tree: ast.Module, omit: dict[str, tuple[str, ...]]) -> str:
    """`output` with `exclude_if=_omit_if_none` on each member `omit` names (`ssegen.ir.nested`).

    datamodel-code-generator types an optional member `X | None = None` whether or
    not its schema admits null; the IR knows which do not, and these are the only
    members whose None must not reach the wire (the runtime writes every other
    member, defaults included). Edits go from the end of the text backwards, by AST position.
    """
    # Lines as the tokenizer counts them (LF, CRLF, CR), not str.splitlines' (which also
    # breaks at U+2028, form feeds, ... that a docstring may hold).
    lines = io.StringIO(output, newline="").readlines()
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def offset(line: int, col: int) -> int:
        return starts[line - 1] + len(lines[line - 1].encode()[:col].decode())

    edits: list[tuple[int, int, str]] = []
    for node in tree.body:
        members = set(omit.get(node.name, ())) if isinstance(node, ast.ClassDef) else set()
        for stmt in node.body if members and isinstance(node, ast.ClassDef) else []:
            if not isinstance(stmt, ast.AnnAssign) or not isinstance(stmt.target, ast.Name):
                continue
            if _wire_name(stmt) not in members or stmt.value is None:
                continue
            value = stmt.value
            assert value.end_lineno is not None and value.end_col_offset is not None
            start = offset(value.lineno, value.col_offset)
            end = offset(value.end_lineno, value.end_col_offset)
            if isinstance(value, ast.Call) and getattr(value.func, "id", None) == "Field":
                edits.append((end - 1, end - 1, ", exclude_if=_omit_if_none"))
            else:
                default = output[start:end]
                edits.append((start, end, f"Field(default={default}, exclude_if=_omit_if_none)"))
    if not edits:
        return output
    for start, end, text in sorted(edits, reverse=True):
        output = output[:start] + text + output[end:]
    return _with_field_import(output)


def _wire_name(stmt: ast.AnnAssign) -> str:
    """The JSON name of a model member: its `alias`, else its Python name."""
    for node in ast.walk(stmt):
        if (
            isinstance(node, ast.keyword)
            and node.arg == "alias"
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            return node.value.value
    assert isinstance(stmt.target, ast.Name)
    return stmt.target.id


def _with_field_import(output: str) -> str:
    """`Field` imported from pydantic, and the helper defined after the imports."""
    tree = ast.parse(output)
    imports = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
    pydantic = next(
        (n for n in imports if isinstance(n, ast.ImportFrom) and n.module == "pydantic"), None
    )
    lines = io.StringIO(output, newline="").readlines()
    last = imports[-1].end_lineno if imports else 0
    assert last is not None
    lines.insert(last, _OMIT_HELPER)
    if pydantic is None:
        lines.insert(last, "from pydantic import Field\n")
    elif "Field" not in {alias.name for alias in pydantic.names}:
        names = sorted({alias.name for alias in pydantic.names} | {"Field"})
        assert pydantic.end_lineno is not None
        lines[pydantic.lineno - 1 : pydantic.end_lineno] = [
            f"from pydantic import {', '.join(names)}\n"
        ]
    return "".join(lines)
