"""The Anthropic Messages re-creation (specs/anthropic_messages.yaml), echoing like ChatDemo.

It streams exactly what Anthropic's API streams, so the official `anthropic`
SDK reads it unchanged (base URL `<server>/anthropic`): `message_start`, one
text block (`content_block_start`, a `ping`, a `content_block_delta` per word,
`content_block_stop`), `message_delta` with the stop reason and the output
tokens, then `message_stop`. A `max_tokens` below the number of words stops
there with `stop_reason: max_tokens`, as the API does. The model name
`fail-midway` fails after the first word: the runtime's default `error` event,
in Anthropic's envelope as the spec's `errors:` declares it, which the SDK
raises as `anthropic.APIStatusError`.

Before the stream, errors come in that envelope too: every API key is accepted
but `sk-ant-revoked` and none at all (401, `anthropic.AuthenticationError`),
a model the demo does not serve gets 404 (`anthropic.NotFoundError`), and a
body that does not validate gets 400 from the runtime
(`anthropic.BadRequestError`).
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from typing import Literal

from ssegen.runtime import EnvelopeError

from generated import anthropic_messages as am
from generated.anthropic_messages import (
    ContentBlockDeltaData,
    ContentBlockDeltaDataDelta,
    ContentBlockDeltaEvent,
    ContentBlockStartData,
    ContentBlockStartEvent,
    ContentBlockStopData,
    ContentBlockStopEvent,
    CreateMessageBody,
    CreateMessageEvent,
    CreateMessageHeaders,
    ErrorResponse,
    ErrorResponseError,
    MessageDeltaData,
    MessageDeltaDataDelta,
    MessageDeltaDataUsage,
    MessageDeltaEvent,
    MessageStartData,
    MessageStartDataMessage,
    MessageStartEvent,
    MessageStopEvent,
    PingEvent,
    TextBlock,
    Usage,
)

FAIL_MIDWAY = "fail-midway"
REVOKED_KEY = "sk-ant-revoked"
MODELS = frozenset({"small-model-1", FAIL_MIDWAY})
_IDS = itertools.count(1)


class ModelFailed(Exception):
    """The fake model gave up after it started answering."""


def _prompt(body: CreateMessageBody) -> str:
    content = body.messages[-1].content
    return content if isinstance(content, str) else " ".join(block.text for block in content)


class AnthropicMessagesDemo(am.AnthropicMessagesService):
    def __init__(self, step: float = 0.0) -> None:
        self.step = step

    async def create_message(
        self,
        *,
        x_api_key: str | None,
        authorization: str | None,
        anthropic_version: str | None,
        body: CreateMessageBody,
        response_headers: CreateMessageHeaders,
    ) -> AsyncIterator[CreateMessageEvent]:
        number = next(_IDS)
        response_headers.request_id = f"req_{number:08d}"  # on refusals too, as Anthropic sends it
        # SDKs send the key as `x-api-key` or, newer ones, as a bearer token.
        key = x_api_key or (authorization or "").removeprefix("Bearer ").strip()
        if not key or key == REVOKED_KEY:
            raise refused(401, "authentication_error", "invalid x-api-key")
        if body.model not in MODELS:
            raise refused(404, "not_found_error", f"model: {body.model}")
        words = _prompt(body).split() or ["..."]
        message = MessageStartDataMessage(
            id=f"msg_{number:08d}",
            content=[],
            model=body.model,
            stop_reason=None,
            stop_sequence=None,
            usage=Usage(input_tokens=len(words), output_tokens=1),
        )
        yield MessageStartEvent(data=MessageStartData(message=message))
        block = TextBlock(text="")
        yield ContentBlockStartEvent(data=ContentBlockStartData(index=0, content_block=block))
        yield PingEvent()
        sent = words[: body.max_tokens]
        for index, word in enumerate(sent):
            await asyncio.sleep(self.step)
            delta = ContentBlockDeltaDataDelta(text=word if index == 0 else f" {word}")
            yield ContentBlockDeltaEvent(data=ContentBlockDeltaData(index=0, delta=delta))
            if body.model == FAIL_MIDWAY:
                raise ModelFailed("the model stopped answering")
        yield ContentBlockStopEvent(data=ContentBlockStopData(index=0))
        stop: Literal["end_turn", "max_tokens"] = (
            "end_turn" if len(sent) == len(words) else "max_tokens"
        )
        yield MessageDeltaEvent(
            data=MessageDeltaData(
                delta=MessageDeltaDataDelta(stop_reason=stop, stop_sequence=None),
                usage=MessageDeltaDataUsage(output_tokens=len(sent)),
            )
        )
        yield MessageStopEvent()


def refused(status: int, kind: str, message: str) -> EnvelopeError:
    """A refusal before the stream, in Anthropic's envelope."""
    return EnvelopeError(
        status, ErrorResponse(error=ErrorResponseError(type=kind, message=message))
    )
