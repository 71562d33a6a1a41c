"""Escaping of spec strings for the places they appear in generated files.

A spec is input, and input must not become code (architecture.md): every spec
string that reaches Python source is a `repr()` literal, a docstring escaped
here, or a one-line comment escaped here.
"""

from __future__ import annotations

from typing import Any


def pyliteral(value: Any) -> str:
    """A Python literal for a JSON-like value: repr() of str, int, float, bool, None, list, dict.

    A multi-line string becomes an implicit concatenation of one literal per
    line, which the formatter can lay out within the line length.
    """
    if isinstance(value, str) and "\n" in value.rstrip("\n"):
        return "(" + " ".join(repr(line) for line in value.splitlines(keepends=True)) + ")"
    return repr(value)


def docstring(text: str) -> str:
    """`text` made safe inside a triple-double-quoted docstring.

    Backslashes and double quotes are escaped, so nothing can close the string;
    characters that are not printable (control characters, U+2028, ...) become
    escapes, so nothing can end a line where Python would.
    """
    out: list[str] = []
    for ch in text.strip():
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n" or ch.isprintable():
            out.append(ch)
        else:
            out.append(f"\\u{ord(ch):04x}" if ord(ch) <= 0xFFFF else f"\\U{ord(ch):08x}")
    lines = "".join(out).split("\n")
    return "\n".join(line.rstrip() for line in lines)


def comment(text: str) -> str:
    """`text` on one line, safe after `#` (and inside a Markdown or HTML comment)."""
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text).replace(
        "-->", "--\\>"
    )


def one_line(message: object, limit: int = 200) -> str:
    """A diagnostic's message on one short line: whitespace runs collapsed, the rest clipped."""
    text = " ".join(str(message).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
