"""Names and limits on the wire that the generator and the runtime must agree on.

Dependency-free on purpose: the generator (build, check) imports it without
importing the runtime, and so FastAPI; the runtime imports it to send what the
generated contract and docs promise.
"""

MISSED_EVENT = "ssegen.missed"
"""The event that tells a resuming topic subscriber it missed events (ssegen.runtime.topic)."""

DEFAULT_MAX_BODY = 1_048_576
"""Bytes (1 MiB): the request body limit of a stream with a body that sets no `max_body`."""
