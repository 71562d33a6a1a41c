"""Implementations of the generated service contracts, with fake work."""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import AsyncIterator
from typing import Annotated, Literal

from fastapi import APIRouter, Body, HTTPException

from examples.accounts import OwnNotifications, User, bearer_user, session_user
from generated.chat import (
    ChatCompletionBody,
    ChatCompletionEvent,
    ChatService,
    ChunkData,
    ChunkEvent,
    DoneEvent,
    UsageData,
    UsageEvent,
)
from generated.jobs import (
    CompletedData,
    CompletedEvent,
    JobEventsEvent,
    JobsService,
    LogEvent,
    ProgressData,
    ProgressEvent,
)
from generated.logs import LineEvent, LogsService, RotatedData, RotatedEvent, TailEvent
from generated.notifications import (
    AccountClosedEvent,
    AnnouncementEvent,
    AnnouncementsPublisher,
    Notification,
    NotificationEvent,
    UserNotificationsPublisher,
)
from generated.notifications import build_router as notifications_routes

# Seconds between fake work steps; tests set it to 0 to run fast.
STEP = float(os.environ.get("EXAMPLE_STEP_SECONDS", "0.2"))


class ChatDemo(ChatService[User]):
    """Echoes the last user message back, one word per chunk, like a tiny LLM.

    The stream is secured (specs/chat.yaml): `principal` is the caller.
    """

    async def chat_completion(
        self, *, body: ChatCompletionBody, principal: User
    ) -> AsyncIterator[ChatCompletionEvent]:
        prompt = body.messages[-1].content
        words = prompt.split() or ["..."]
        if body.model == "missing-model":
            raise HTTPException(404, f"model {body.model!r} not found")
        for index, word in enumerate(words):
            await asyncio.sleep(STEP / 4)
            delta = word if index == 0 else f" {word}"
            last = index == len(words) - 1
            yield ChunkEvent(
                data=ChunkData(index=index, delta=delta, finish_reason="stop" if last else None)
            )
        yield UsageEvent(data=UsageData(prompt_tokens=len(words), completion_tokens=len(words)))
        yield DoneEvent()


class JobsDemo(JobsService):
    """A job of ten steps. Event ids count events, so a reconnect skips what the client has."""

    async def job_events(
        self, *, job_id: str, verbose: bool, last_event_id: int | None
    ) -> AsyncIterator[JobEventsEvent]:
        if job_id == "missing":
            raise HTTPException(404, "no such job")
        already_sent = last_event_id or 0
        if already_sent >= (20 if verbose else 10) + 1:
            # Reconnected after `completed`: nothing more, so the route answers 204, which
            # tells EventSource to stop (a new `completed` with a new id would restart it).
            return
        number = 0
        for step in range(1, 11):
            if verbose:
                number += 1
                if number > already_sent:
                    yield LogEvent(data=f"step {step} of job {job_id}\nencoding chunk {step}")
            number += 1
            if number > already_sent:
                await asyncio.sleep(STEP)
                yield ProgressEvent(data=ProgressData(percent=step * 10, stage="encode"))
        yield CompletedEvent(data=CompletedData(result_url=f"/jobs/{job_id}/result"))


# A log cursor: a record number of ASCII digits (str.isdigit() accepts "²",
# which int() refuses), short enough that int() costs nothing.
_RECORD_NUMBER = re.compile(r"[0-9]{1,18}")


def _record_number(cursor: str) -> int:
    """The record number a cursor names; a 400 problem for anything else."""
    if _RECORD_NUMBER.fullmatch(cursor) is None:
        raise HTTPException(400, "cursor must be a record number of at most 18 digits")
    return int(cursor)


class LogsDemo(LogsService):
    """A log of numbered records; the cursor is the record number, set by the handler."""

    async def tail(
        self,
        *,
        service_: str,
        level: Literal["debug", "info", "warning", "error"],
        from_: str | None,
        x_tenant: str | None,
        last_event_id: str | None,
    ) -> AsyncIterator[TailEvent]:
        record = _record_number(last_event_id or from_ or "0")
        while True:
            record += 1
            await asyncio.sleep(STEP)
            if record % 25 == 0:
                yield RotatedEvent(
                    data=RotatedData(file=f"{service_}.log.{record // 25}"), id=str(record)
                )
            elif record % 7 == 0:
                trace = f'ERROR request {record} failed\nTraceback (most recent call last):\n  File "app.py", line {record}'
                yield LineEvent(data=trace, id=str(record))
            else:
                yield LineEvent(
                    data=f"INFO [{x_tenant or 'default'}] {service_}: request {record} ok",
                    id=str(record),
                )


def notifications_router() -> APIRouter:
    """The generated subscriber routes, plus two publishing endpoints for the demo.

    Subscribing to a user's notifications needs that user's token or session
    cookie; the publishing endpoints stand in for the app's own back end.
    """
    router = notifications_routes(
        access=OwnNotifications(), bearer=bearer_user, session=session_user
    )
    users = UserNotificationsPublisher()
    announcements = AnnouncementsPublisher()

    @router.post("/users/{user_id}/notifications", status_code=202)
    async def notify(user_id: int, notification: Annotated[Notification, Body()]) -> None:
        await users.publish(NotificationEvent(data=notification), user_id=user_id)

    @router.post("/users/{user_id}/account/close", status_code=202)
    async def close_account(user_id: int) -> None:
        # The instance's terminal event: its subscribers stop, and a reconnect gets 204.
        await users.publish(AccountClosedEvent(), user_id=user_id)

    @router.post("/announcements", status_code=202)
    async def announce(text: Annotated[str, Body(embed=True)]) -> None:
        await announcements.publish(AnnouncementEvent(data=text))

    return router
