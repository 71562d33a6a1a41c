"""The example app: implements the generated contracts of specs/ and serves them.

    ssegen build specs/ && uvicorn examples.app:app

Every stream here is fake work (no model, no job queue), but the code is what
an app using ssegen writes: subclass the generated service, yield typed events,
mount the generated routers, publish to topics with the generated publishers.
"""

from __future__ import annotations

from fastapi import FastAPI

from examples.services import ChatDemo, JobsDemo, LogsDemo, notifications_router
from generated.chat import build_router as chat_router
from generated.jobs import build_router as jobs_router
from generated.logs import build_router as logs_router

app = FastAPI(title="ssegen example", version="1.0.0")
app.include_router(chat_router(ChatDemo()))
app.include_router(jobs_router(JobsDemo()))
app.include_router(logs_router(LogsDemo()))
app.include_router(notifications_router())
