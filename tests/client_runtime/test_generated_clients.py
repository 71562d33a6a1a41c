"""The generated Python clients read the example app's streams by their contracts.

The example app (examples/app.py, every spec in specs/) is served by uvicorn
behind `CutEvery`, which drops every event-stream connection after a byte
budget, in the middle of an event as often as not: a proxy or a network
that keeps failing. The clients must read each stream to its end with every
event exactly once (resumable streams and GETs reconnect with
Last-Event-ID), never re-send a POST that has no `resume`, stop for good on
a terminal event and on 204, raise the error event and refusals as their
package's exceptions, surface `ssegen.missed`, and call a headers callable
again for every connection.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from ssegen.client import Missed, RawEvent

from generated.anthropic_messages import CreateMessageBody
from generated.anthropic_messages.client import AnthropicMessagesClient, CreateMessageFailed
from generated.chat import ChatCompletionBody, DoneEvent, Message
from generated.chat.client import ChatClient, ChatStatusError, ChatStreamInterrupted
from generated.jobs import CompletedEvent, LogEvent, ProgressEvent
from generated.jobs.client import JobsClient, JobsStatusError
from generated.logs import LineEvent, RotatedEvent
from generated.logs.client import LogsClient
from generated.notifications import AccountClosedEvent, NotificationEvent
from generated.notifications.client import NotificationsClient
from generated.openai_chat import CreateChatCompletionBody
from generated.openai_chat.client import OpenaiChatClient
from tests.client_runtime.conftest import ADA, CutEvery, Served
from tests.support.server import serve_in_thread


async def _all(events: AsyncIterator[Any]) -> list[Any]:
    return [event async for event in events]


def _run(coroutine: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coroutine, 60))


# Each connection must carry at least one whole event (and the `retry:` line) to make progress.
@pytest.mark.parametrize("budget", [90, 131, 250, 400])
def test_a_resumable_stream_reads_to_its_end_through_cuts(
    served: Served, cut: CutEvery, budget: int
) -> None:
    async def read(verbose: bool) -> list[Any]:
        async with JobsClient(served.url, reconnect_delay=0) as client:
            return await _all(client.job_events(job_id=f"cut{budget}", verbose=verbose))

    whole = _run(read(True))
    cut.budget = budget
    before = cut.cuts
    pieces = _run(read(True))
    assert pieces == whole  # every event exactly once, in order
    assert [type(e) for e in whole].count(ProgressEvent) == 10
    assert [type(e) for e in whole].count(LogEvent) == 10
    assert isinstance(whole[-1], CompletedEvent)
    assert cut.cuts > before  # it was really cut, and resumed
    ids = [r.last_event_id for r in served.requests(f"/jobs/cut{budget}/events")]
    assert ids[:2] == [None, None]  # the whole read, then the first cut read
    resumed = [int(i) for i in ids[2:] if i is not None]
    assert resumed == sorted(resumed) and len(set(resumed)) == len(resumed)


def test_a_handler_id_stream_resumes_at_the_ids_it_was_given(served: Served, cut: CutEvery) -> None:
    async def read() -> list[Any]:
        async with LogsClient(served.url, reconnect_delay=0) as client:
            received = []
            async for event in client.tail(service_="api", from_="20"):
                received.append(event)
                if len(received) == 12:
                    break
            return received

    cut.budget = 200  # more than its longest event, a three-line record
    events = _run(read())
    assert [e.id for e in events] == [str(n) for n in range(21, 33)]
    assert isinstance(events[4], RotatedEvent) and all(isinstance(e, LineEvent) for e in events[:4])


def test_a_post_without_resume_is_never_sent_again(served: Served, cut: CutEvery) -> None:
    body = ChatCompletionBody(
        model="small-chat-1", messages=[Message(role="user", content="one two three four five")]
    )
    path = "/v1/chat/completions"
    sent = len(served.requests(path))

    async def read() -> list[Any]:
        async with ChatClient(served.url, headers=ADA, reconnect_delay=0) as client:
            return await _all(client.chat_completion(body=body))

    events = _run(read())
    assert isinstance(events[-1], DoneEvent) and events[-1].data == "[DONE]"
    cut.budget = 80
    with pytest.raises(ChatStreamInterrupted) as caught:
        _run(read())
    assert caught.value.events >= 1
    assert len(served.requests(path)) == sent + 2  # one each: the cut one was not re-sent


def test_a_refusal_before_the_stream_is_the_packages_status_error(served: Served) -> None:
    body = ChatCompletionBody(model="m", messages=[Message(role="user", content="x")])

    async def read(headers: dict[str, str]) -> list[Any]:
        async with ChatClient(served.url, headers=headers) as client:
            return await _all(client.chat_completion(body=body))

    with pytest.raises(ChatStatusError) as refused:
        _run(read({}))
    assert refused.value.status == 401
    assert refused.value.problem is not None and refused.value.problem["status"] == 401
    assert refused.value.headers["www-authenticate"] == "Bearer"

    async def missing() -> list[Any]:
        async with JobsClient(served.url) as client:
            return await _all(client.job_events(job_id="missing"))

    with pytest.raises(JobsStatusError) as not_found:
        _run(missing())
    assert not_found.value.status == 404


def test_the_error_event_is_raised_as_its_exception(served: Served) -> None:
    body = CreateMessageBody.model_validate(
        {
            "model": "fail-midway",
            "max_tokens": 20,
            "messages": [{"role": "user", "content": "say something"}],
        }
    )

    async def read() -> list[Any]:
        async with AnthropicMessagesClient(served.url) as client:
            return await _all(client.create_message(body=body, x_api_key="sk-ant-1"))

    with pytest.raises(CreateMessageFailed) as failed:
        _run(read())
    assert failed.value.event.data.error.type == "api_error"


def test_variants_without_event_names_are_told_apart(served: Served) -> None:
    body = CreateChatCompletionBody.model_validate(
        {"model": "small-chat-1", "stream": True, "messages": [{"role": "user", "content": "a b"}]}
    )

    async def read() -> list[Any]:
        async with OpenaiChatClient(served.url) as client:
            return await _all(client.create_chat_completion(body=body, authorization="Bearer sk-1"))

    events = _run(read())
    assert [type(e).__name__ for e in events] == ["ChunkEvent"] * 3 + ["DoneEvent"]


def test_a_topic_reads_live_events_through_cuts_and_calls_headers_each_time(
    served: Served, cut: CutEvery
) -> None:
    calls: list[int] = []

    async def headers() -> dict[str, str]:
        calls.append(len(calls))
        return ADA  # a refreshed token would go out here

    async def run() -> list[Any]:
        async with NotificationsClient(served.url, headers=headers, reconnect_delay=0) as client:
            received: list[Any] = []
            reader = client.user_notifications(user_id=7)
            first = asyncio.ensure_future(reader.__anext__())
            await asyncio.sleep(0)
            async with httpx.AsyncClient(base_url=served.url) as http:
                for n in range(8):
                    note = {"id": f"t{n}", "kind": "system", "title": f"note {n} " + "x" * 40}
                    reply = await http.post("/users/7/notifications", json=note)
                    assert reply.status_code == 202
            received.append(await first)
            async for event in reader:
                received.append(event)
                if isinstance(event, NotificationEvent) and event.data.id == "t7":
                    break
            return received

    cut.budget = 150
    events = _run(run())
    titles = [e.data.id for e in events if isinstance(e, NotificationEvent)]
    wanted = [f"t{n}" for n in range(8)]
    assert titles[-8:] == wanted and titles.count("t0") == 1  # retained, then live, once each
    assert len(calls) > 1  # called again for every reconnect


def test_a_topic_says_missed_when_its_position_is_no_longer_kept(served: Served) -> None:
    async def run() -> list[Any]:
        async with httpx.AsyncClient(base_url=served.url) as http:
            for n in range(60):  # more than the 50 the topic keeps
                reply = await http.post("/announcements", json={"text": f"a{n}"})
                assert reply.status_code == 202
        async with NotificationsClient(served.url, reconnect_delay=0) as client:
            received: list[Any] = []
            async for event in client.announcements(last_event_id="1"):
                received.append(event)
                if len(received) == 3:
                    break
        return received

    events = _run(run())
    assert isinstance(events[0], Missed) and events[0].last_event_id == "1"
    assert [type(e).__name__ for e in events[1:]] == ["AnnouncementEvent"] * 2


def test_204_ends_the_stream_with_no_further_request(served: Served) -> None:
    """A closed topic instance: a reconnect after its terminal event gets 204, and stops."""
    bob = {"Authorization": "Bearer token-bob"}
    path = "/users/8/notifications"

    async def run() -> tuple[list[Any], list[Any], str | None]:
        async with httpx.AsyncClient(base_url=served.url) as http:
            assert (await http.post("/users/8/account/close")).status_code == 202
        async with NotificationsClient(served.url, headers=bob, reconnect_delay=0) as client:
            stream = client.user_notifications(user_id=8)
            first = await _all(stream)
            again = await _all(
                client.user_notifications(user_id=8, last_event_id=stream.last_event_id)
            )
            return first, again, stream.last_event_id

    before = len(served.requests(path))
    first, again, last_id = _run(run())
    assert isinstance(first[-1], AccountClosedEvent)
    assert last_id is not None and again == []
    requests = served.requests(path)[before:]
    assert [r.last_event_id for r in requests] == [None, last_id]  # one each, no reconnect


async def _newer_server(scope: Any, receive: Any, send: Any) -> None:
    """A jobs stream from a newer server: an event this client's spec does not have."""
    body = (
        b'retry: 10\nevent: progress\ndata: {"percent":50}\nid: 1\n\n'
        b"event: brand_new\ndata: {}\nid: 2\n\n"
        b'event: progress\ndata: {"percent":"not a number"}\nid: 3\n\n'
        b'event: completed\ndata: {"result_url":"/r"}\nid: 4\n\n'
    )

    if scope["type"] != "http":
        return
    headers = [(b"content-type", b"text/event-stream")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def test_unknown_events_are_skipped_or_handed_over() -> None:
    seen: list[RawEvent] = []

    async def read(**options: Any) -> list[Any]:
        async with JobsClient(url, **options) as client:
            return await _all(client.job_events(job_id="1"))

    with serve_in_thread(_newer_server) as url:
        skipped = _run(read())
        handed = _run(read(on_unknown=seen.append))
    assert [type(e) for e in skipped] == [ProgressEvent, CompletedEvent]
    assert skipped == handed
    # A new event, and a known one whose payload no longer matches: neither crashes the client.
    assert [(r.type, r.last_event_id) for r in seen] == [("brand_new", "2"), ("progress", "3")]
