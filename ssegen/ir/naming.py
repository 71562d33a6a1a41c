"""Python names for spec names: one place decides them, so collisions are caught once.

Spec names are already limited by the patterns in `ssegen.spec.model`; here they become
identifiers. Python keywords are escaped with a trailing underscore (PEP 8's
convention: `class` -> `class_`), never refused.
"""

from __future__ import annotations

import keyword
import re

_WORD = re.compile(r"[A-Za-z0-9]+")


def escape_keyword(name: str) -> str:
    return f"{name}_" if keyword.iskeyword(name) or keyword.issoftkeyword(name) else name


def snake(name: str) -> str:
    """`Last-Event-ID` -> `last_event_id`; keywords escaped."""
    words = _WORD.findall(name)
    result = "_".join(word.lower() for word in words) or "_"
    if result[0].isdigit():
        result = f"_{result}"
    return escape_keyword(result)


def pascal(name: str) -> str:
    """`job.done` and `job_done` -> `JobDone`; what callers check for collisions."""
    result = "".join(word[:1].upper() + word[1:] for word in _WORD.findall(name)) or "_"
    return f"_{result}" if result[0].isdigit() else result


def constant(name: str) -> str:
    return snake(name).rstrip("_").upper()


def package_from_stem(stem: str) -> str:
    """A file stem made a valid, non-keyword module name (`my-api.v2` -> `my_api_v2`)."""
    return snake(stem)
