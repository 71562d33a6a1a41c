"""The OpenAI Chat Completions re-creation (specs/openai_chat.yaml), echoing like ChatDemo.

It streams exactly what OpenAI's API streams, so the official `openai` SDK
reads it unchanged (base URL `<server>/openai/v1`): chunks without an
`event:` line, the final chunk with its `finish_reason`, a usage chunk when
`stream_options.include_usage` asks for one, then `[DONE]`. Without
`stream: true` it answers one `chat.completion` object instead, as OpenAI does. The model name
`fail-midway` fails after the first chunk, to show the in-stream error that
the SDK raises as `openai.APIError` (the runtime's default error event, in
OpenAI's envelope as the spec's `errors:` declares it).

Before the stream, errors come in OpenAI's envelope too: every API key is
accepted but `sk-revoked` (401, `openai.AuthenticationError`), a model the
demo does not serve gets 404 (`openai.NotFoundError`), and a body that does not
validate gets 400 from the runtime (`openai.BadRequestError`).
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator
from typing import Literal

from ssegen.runtime import EnvelopeError

from generated import openai_chat as oa
from generated.openai_chat import (
    ChunkData,
    ChunkDataChoice,
    ChunkDataChoiceDelta,
    ChunkEvent,
    CreateChatCompletionAnswer,
    CreateChatCompletionAnswerChoice,
    CreateChatCompletionAnswerChoiceMessage,
    CreateChatCompletionBody,
    CreateChatCompletionEvent,
    CreateChatCompletionHeaders,
    DoneEvent,
    ErrorBody,
    ErrorBodyError,
    Usage,
)

FAIL_MIDWAY = "fail-midway"
REVOKED_KEY = "sk-revoked"
MODELS = frozenset({"small-chat-1", FAIL_MIDWAY})
_IDS = itertools.count(1)


class ModelFailed(Exception):
    """The fake model gave up after it started answering."""


class OpenAIChatDemo(oa.OpenaiChatService):
    def __init__(self, step: float = 0.0) -> None:
        self.step = step

    async def create_chat_completion(
        self,
        *,
        authorization: str | None,
        body: CreateChatCompletionBody,
        response_headers: CreateChatCompletionHeaders,
    ) -> AsyncIterator[CreateChatCompletionEvent]:
        number = next(_IDS)
        response_headers.x_request_id = f"req_{number:08d}"
        _check(authorization, body)
        words = body.messages[-1].content.split() or ["..."]
        completion_id = f"chatcmpl-{number}"
        created = int(time.time())

        def chunk(
            delta: ChunkDataChoiceDelta,
            finish: Literal["stop", "length"] | None = None,
            usage: Usage | None = None,
        ) -> ChunkEvent:
            choices = [] if usage else [ChunkDataChoice(index=0, delta=delta, finish_reason=finish)]
            return ChunkEvent(
                data=ChunkData(
                    id=completion_id,
                    created=created,
                    model=body.model,
                    choices=choices,
                    usage=usage,
                )
            )

        for index, word in enumerate(words):
            await asyncio.sleep(self.step)
            text = word if index == 0 else f" {word}"
            # The role comes with the first chunk only, as OpenAI sends it.
            delta = ChunkDataChoiceDelta(role="assistant", content=text)
            yield chunk(delta if index == 0 else ChunkDataChoiceDelta(content=text))
            if body.model == FAIL_MIDWAY:
                raise ModelFailed("the model stopped answering")
        yield chunk(ChunkDataChoiceDelta(), finish="stop")
        if body.stream_options and body.stream_options.include_usage:
            count = len(words)
            usage = Usage(prompt_tokens=count, completion_tokens=count, total_tokens=2 * count)
            yield chunk(ChunkDataChoiceDelta(), usage=usage)
        yield DoneEvent()

    async def create_chat_completion_answer(
        self,
        *,
        authorization: str | None,
        body: CreateChatCompletionBody,
        response_headers: CreateChatCompletionHeaders,
    ) -> CreateChatCompletionAnswer:
        """Without `stream: true`: the whole reply as one `chat.completion`, as OpenAI sends it."""
        number = next(_IDS)
        response_headers.x_request_id = f"req_{number:08d}"
        _check(authorization, body)
        if body.model == FAIL_MIDWAY:
            raise ModelFailed("the model stopped answering")
        words = body.messages[-1].content.split() or ["..."]
        count = len(words)
        message = CreateChatCompletionAnswerChoiceMessage(content=" ".join(words))
        return CreateChatCompletionAnswer(
            id=f"chatcmpl-{number}",
            created=int(time.time()),
            model=body.model,
            choices=[
                CreateChatCompletionAnswerChoice(index=0, message=message, finish_reason="stop")
            ],
            usage=Usage(prompt_tokens=count, completion_tokens=count, total_tokens=2 * count),
        )


def _check(authorization: str | None, body: CreateChatCompletionBody) -> None:
    """Refuse a missing or revoked key (401) and a model the demo does not serve (404)."""
    key = (authorization or "").removeprefix("Bearer ").strip()
    if not key or key == REVOKED_KEY:
        raise refused(401, "Incorrect API key provided.", "invalid_api_key")
    if body.model not in MODELS:
        raise refused(404, f"The model `{body.model}` does not exist.", "model_not_found")


def refused(status: int, message: str, code: str) -> EnvelopeError:
    """A refusal before the stream, in OpenAI's envelope."""
    error = ErrorBodyError(message=message, type="invalid_request_error", param=None, code=code)
    return EnvelopeError(status, ErrorBody(error=error))
