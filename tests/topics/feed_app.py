"""A topic app written the way ssegen generates one, plus test-only routes to publish.

`JobFeedPublisher`, `build_router` and the event classes have the shape of
generated code; `/test/...` routes let a test (or another process) publish
and end instances over HTTP, on the server's own event loop.

`app` (for `uvicorn tests.topics.feed_app:app`) uses `default_broker()`, so
the `SSEGEN_REDIS_URL` environment variable picks the backend.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import Annotated, ClassVar

from fastapi import APIRouter, Body, FastAPI, HTTPException, Path
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field
from ssegen.runtime import (
    Broker,
    BrokerUnavailableError,
    EventSpec,
    EventStreamResponse,
    StreamSpec,
    TopicClosedError,
    TopicSpec,
    default_broker,
    serve_topic,
)


class Note(BaseModel):
    text: str
    seq: int = Field(alias="sequenceNumber")


@dataclass(frozen=True, slots=True, kw_only=True)
class JobFeedNote:
    EVENT: ClassVar[str] = "note"
    data: Note


@dataclass(frozen=True, slots=True, kw_only=True)
class JobFeedLine:
    EVENT: ClassVar[str] = "line"
    data: str


@dataclass(frozen=True, slots=True, kw_only=True)
class JobFeedDone:
    EVENT: ClassVar[str] = "done"


JobFeedEvent = JobFeedNote | JobFeedLine | JobFeedDone

JOB_FEED = StreamSpec(
    name="job_feed",
    events=(
        EventSpec(JobFeedNote, "note", "json"),
        EventSpec(JobFeedLine, "line", "text"),
        EventSpec(JobFeedDone, "done", "none", terminal=True),
    ),
    retry=100,
    keepalive=15.0,
    ids="sequence",
    resume_query="last_event_id",
)
JOB_FEED_TOPIC = TopicSpec(stream=JOB_FEED, key=("job_id",), keep=1000, ttl=3600.0)

# A topic without `resume`: no ids, live events only.
TICKER = StreamSpec(
    name="ticker", events=(EventSpec(JobFeedLine, "line", "text"),), retry=None, keepalive=15.0
)
TICKER_TOPIC = TopicSpec(stream=TICKER, key=("room",), keep=10)


class JobFeedPublisher:
    """Generated shape: typed events, key parameters as keywords."""

    def __init__(self, broker: Broker | None = None, topic: TopicSpec = JOB_FEED_TOPIC) -> None:
        self._broker = broker or default_broker()
        self._topic = topic  # not generated: lets tests vary keep and ttl

    async def publish(self, event: JobFeedEvent, *, job_id: str) -> int:
        return await self._broker.publish(self._topic, (job_id,), event)


# Every subscribe this process served, per job: the resume position it came with.
SUBSCRIBES: dict[str, list[int | None]] = {}


def build_router(broker: Broker | None = None, topic: TopicSpec = JOB_FEED_TOPIC) -> APIRouter:
    router = APIRouter()

    def job_feed(job_id: Annotated[str, Path()], *, last_event_id: int | None) -> tuple[str, ...]:
        if job_id == "forbidden":
            raise HTTPException(403, "not your job")
        SUBSCRIBES.setdefault(job_id, []).append(last_event_id)
        return (job_id,)

    router.add_api_route(
        "/jobs/{job_id}/feed",
        serve_topic(topic, job_feed, broker=broker),
        methods=["GET"],
        operation_id="job_feed",
        response_model=None,
        response_class=EventStreamResponse,
    )

    async def ticker(room: Annotated[str, Path()]) -> tuple[str, ...]:
        return (room,)

    router.add_api_route(
        "/rooms/{room}/ticker",
        serve_topic(TICKER_TOPIC, ticker, broker=broker),
        methods=["GET"],
        response_model=None,
        response_class=EventStreamResponse,
    )
    return router


class Publish(BaseModel):
    """Publish `count` notes (`sequenceNumber` from `start`), then `done` when `end`."""

    count: int = 0
    start: int = 0
    size: int = 0  # extra payload characters per note
    lines: list[str] = []
    end: bool = False


def build_app(
    broker: Broker | None = None,
    *,
    keep: int | None = None,
    ttl: float | None = None,
    keepalive: float | None = None,
) -> FastAPI:
    """The app; `keep`, `ttl` and `keepalive` replace the job feed's for one test."""
    topic = JOB_FEED_TOPIC
    if keep is not None or ttl is not None:
        topic = replace(topic, keep=keep or topic.keep, ttl=ttl or topic.ttl)
    if keepalive is not None:
        topic = replace(topic, stream=replace(topic.stream, keepalive=keepalive))
    app = FastAPI()
    app.include_router(build_router(broker, topic))
    publisher = JobFeedPublisher(broker, topic)
    ticker_broker = broker

    @app.post("/test/jobs/{job_id}/publish")
    async def publish(job_id: str, body: Annotated[Publish, Body()]) -> dict[str, list[int]]:
        padding = "x" * body.size
        ids: list[int] = []
        try:
            for n in range(body.start, body.start + body.count):
                note = Note.model_validate({"text": f"note {n}{padding}", "sequenceNumber": n})
                ids.append(await publisher.publish(JobFeedNote(data=note), job_id=job_id))
            for line in body.lines:
                ids.append(await publisher.publish(JobFeedLine(data=line), job_id=job_id))
            if body.end:
                ids.append(await publisher.publish(JobFeedDone(), job_id=job_id))
        except TopicClosedError as exc:
            raise HTTPException(409, str(exc)) from exc
        except BrokerUnavailableError as exc:
            raise HTTPException(503, str(exc)) from exc
        return {"ids": ids}

    @app.post("/test/rooms/{room}/publish")
    async def publish_ticker(room: str, lines: Annotated[list[str], Body()]) -> dict[str, int]:
        chosen = ticker_broker or default_broker()
        for line in lines:
            await chosen.publish(TICKER_TOPIC, (room,), JobFeedLine(data=line))
        return {"published": len(lines)}

    @app.get("/test/jobs/{job_id}/subscribes")
    async def subscribes(job_id: str) -> list[int | None]:
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
