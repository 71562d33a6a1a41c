"""The app the topic tests serve: the generated `topic_feed` router plus test-only routes.

`build_router` comes from ssegen's output for `tests/topics/specs/`, as every
test app's streams do. Beside it, ordinary app code: `/test/...` routes that
let a test (or another process) publish over HTTP, on the server's own event
loop; a dependency on the generated router that records every subscribe
(`/test/jobs/{job_id}/subscribes`); and one topic route whose key endpoint is
hand-written (`serve_topic` used directly), to show that it can refuse with a
real HTTP error, which a generated key endpoint never does.

`app` (for `uvicorn tests.topics.feed_app:app`) uses `default_broker()`, so
the `SSEGEN_REDIS_URL` environment variable picks the backend.
"""

from __future__ import annotations

import os
from typing import Annotated

from fastapi import Body, Depends, FastAPI, HTTPException, Path, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel
from ssegen.runtime import (
    Broker,
    BrokerUnavailableError,
    EventStreamResponse,
    TopicClosedError,
    default_broker,
    serve_topic,
)
from topic_feed import TickerLineEvent, TickerPublisher, build_router
from topic_feed.streams import JOB_FEED_TOPIC

from .feeds import FEEDS, publish_to

# Every subscribe to a job feed this process served, per job: the resume
# position it came with (the Last-Event-ID header, else the query parameter).
SUBSCRIBES: dict[str, list[str | None]] = {}


def record_subscribe(request: Request) -> None:
    job_id = request.path_params.get("job_id")
    if job_id is not None:
        position = request.headers.get("last-event-id", request.query_params.get("last_event_id"))
        SUBSCRIBES.setdefault(job_id, []).append(position)


class Publish(BaseModel):
    """Publish `count` notes (`sequenceNumber` from `start`), `lines`, then `done` when `end`."""

    feed: str = "job_feed"  # the stream of specs/feed.yaml
    count: int = 0
    start: int = 0
    size: int = 0  # extra payload characters per note
    lines: list[str] = []
    end: bool = False


def build_app(broker: Broker | None = None) -> FastAPI:
    app = FastAPI()
    app.include_router(build_router(broker), dependencies=[Depends(record_subscribe)])
    ticker = TickerPublisher(broker)

    def guarded_key(job_id: Annotated[str, Path()]) -> tuple[str, ...]:
        if job_id == "forbidden":
            raise HTTPException(403, "not your job")
        return (job_id,)

    app.add_api_route(
        "/test/jobs/{job_id}/guarded-feed",
        serve_topic(JOB_FEED_TOPIC, guarded_key, broker=broker),
        methods=["GET"],
        response_model=None,
        response_class=EventStreamResponse,
    )

    @app.post("/test/jobs/{job_id}/publish")
    async def publish(job_id: str, body: Annotated[Publish, Body()]) -> dict[str, list[int]]:
        feed = FEEDS[body.feed]
        try:
            ids = await publish_to(
                broker or default_broker(),
                feed,
                job_id,
                count=body.count,
                start=body.start,
                size=body.size,
                lines=body.lines,
                end=body.end,
            )
        except TopicClosedError as exc:
            raise HTTPException(409, str(exc)) from exc
        except BrokerUnavailableError as exc:
            raise HTTPException(503, str(exc)) from exc
        return {"ids": ids}

    @app.post("/test/rooms/{room}/publish")
    async def publish_ticker(room: str, lines: Annotated[list[str], Body()]) -> dict[str, int]:
        for line in lines:
            await ticker.publish(TickerLineEvent(data=line), room=room)
        return {"published": len(lines)}

    @app.get("/test/jobs/{job_id}/subscribes")
    async def subscribes(job_id: str) -> list[str | None]:
        return SUBSCRIBES.get(job_id, [])

    @app.get("/blank", response_class=HTMLResponse)
    async def blank() -> str:
        # Browsers open their EventSource from a page of the same origin.
        return "<!doctype html><title>blank</title>"

    @app.get("/test/pid")
    async def pid() -> dict[str, int]:
        return {"pid": os.getpid()}

    return app


app = build_app()
