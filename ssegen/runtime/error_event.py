"""The error event the runtime sends when a stream fails and its hook gives none.

It is built once per stream, from a fixed generic problem, so that it cannot
leak anything about the failure: no message, no exception type, no traceback.
A stream that declares its own error envelope (`errors:`, `refusals.py`) gets
that envelope of the generic problem when its error event's data is shaped so.
"""

from __future__ import annotations

import dataclasses
import logging
import typing
from typing import Any

from pydantic import TypeAdapter

from .problems import ProblemError
from .stream import StreamSpec

logger = logging.getLogger("ssegen.runtime")

# RFC 9457: "about:blank" with the status phrase as title is the problem that
# says nothing beyond the status; an error payload model that follows
# problem details (or any subset of it) validates from this.
GENERIC_PROBLEM: dict[str, Any] = {
    "type": "about:blank",
    "title": "Internal Server Error",
    "status": 500,
    "detail": "The stream failed.",
}
GENERIC_TEXT = "The stream failed."


def default_error_event(spec: StreamSpec) -> object | None:
    """An instance of `spec.error` carrying the generic problem; None when it cannot be built.

    `json` payloads are validated against the event's `data` annotation from
    the stream's error envelope of the generic problem, when it declares one,
    else (or when that does not validate) from `GENERIC_PROBLEM`; `text` ones
    get `GENERIC_TEXT`. In `ids: handler`
    streams the instance's `id` is a placeholder: the writer sets the wire id.
    """
    if spec.error is None:
        return None
    event_spec = spec.by_class[spec.error]
    cls = event_spec.cls
    kwargs: dict[str, Any] = {}
    try:
        if event_spec.payload == "json":
            kwargs["data"] = _generic_data(spec, typing.get_type_hints(cls)["data"])
        elif event_spec.payload == "text":
            kwargs["data"] = GENERIC_TEXT
        if dataclasses.is_dataclass(cls) and "id" in {f.name for f in dataclasses.fields(cls)}:
            kwargs["id"] = ""
        event: object = cls(**kwargs)
        return event
    except Exception as exc:  # noqa: BLE001 - logged; the stream then ends without one
        logger.warning(
            "stream %s: cannot build a default %s from a generic problem (%s); "
            "a failure without an event from its on_error hook ends the stream without one",
            spec.name,
            cls.__qualname__,
            # One line: pydantic's message spans several, with a URL per error.
            str(exc).splitlines()[0],
        )
        return None


def _generic_data(spec: StreamSpec, data_type: Any) -> Any:
    adapter: TypeAdapter[Any] = TypeAdapter(data_type)
    if spec.errors is not None:
        problem = ProblemError(500, detail=GENERIC_PROBLEM["detail"])
        try:
            return adapter.validate_python(spec.errors.document(problem))
        except ValueError:
            pass  # an error event shaped like a problem, not like the envelope
    return adapter.validate_python(GENERIC_PROBLEM)
