"""The example app: implements the generated contracts of specs/ and serves them.

    ssegen build specs/ && uvicorn examples.app:app

Every stream here is fake work (no model, no job queue), but the code is what
an app using ssegen writes: subclass the generated service, yield typed events,
mount the generated routers with the app's authenticators (examples/accounts.py),
publish to topics with the generated publishers,
and serve the event catalog with its docs page (at /reference).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from ssegen.runtime.docs import add_event_catalog

from examples.accounts import bearer_user
from examples.anthropic_messages import AnthropicMessagesDemo
from examples.openai_chat import OpenAIChatDemo
from examples.services import ChatDemo, JobsDemo, LogsDemo, notifications_router
from generated.anthropic_messages import build_router as anthropic_messages_router
from generated.chat import build_router as chat_router
from generated.jobs import build_router as jobs_router
from generated.logs import build_router as logs_router
from generated.openai_chat import build_router as openai_chat_router

ROOT = Path(__file__).resolve().parent.parent
# After `npm ci` the docs page loads Scalar from this local copy; otherwise from its CDN.
LOCAL_SCALAR = (
    ROOT / "node_modules" / "@scalar" / "api-reference" / "dist" / "browser" / "standalone.js"
)


def create_app(*, docs_config: Mapping[str, Any] | None = None) -> FastAPI:
    app = FastAPI(title="ssegen example", version="1.0.0")
    app.include_router(chat_router(ChatDemo(), bearer=bearer_user))
    app.include_router(jobs_router(JobsDemo()))
    app.include_router(logs_router(LogsDemo()))
    app.include_router(notifications_router())
    app.include_router(openai_chat_router(OpenAIChatDemo()))
    app.include_router(anthropic_messages_router(AnthropicMessagesDemo()))
    # The event catalog as /openapi.json (OpenAPI 3.2) and a page that shows every event.
    add_event_catalog(
        app,
        ROOT / "generated" / "openapi.json",
        script_path=LOCAL_SCALAR if LOCAL_SCALAR.is_file() else None,
        config=docs_config,
    )
    return app


app = create_app()
