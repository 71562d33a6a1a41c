"""Payloads that try to break framing, and what a WHATWG client must make of them.

A text payload travels as `data:` lines, and the WHATWG parser turns every
line break (CRLF, lone CR, lone LF) into LF when it joins them: that is the
only change it may see. Anything else (NUL, U+2028, the characters
`str.splitlines` also splits on, would-be fields) must arrive untouched.
JSON payloads escape CR and LF, so they arrive exactly.
"""

from __future__ import annotations

import re

HOSTILE_TEXTS: tuple[str, ...] = (
    "plain",
    "",
    "two\nlines",
    "crlf\r\npair",
    "lone\rcr",
    "mixed\r\n\r\rend\n\n",
    "trailing newline\n",
    "\n",
    "\r\n",
    "\r",
    " one leading space",
    "  two leading spaces",
    "nul\x00byte",
    "line\u2028separator\u2029paragraph",
    "vt\x0bff\x0cfs\x1cgs\x1drs\x1enel\x85end",
    "\n\nevent: x",
    "\n\nevent: x\ndata: injected\nid: 999\n\n",
    "\r\n\r\nretry: 1\r\n\r\n",
    "data: a fake field",
    ": a comment line",
    "id: 12",
    "\ufeffbom",
    "unicode: \u00e9\u00df\u4e2d\u6587 \U0001f600",
    'tab\tand backslash \\ and "quotes"',
)

_BREAKS = re.compile(r"\r\n|\r")


def as_received(text: str) -> str:
    """What a conformant client hands over for the text payload `text`."""
    return _BREAKS.sub("\n", text)
