"""Load one YAML spec file into plain data plus the position of every node.

PyYAML's composer gives nodes with marks; we convert them to JSON-like data
ourselves (rather than `yaml.safe_load`) so that every key and value keeps its
`line:col`, duplicate keys are caught, and hostile input is bounded:
a size cap, a nesting cap, and a cap on nodes visited, which is what stops an
alias bomb ("billion laughs") from expanding.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from ssegen.spec import indentation
from ssegen.spec.diagnostics import Diagnostic, Position
from ssegen.text import one_line
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

MAX_BYTES = 2 * 1024 * 1024
MAX_DEPTH = 64
MAX_NODES = 200_000

Loc = tuple[str | int, ...]

_TAG = "tag:yaml.org,2002:"


@dataclass
class Document:
    """A spec file's data with the position of every value and key (by path)."""

    path: str
    data: Any
    values: dict[Loc, Position] = field(default_factory=dict)
    keys: dict[Loc, Position] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def at(self, loc: Loc, *, key: bool = False) -> Position:
        """The position of `loc`, or of its nearest ancestor that has one."""
        table = self.keys if key else self.values
        while loc:
            if loc in table:
                return table[loc]
            if key and loc in self.values:
                return self.values[loc]
            loc = loc[:-1]
        return self.values.get((), Position())

    def error(self, loc: Loc, message: str, *, key: bool = False) -> None:
        self.diagnostics.append(Diagnostic(self.path, self.at(loc, key=key), message))


class _Limit(Exception):
    def __init__(self, node: Node, message: str) -> None:
        self.node = node
        self.message = message


def load(path: Path, display: str) -> Document:
    """Read and compose `path`; problems are recorded on the document, never raised."""
    doc = Document(display, None)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        doc.diagnostics.append(Diagnostic(display, Position(), f"cannot read file: {exc.strerror}"))
        return doc
    if len(raw) > MAX_BYTES:
        doc.error((), f"file is larger than {MAX_BYTES // (1024 * 1024)} MiB")
        return doc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        doc.error((), f"file is not UTF-8 (byte {exc.start})")
        return doc
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Position(mark.line + 1, mark.column + 1) if mark else Position()
        cause = indentation.explain(text, where.line) if mark else None
        if cause is not None:
            # The parser's own position is often a line after the mistake, in its terms.
            doc.diagnostics.append(Diagnostic(display, cause[0], f"bad indentation: {cause[1]}"))
            return doc
        message = f"invalid YAML: {one_line(exc.problem or exc)}"
        if exc.context and exc.context_mark and exc.context_mark is not mark:
            started = exc.context_mark
            message += f" ({exc.context} at {started.line + 1}:{started.column + 1})"
        doc.diagnostics.append(Diagnostic(display, where, message))
        return doc
    except yaml.reader.ReaderError as exc:
        # A character YAML does not allow: positioned by its offset in the text.
        line = text.count("\n", 0, exc.position) + 1
        col = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        character = f"#x{exc.character:04x}" if isinstance(exc.character, int) else "a character"
        doc.diagnostics.append(
            Diagnostic(display, Position(line, col), f"invalid YAML: {character}: {exc.reason}")
        )
        return doc
    except yaml.YAMLError as exc:
        doc.error((), f"invalid YAML: {one_line(exc)}")
        return doc
    except RecursionError:
        doc.error((), f"invalid YAML: nesting is deeper than {MAX_DEPTH} levels")
        return doc
    if root is None:
        doc.error((), "the file is empty")
        return doc
    converter = _Converter(doc)
    try:
        doc.data = converter.convert(root, (), 0)
    except _Limit as limit:
        doc.diagnostics.append(Diagnostic(display, _position(limit.node), limit.message))
        doc.data = None
    return doc


def _position(node: Node) -> Position:
    return Position(node.start_mark.line + 1, node.start_mark.column + 1)


class _Converter:
    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.visited = 0
        self.constructor = yaml.SafeLoader("")

    def convert(self, node: Node, loc: Loc, depth: int) -> Any:
        self.visited += 1
        if self.visited > MAX_NODES:
            raise _Limit(node, f"document expands to more than {MAX_NODES} nodes (alias bomb?)")
        if depth > MAX_DEPTH:
            raise _Limit(node, f"nesting is deeper than {MAX_DEPTH} levels")
        self.doc.values.setdefault(loc, _position(node))
        if isinstance(node, MappingNode):
            if node.tag != _TAG + "map":
                raise _Limit(node, f"unsupported YAML tag '{node.tag}'")
            return self._mapping(node, loc, depth)
        if isinstance(node, SequenceNode):
            if node.tag != _TAG + "seq":
                raise _Limit(node, f"unsupported YAML tag '{node.tag}'")
            return [self.convert(item, (*loc, i), depth + 1) for i, item in enumerate(node.value)]
        assert isinstance(node, ScalarNode)
        return self._scalar(node, loc)

    def _mapping(self, node: MappingNode, loc: Loc, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                raise _Limit(key_node, "mapping keys must be plain strings")
            if key_node.tag == _TAG + "merge":
                raise _Limit(key_node, "merge keys ('<<') are not supported; repeat the keys")
            key = str(key_node.value)
            if key in result:
                self.doc.diagnostics.append(
                    Diagnostic(self.doc.path, _position(key_node), f"duplicate key '{key}'")
                )
                continue
            self.doc.keys[(*loc, key)] = _position(key_node)
            result[key] = self.convert(value_node, (*loc, key), depth + 1)
        return result

    def _scalar(self, node: ScalarNode, loc: Loc) -> Any:
        tag = node.tag
        if tag in (_TAG + "str", _TAG + "timestamp", _TAG + "binary"):
            # Dates stay strings: JSON Schema and JSON payloads have no date type.
            return str(node.value)
        if tag in (_TAG + "int", _TAG + "bool", _TAG + "null"):
            return self.constructor.construct_object(node, deep=True)
        if tag == _TAG + "float":
            value = self.constructor.construct_object(node, deep=True)
            if isinstance(value, float) and not math.isfinite(value):
                raise _Limit(node, "infinite and NaN numbers are not valid JSON")
            return value
        raise _Limit(node, f"unsupported YAML tag '{tag}'")
