"""The example app with the one-line docs helper, as a user's app would add it.

Scalar's bundle comes from node_modules (the example app uses it when present).
"""

from __future__ import annotations

from examples.app import LOCAL_SCALAR, create_app

assert LOCAL_SCALAR.is_file(), "run `npm ci`: the test machine has no internet for Scalar's CDN"
app = create_app(
    # Offline: no web fonts; every tag open, every response expanded, so all of it is on the page.
    docs_config={"withDefaultFonts": False, "defaultOpenAllTags": True, "expandAllResponses": True},
)

__all__ = ["app"]
