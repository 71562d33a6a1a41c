"""Find the line whose indentation broke a YAML file, and say so in plain words.

PyYAML reports where its parser gave up, which after a mis-indented line is
often that line's neighbour or a line further down, in the parser's terms
(`expected <block end>, but found '<block mapping start>'`). This module is
consulted only once PyYAML has refused a file: it reads the block structure
line by line (YAML 1.2, section 6.1: indentation is spaces; a child is more
indented than its parent, siblings line up) and names the first line that fits
no level, at or before the parser's position.

It tracks one stack of open indentation levels. Each content line is one of:

- deeper than the innermost level: a child, allowed only when the line above
  opened one (`key:` with no value, or a list item), or a continued plain value;
- at a level on the stack: a sibling of that level (the levels below it close);
- between two levels: the mistake this module exists to report.

Block scalars (`|`, `>`) and flow collections spread over several lines are
skipped whole: their lines follow other rules.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from ssegen.spec.diagnostics import Position

_BLOCK_SCALAR = re.compile(r"^[|>][0-9+-]*$")


@dataclass(frozen=True)
class _Line:
    number: int  # 1-based
    indent: int
    text: str  # without indentation and comment
    key: str | None  # the mapping key the line starts with, if any
    value: str  # what follows the key's colon (or the whole text)


@dataclass(frozen=True)
class _Level:
    indent: int
    line: _Line


def explain(text: str, stop_line: int) -> tuple[Position, str] | None:
    """The first mis-indented line up to `stop_line` (1-based) and why, or None."""
    lines = _content_lines(text, stop_line)
    stack: list[_Level] = []
    previous: _Line | None = None
    earlier: _Line | None = None  # the line before `previous`
    opened = False  # the previous line expects a more indented child
    for line in lines:
        where = Position(line.number, line.indent + 1)
        if not stack:
            stack.append(_Level(line.indent, line))
        elif line.indent > stack[-1].indent:
            if not opened and previous is not None:
                if line.key is None:
                    # A plain value going on over several lines: allowed, nothing opens.
                    continue
                return where, _deeper(line, previous, earlier)
            stack.append(_Level(line.indent, line))
        elif line.indent < stack[-1].indent:
            inner = stack[-1]
            while stack and stack[-1].indent > line.indent:
                inner = stack.pop()
            if not stack or stack[-1].indent != line.indent:
                return where, _between(line, inner, stack[-1] if stack else None)
            stack[-1] = _Level(line.indent, line)
        elif line.key is None and not line.text.startswith("-") and previous is not None:
            return where, (
                f"line {line.number} is neither 'key: value' nor a list item; a value that "
                f"goes on over several lines must be indented more than its key "
                f"(line {previous.number})"
            )
        else:
            stack[-1] = _Level(line.indent, line)
        if line.text == "-" or line.text.startswith("- "):
            # The item's content is one level further in: `- key: value` then `  key: value`.
            rest = line.text[1:].lstrip(" ")
            if rest:
                item = _parse(line.number, line.indent + len(line.text) - len(rest), rest)
                stack.append(_Level(item.indent, item))
                opened = item.key is not None and item.value == ""
            else:
                opened = True
        else:
            opened = line.key is not None and line.value == ""
        earlier, previous = previous, line
    return None


def _deeper(line: _Line, previous: _Line, earlier: _Line | None) -> str:
    message = (
        f"line {line.number} is indented more than line {previous.number}, but "
        f"'{_name(previous)}' there already has a value"
    )
    # `body:` then `type: object` at body's own indentation: `type` should have gone under it.
    if (
        earlier is not None
        and earlier.indent == previous.indent
        and earlier.key is not None
        and earlier.value == ""
    ):
        return message + (
            f"; if '{_name(previous)}' belongs under '{earlier.key}' (line {earlier.number}), "
            f"indent line {previous.number} too"
        )
    return message + f": line it up with '{_name(previous)}' or with a key above it"


def _between(line: _Line, inner: _Level, outer: _Level | None) -> str:
    levels = f"'{_name(inner.line)}' (line {inner.line.number}) is at {inner.indent} spaces"
    if outer is not None:
        levels += f" and '{_name(outer.line)}' (line {outer.line.number}) at {outer.indent}"
    return (
        f"line {line.number} is indented by {line.indent} spaces, which lines up with no key "
        f"above it: {levels}"
    )


def _name(line: _Line) -> str:
    return line.key if line.key is not None else line.text


def _content_lines(text: str, stop_line: int) -> list[_Line]:
    """The lines that take part in the block structure, up to `stop_line`."""
    result: list[_Line] = []
    skip_deeper_than: int | None = None  # inside a block scalar
    depth = 0  # open flow brackets carried over from earlier lines
    for number, raw in enumerate(text.splitlines()[:stop_line], start=1):
        stripped = raw.lstrip(" ")
        indent = len(raw) - len(stripped)
        if skip_deeper_than is not None:
            if not stripped or indent > skip_deeper_than:
                continue
            skip_deeper_than = None
        if depth > 0:
            depth = max(0, depth + _brackets(stripped))
            continue
        body = _without_comment(stripped).rstrip()
        if not body or body.startswith(("---", "...", "%")) or "\t" in raw[:indent]:
            continue
        line = _parse(number, indent, body)
        result.append(line)
        if _BLOCK_SCALAR.match(line.value) or (line.key is None and _BLOCK_SCALAR.match(body)):
            skip_deeper_than = indent
        depth = max(0, _brackets(body))
    return result


def _parse(number: int, indent: int, body: str) -> _Line:
    colon = _key_colon(body)
    if colon is None:
        return _Line(number, indent, body, None, body)
    key = body[:colon].strip().strip("'\"")
    return _Line(number, indent, body, key, body[colon + 1 :].strip())


def _unquoted(body: str) -> Iterator[tuple[int, str, int]]:
    """(index, character, flow bracket depth before it) of each character outside quotes."""
    quote = ""
    depth = 0
    for i, char in enumerate(body):
        if quote:
            if char == quote:
                quote = ""
        elif char in "'\"" and (i == 0 or body[i - 1] in " [{,:"):
            quote = char
        else:
            yield i, char, depth
            if char in "[{":
                depth += 1
            elif char in "]}":
                depth -= 1


def _key_colon(body: str) -> int | None:
    """Where the `key:` indicator is (`: ` or a final `:`), outside quotes and brackets."""
    if body.startswith("- ") or body == "-":
        return None
    for i, char, depth in _unquoted(body):
        if char == ":" and depth == 0 and (i + 1 == len(body) or body[i + 1] == " "):
            return i
    return None


def _without_comment(body: str) -> str:
    for i, char, _ in _unquoted(body):
        if char == "#" and (i == 0 or body[i - 1] == " "):
            return body[:i]
    return body


def _brackets(body: str) -> int:
    """Open minus closed flow brackets on a line (outside quotes)."""
    return sum(
        1 if char in "[{" else -1
        for _, char, _ in _unquoted(_without_comment(body))
        if char in "[{]}"
    )
