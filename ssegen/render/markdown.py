"""Spec strings placed into the Markdown contract pages (GitHub Flavored Markdown).

Descriptions are Markdown (spec-format.md) and stay Markdown, but no spec
string may break the page around it: raw HTML is shown as text (an unclosed
`<!--` or `<details>` would swallow the rest of the page), an unclosed code
fence is closed, and text placed in a table cell or on one line loses its line
breaks and escapes `|` (GFM, "Tables": `\\|` is a pipe even inside a code span).
"""

from __future__ import annotations

import re

# A `<` that starts an HTML tag, comment, declaration or processing instruction
# (CommonMark, "Raw HTML"); `a < b` is left alone.
_HTML_START = re.compile(r"<(?=[A-Za-z!/?])")
# CommonMark "Code spans": a run of N backticks up to the next run of exactly N.
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`).*?(?<!`)\1(?!`)", re.DOTALL)
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
# Text that CommonMark would read as the start of a block: heading, quote, list item, rule.
_BLOCK_START = re.compile(
    r"^(#{1,6}(?=\s|$)|>|[-+*](?=\s|$)|\d{1,9}[.)](?=\s|$)|([-*_])(?=(\s*\2){2,}\s*$))"
)
_LINE_BREAKS = re.compile(r"\s*[\r\n]+\s*")


def _outside_code(text: str, escape: re.Pattern[str], replacement: str) -> str:
    """`escape` replaced in `text` except inside code spans, where HTML is inert anyway."""
    out: list[str] = []
    position = 0
    for span in _CODE_SPAN.finditer(text):
        out.append(escape.sub(replacement, text[position : span.start()]))
        out.append(span.group(0))
        position = span.end()
    out.append(escape.sub(replacement, text[position:]))
    return "".join(out)


def _printable(text: str) -> str:
    """Control characters (but line breaks and tabs) as visible escapes, like `\\x00`."""
    return "".join(ch if ch.isprintable() or ch in "\n\t" else repr(ch)[1:-1] for ch in text)


def md_block(text: str | None) -> str:
    """A description as Markdown paragraphs: no raw HTML, every code fence closed."""
    if not text:
        return ""
    lines: list[str] = []
    fence: str | None = None
    for line in _printable(text.strip()).replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        marker = _FENCE.match(line)
        if fence is None and marker:
            fence = marker.group(1)
        elif (
            fence is not None
            and marker
            and marker.group(1)[0] == fence[0]
            and len(marker.group(1)) >= len(fence)
        ):
            fence = None
        lines.append(
            line if fence is not None or marker else _outside_code(line, _HTML_START, "&lt;")
        )
    if fence is not None:
        lines.append(fence)
    return "\n".join(line.rstrip() for line in lines)


def md_inline(text: str | None) -> str:
    """Text on one line of a paragraph or heading: line breaks become spaces, no block syntax."""
    if not text:
        return ""
    one_line = _LINE_BREAKS.sub(" ", _printable(text)).strip()
    one_line = _outside_code(one_line, _HTML_START, "&lt;")
    return _BLOCK_START.sub(_escape_block_start, one_line, count=1)


def _escape_block_start(match: re.Match[str]) -> str:
    marker = match.group(0)
    # A backslash escapes ASCII punctuation only: `1.` becomes `1\.`, not `\1.`.
    return marker[:-1] + "\\" + marker[-1] if marker[0].isdigit() else "\\" + marker


def md_cell(text: str | None) -> str:
    """Text inside a table cell: one line, pipes escaped."""
    return md_inline(text).replace("|", "\\|")


def md_code(value: str) -> str:
    """`value` as an inline code span showing it verbatim (CommonMark, "Code spans")."""
    shown = _printable(value).replace("\n", "\\n").replace("\t", "\\t")
    longest = max((len(run) for run in re.findall(r"`+", shown)), default=0)
    ticks = "`" * (longest + 1)
    # A space on both sides when the content touches a backtick or is padded already:
    # the parser strips exactly one from each side.
    if shown.startswith(("`", " ")) or shown.endswith(("`", " ")):
        shown = f" {shown} "
    return f"{ticks}{shown}{ticks}"
