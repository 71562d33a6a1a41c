"""The official `anthropic` SDK reads the re-creation of Anthropic's message stream.

specs/anthropic_messages.yaml, implemented in examples/anthropic_messages.py,
served by the example app under a real uvicorn. The SDK, sync and async, as an
application would use it: the raw events of `create(stream=True)`, the text
accumulated by `messages.stream()` and its final message, the mid-stream
`error` event raised as the SDK's `APIStatusError`, and the errors before the
stream, in Anthropic's envelope, raised as the SDK's classes for 401, 404 and
400 — with no workaround in the service code.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anthropic
import httpx
import pytest
from anthropic.types import MessageParam

from examples.anthropic_messages import FAIL_MIDWAY, REVOKED_KEY
from tests.support.server import serve_in_process

ROOT = Path(__file__).resolve().parents[2]
PROMPT = "the quick brown fox"
MODEL = "small-model-1"
MESSAGES: list[MessageParam] = [{"role": "user", "content": PROMPT}]


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with serve_in_process("examples.app:app", cwd=ROOT) as url:
        yield f"{url}/anthropic"


def _client(base_url: str, api_key: str = "sk-ant-test") -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=base_url, api_key=api_key, max_retries=0, timeout=20)


def test_the_sync_sdk_reads_every_event_in_order(base_url: str) -> None:
    with _client(base_url) as client:
        events = list(
            client.messages.create(model=MODEL, max_tokens=100, messages=MESSAGES, stream=True)
        )
    kinds = [event.type for event in events]
    assert kinds == [
        "message_start",
        "content_block_start",
        *["content_block_delta"] * 4,
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]  # `ping` is read and skipped by the SDK
    start = events[0]
    assert start.type == "message_start"
    assert start.message.stop_reason is None and start.message.stop_sequence is None
    text = "".join(
        e.delta.text
        for e in events
        if e.type == "content_block_delta" and e.delta.type == "text_delta"
    )
    assert text == PROMPT
    delta = events[-2]
    assert delta.type == "message_delta" and delta.delta.stop_reason == "end_turn"
    assert delta.usage.output_tokens == 4


def test_the_stream_helper_accumulates_text_and_the_final_message(base_url: str) -> None:
    with (
        _client(base_url) as client,
        client.messages.stream(model=MODEL, max_tokens=100, messages=MESSAGES) as stream,
    ):
        pieces = list(stream.text_stream)
        final = stream.get_final_message()
        request_id = stream.response.headers.get("request-id")
    assert "".join(pieces) == PROMPT
    assert final.role == "assistant" and final.model == MODEL
    assert [block.type for block in final.content] == ["text"]
    assert final.content[0].text == PROMPT  # type: ignore[union-attr]
    assert final.stop_reason == "end_turn" and final.stop_sequence is None
    assert final.usage.input_tokens == 4 and final.usage.output_tokens == 4
    # The handler's `request-id` response header, read by the SDK as Anthropic's.
    assert request_id is not None and request_id.startswith("req_")


def test_max_tokens_stops_the_message_there(base_url: str) -> None:
    with _client(base_url) as client:
        final = client.messages.stream(model=MODEL, max_tokens=2, messages=MESSAGES)
        with final as stream:
            message = stream.get_final_message()
    assert message.content[0].text == "the quick"  # type: ignore[union-attr]
    assert message.stop_reason == "max_tokens"


def test_the_async_sdk_reads_the_same_stream(base_url: str) -> None:
    async def read() -> str:
        async with (
            anthropic.AsyncAnthropic(
                base_url=base_url, api_key="sk-ant-test", max_retries=0
            ) as client,
            client.messages.stream(model=MODEL, max_tokens=100, messages=MESSAGES) as stream,
        ):
            return "".join([text async for text in stream.text_stream])

    assert asyncio.run(read()) == PROMPT


def test_a_mid_stream_error_is_raised_as_the_sdks_status_error(base_url: str) -> None:
    received: list[str] = []
    client = _client(base_url)
    request = client.messages.stream(model=FAIL_MIDWAY, max_tokens=100, messages=MESSAGES)
    with client, pytest.raises(anthropic.APIStatusError) as raised, request as stream:
        received.extend(stream.text_stream)
    assert received == ["the"]
    # The runtime's default error event, in the envelope the spec declares.
    assert raised.value.body == {
        "type": "error",
        "error": {"type": "api_error", "message": "The stream failed."},
    }


def _refused(base_url: str, error: type[anthropic.APIStatusError], **options: Any) -> Any:
    api_key = str(options.pop("api_key", "sk-ant-test"))
    request: dict[str, Any] = {"model": MODEL, "max_tokens": 100, "messages": MESSAGES, **options}
    client = _client(base_url, api_key)
    with client, pytest.raises(error) as raised:
        client.messages.create(stream=True, **request)
    assert raised.value.response.headers["content-type"] == "application/json"
    return raised.value


def test_a_revoked_key_is_the_sdks_authentication_error(base_url: str) -> None:
    error = _refused(base_url, anthropic.AuthenticationError, api_key=REVOKED_KEY)
    assert error.status_code == 401
    assert error.request_id.startswith("req_")  # set before the refusal, sent with it
    assert error.body == {
        "type": "error",
        "error": {"type": "authentication_error", "message": "invalid x-api-key"},
    }


def test_an_unknown_model_is_the_sdks_not_found_error(base_url: str) -> None:
    error = _refused(base_url, anthropic.NotFoundError, model="no-such-model")
    assert error.status_code == 404
    assert error.body["error"] == {"type": "not_found_error", "message": "model: no-such-model"}


@pytest.mark.parametrize(
    "options",
    [{"max_tokens": 0}, {"messages": []}, {"messages": [{"role": "system", "content": "x"}]}],
    ids=["max-tokens", "no-messages", "role"],
)
def test_a_body_that_does_not_validate_is_the_sdks_bad_request(
    base_url: str, options: dict[str, Any]
) -> None:
    error = _refused(base_url, anthropic.BadRequestError, **options)
    assert error.status_code == 400
    assert error.body["type"] == "error"
    assert error.body["error"]["type"] == "invalid_request_error"
    message = error.body["error"]["message"]
    assert message.startswith("The request does not validate: ") and next(iter(options)) in message


def test_the_wire_is_anthropics(base_url: str) -> None:
    body = {"model": MODEL, "max_tokens": 100, "messages": MESSAGES, "stream": True}
    headers = {"x-api-key": "sk-ant-test", "anthropic-version": "2023-06-01"}
    with httpx.stream(
        "POST", f"{base_url}/v1/messages", json=body, headers=headers, timeout=20
    ) as reply:
        wire = reply.read().decode()
    assert wire.startswith('event: message_start\ndata: {"type":"message_start",')
    assert 'event: ping\ndata: {"type":"ping"}\n\n' in wire
    # Required and nullable: sent as null, as Anthropic sends them.
    assert '"stop_reason":null,"stop_sequence":null' in wire
    assert wire.endswith('event: message_stop\ndata: {"type":"message_stop"}\n\n')
