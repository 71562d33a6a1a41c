"""The official `openai` SDK reads the re-creation of OpenAI's chat stream (specs/openai_chat.yaml).

The example app under a real uvicorn; the SDK, sync and async, as an
application would use it: the text accumulated from the chunks, the final
chunk's `finish_reason`, the usage chunk, the SDK's `stream()` helper with its
final completion, the mid-stream error, which the SDK raises as
`openai.APIError` with OpenAI's error message, and the errors before the
stream, in OpenAI's envelope, raised as the SDK's classes for 401, 404 and 400.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from openai.types.chat import ChatCompletionMessageParam

from examples.openai_chat import FAIL_MIDWAY, REVOKED_KEY
from tests.support.server import serve_in_process

ROOT = Path(__file__).resolve().parents[2]
PROMPT = "the quick brown fox"
MESSAGES: list[ChatCompletionMessageParam] = [{"role": "user", "content": PROMPT}]


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with serve_in_process("examples.app:app", cwd=ROOT) as url:
        yield f"{url}/openai/v1"


def _client(base_url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=base_url, api_key="test", max_retries=0, timeout=20)


def test_the_sync_sdk_accumulates_the_text_exactly(base_url: str) -> None:
    with _client(base_url) as client:
        stream = client.chat.completions.create(
            model="small-chat-1",
            messages=MESSAGES,
            stream=True,
            stream_options={"include_usage": True},
        )
        chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == PROMPT
    assert chunks[0].choices[0].delta.role == "assistant"
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices]
    assert finishes == [None] * 4 + ["stop"]
    assert {c.id for c in chunks} == {chunks[0].id} and chunks[0].object == "chat.completion.chunk"
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert chunks[-1].usage.total_tokens == 8


def test_the_request_id_header_reaches_the_sdk(base_url: str) -> None:
    with _client(base_url) as client:
        raw = client.chat.completions.with_raw_response.create(
            model="small-chat-1", messages=MESSAGES, stream=True
        )
        stream = raw.parse()
        assert sum(1 for _ in stream) == 5
    assert raw.headers["x-request-id"].startswith("req_")
    assert raw.request_id == raw.headers["x-request-id"]


@pytest.mark.parametrize("stream", [False, None], ids=["stream-false", "no-stream"])
def test_without_stream_true_the_answer_is_one_chat_completion(
    base_url: str, stream: bool | None
) -> None:
    options: dict[str, Any] = {} if stream is None else {"stream": stream}
    with _client(base_url) as client:
        completion = client.chat.completions.create(
            model="small-chat-1", messages=MESSAGES, **options
        )
    assert completion.object == "chat.completion"
    assert completion._request_id is not None and completion._request_id.startswith("req_")
    assert completion.choices[0].message.content == PROMPT
    assert completion.choices[0].message.role == "assistant"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage is not None and completion.usage.total_tokens == 8


def test_the_json_answer_refuses_in_the_envelope_too(base_url: str) -> None:
    with _client(base_url) as client, pytest.raises(openai.NotFoundError) as raised:
        client.chat.completions.create(model="no-such-model", messages=MESSAGES)
    assert raised.value.code == "model_not_found"
    with _client(base_url) as client, pytest.raises(openai.InternalServerError) as failed:
        client.chat.completions.create(model=FAIL_MIDWAY, messages=MESSAGES)
    assert failed.value.type == "server_error" and "stopped" not in failed.value.message


def test_the_async_sdk_reads_the_same_stream(base_url: str) -> None:
    async def read() -> str:
        async with openai.AsyncOpenAI(base_url=base_url, api_key="t", max_retries=0) as client:
            stream = await client.chat.completions.create(
                model="small-chat-1",
                messages=MESSAGES,
                stream=True,
            )
            return "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])

    assert asyncio.run(read()) == PROMPT


def test_the_sdk_stream_helper_builds_the_final_completion(base_url: str) -> None:
    with (
        _client(base_url) as client,
        client.chat.completions.stream(model="small-chat-1", messages=MESSAGES) as stream,
    ):
        deltas = [event.delta for event in stream if event.type == "content.delta"]
        final = stream.get_final_completion()
    assert "".join(deltas) == PROMPT
    assert final.choices[0].message.content == PROMPT
    assert final.choices[0].message.role == "assistant"
    assert final.choices[0].finish_reason == "stop"


def test_a_mid_stream_error_is_raised_as_the_sdks_api_error(base_url: str) -> None:
    with _client(base_url) as client:
        stream = client.chat.completions.create(
            model=FAIL_MIDWAY,
            messages=MESSAGES,
            stream=True,
        )
        received: list[str] = []
        with pytest.raises(openai.APIError) as raised:
            for chunk in stream:
                received.append(chunk.choices[0].delta.content or "")
    assert received == ["the"]
    # The runtime's default error event, in the envelope the spec declares.
    assert raised.value.message == "The stream failed."
    assert raised.value.type == "server_error"


def _refused(base_url: str, error: type[openai.APIStatusError], **options: object) -> Any:
    api_key = str(options.pop("api_key", "sk-test"))
    request: dict[str, Any] = {"model": "small-chat-1", "messages": MESSAGES, **options}
    client = openai.OpenAI(base_url=base_url, api_key=api_key, max_retries=0, timeout=20)
    with client, pytest.raises(error) as raised:
        client.chat.completions.create(stream=True, **request)
    assert raised.value.response.headers["content-type"] == "application/json"
    return raised.value


def test_a_revoked_key_is_the_sdks_authentication_error(base_url: str) -> None:
    error = _refused(base_url, openai.AuthenticationError, api_key=REVOKED_KEY)
    assert error.status_code == 401
    assert error.code == "invalid_api_key" and error.type == "invalid_request_error"
    assert error.message.startswith("Error code: 401") and "Incorrect API key" in error.message


def test_an_unknown_model_is_the_sdks_not_found_error(base_url: str) -> None:
    error = _refused(base_url, openai.NotFoundError, model="no-such-model")
    assert error.status_code == 404 and error.code == "model_not_found"
    assert error.request_id is not None and error.request_id.startswith("req_")
    assert error.body == {
        "message": "The model `no-such-model` does not exist.",
        "type": "invalid_request_error",
        "param": None,
        "code": "model_not_found",
    }


@pytest.mark.parametrize(
    "options",
    [{"messages": []}, {"temperature": 5}, {"max_tokens": 0}],
    ids=["no-messages", "temperature", "max-tokens"],
)
def test_a_body_that_does_not_validate_is_the_sdks_bad_request(
    base_url: str, options: dict[str, object]
) -> None:
    error = _refused(base_url, openai.BadRequestError, **options)
    assert error.status_code == 400
    assert error.type == "invalid_request_error" and error.code is None and error.param is None
    assert str(error.body["message"]).startswith("The request does not validate: ")
    assert next(iter(options)) in error.body["message"]


def test_a_body_that_is_not_json_is_a_400_in_the_envelope(base_url: str) -> None:
    reply = httpx.post(
        f"{base_url}/chat/completions",
        content=b"{not json",
        headers={"authorization": "Bearer sk-test", "content-type": "application/json"},
        timeout=20,
    )
    assert reply.status_code == 400
    assert reply.headers["content-type"] == "application/json"
    assert set(reply.json()) == {"error"}
    assert reply.json()["error"]["type"] == "invalid_request_error"


def test_the_wire_has_no_event_lines(base_url: str) -> None:
    body = {"model": "small-chat-1", "messages": MESSAGES, "stream": True}
    headers = {"authorization": "Bearer sk-test"}
    with httpx.stream(
        "POST", f"{base_url}/chat/completions", json=body, headers=headers, timeout=20
    ) as reply:
        wire = reply.read().decode()
    assert "event:" not in wire
    # The final chunk's delta is empty, as OpenAI's is; its finish_reason is set.
    assert '"delta":{},"finish_reason":"stop"' in wire
    assert wire.endswith("data: [DONE]\n\n")
