"""Errors before the stream in the API's own envelope (`errors:` in a spec), served by uvicorn.

The package is the golden `errors` spec, built afresh: a package-wide envelope
(Anthropic-like, `{"type": "error", "error": {...}}`, its `type` by status),
a stream that overrides it with its own shape and a problem hook, and a topic
that keeps the package's. Every refusal a route can make is checked in the
envelope: a handler's `EnvelopeError` and `ProblemError`, a failure, a body
or a parameter that does not validate, a body too large, an HTTPException of
a router dependency, and the in-stream error event built from the envelope.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import Depends, FastAPI, Header, HTTPException
from pydantic import BaseModel
from ssegen.runtime import EnvelopeError, ErrorFormat, MemoryBroker, ProblemError, StreamSpec
from ssegen.runtime.refusals import refusal

from tests.support.generated import importable
from tests.support.server import serve_in_thread

SPECS = Path(__file__).parents[1] / "generator" / "golden" / "errors" / "specs"
importable(SPECS)
envelopes: Any = importlib.import_module("envelopes")

KEY = {"x-api-key": "k"}


class Service(envelopes.EnvelopesService):  # type: ignore[misc]
    async def complete(self, *, body: Any, response_headers: Any) -> AsyncIterator[Any]:
        prompt = body.prompt
        response_headers.request_id = f"req-{prompt}"
        response_headers.x_ratelimit_remaining = 7
        if prompt == "bad-header":
            response_headers.request_id = "two\r\nlines"
        if prompt == "deny":
            error = envelopes.ApiErrorError(type="permission_error", message="Not for you.")
            raise EnvelopeError(403, envelopes.ApiError(error=error), headers={"x-reason": "deny"})
        if prompt == "missing":
            raise ProblemError(404, detail="No such model.")
        if prompt == "crash":
            raise RuntimeError("a secret the client must not see")
        yield envelopes.TextEvent(data=envelopes.TextData(text=prompt))
        if prompt == "midway":
            raise RuntimeError("a secret the client must not see")
        if prompt == "late":
            response_headers.request_id = "too late"  # raises HeadersSentError

    async def status(self, *, job_id: int) -> AsyncIterator[Any]:
        if job_id == 13:
            raise ProblemError(409, detail="The job is being rewritten.")
        if job_id == 7:
            raise ProblemError(410, detail="The job is gone.")
        yield envelopes.ProgressEvent(data=envelopes.ProgressData(percent=job_id))

    async def status_answer(self, *, job_id: int) -> Any:
        if job_id == 7:
            raise ProblemError(410, detail="The job is gone.")
        return envelopes.StatusAnswer(job_id=job_id, percent=50)

    def status_problem(self, problem: ProblemError) -> Any:
        if problem.status == 410:
            return envelopes.StatusErrorBody(code=410, reason="gone", hint="Start a new job.")
        if problem.status == 409:
            raise ValueError("a hook that fails falls back to the spec's envelope")
        return None


def _api_key(x_api_key: str | None = Header(default=None)) -> None:
    if x_api_key is None:
        raise HTTPException(401, "An API key is required.", headers={"www-authenticate": "Key"})


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    app = FastAPI()
    app.include_router(
        envelopes.build_router(Service(), broker=MemoryBroker()), dependencies=[Depends(_api_key)]
    )
    with serve_in_thread(app) as url:
        yield url


def _error(reply: httpx.Response) -> Any:
    assert reply.headers["content-type"] == "application/json"
    return reply.json()


def test_a_handlers_envelope_error_goes_out_as_it_is(base_url: str) -> None:
    reply = httpx.post(f"{base_url}/v1/complete", json={"prompt": "deny"}, headers=KEY)
    assert reply.status_code == 403 and reply.headers["x-reason"] == "deny"
    assert reply.headers["request-id"] == "req-deny"  # set before the refusal: sent with it
    assert _error(reply) == {
        "type": "error",
        "error": {"type": "permission_error", "message": "Not for you."},
    }


@pytest.mark.parametrize(
    ("prompt", "status", "kind", "message"),
    [
        ("missing", 404, "not_found_error", "No such model."),
        ("crash", 500, "api_error", "The stream failed."),
    ],
)
def test_problems_before_the_stream_are_filled_into_the_envelope(
    base_url: str, prompt: str, status: int, kind: str, message: str
) -> None:
    reply = httpx.post(f"{base_url}/v1/complete", json={"prompt": prompt}, headers=KEY)
    assert reply.status_code == status
    assert _error(reply) == {"type": "error", "error": {"type": kind, "message": message}}


def test_a_body_that_does_not_validate_gets_the_declared_status(base_url: str) -> None:
    reply = httpx.post(f"{base_url}/v1/complete", json={"prompt": ""}, headers=KEY)
    assert reply.status_code == 400
    error = _error(reply)["error"]
    assert error["type"] == "invalid_request_error"
    assert error["message"].startswith("The request does not validate: prompt: ")


def test_a_body_too_large_is_refused_in_the_envelope(base_url: str) -> None:
    reply = httpx.post(
        f"{base_url}/v1/complete",
        content=b'{"prompt": "' + b"x" * (2 << 20) + b'"}',
        headers={**KEY, "content-type": "application/json"},
    )
    assert reply.status_code == 413
    assert _error(reply)["error"]["type"] == "request_too_large"


def test_a_router_dependencys_http_exception_is_in_the_envelope(base_url: str) -> None:
    reply = httpx.post(f"{base_url}/v1/complete", json={"prompt": "hi"})
    assert reply.status_code == 401 and reply.headers["www-authenticate"] == "Key"
    assert _error(reply) == {
        "type": "error",
        "error": {"type": "authentication_error", "message": "An API key is required."},
    }


def test_a_failure_mid_stream_sends_the_envelope_as_the_error_event(base_url: str) -> None:
    with httpx.stream(
        "POST", f"{base_url}/v1/complete", json={"prompt": "midway"}, headers=KEY
    ) as reply:
        wire = reply.read().decode()
    assert reply.status_code == 200
    assert "secret" not in wire
    failed = wire.split("event: failed\ndata: ")[1].split("\n")[0]
    assert json.loads(failed) == {
        "type": "error",
        "error": {"type": "api_error", "message": "The stream failed."},
    }


def test_response_headers_set_before_the_first_event_go_out_with_it(base_url: str) -> None:
    with httpx.stream("POST", f"{base_url}/v1/complete", json={"prompt": "hi"}, headers=KEY) as r:
        wire = r.read().decode()
    assert r.status_code == 200 and "event: text" in wire
    assert r.headers["request-id"] == "req-hi" and r.headers["x-ratelimit-remaining"] == "7"
    assert r.headers["content-type"].startswith("text/event-stream")


def test_a_header_set_too_late_fails_the_handler_not_the_stream(base_url: str) -> None:
    with httpx.stream("POST", f"{base_url}/v1/complete", json={"prompt": "late"}, headers=KEY) as r:
        wire = r.read().decode()
    assert r.headers["request-id"] == "req-late"  # the value sent, not the late one
    assert wire.startswith("event: text\n") and "event: failed\n" in wire


def test_a_header_value_that_would_forge_headers_is_dropped(base_url: str) -> None:
    body = {"prompt": "bad-header"}
    with httpx.stream("POST", f"{base_url}/v1/complete", json=body, headers=KEY) as r:
        wire = r.read().decode()
    assert r.status_code == 200 and "event: text" in wire
    assert "request-id" not in r.headers and "lines" not in str(r.headers)


def test_a_stream_with_its_own_envelope_and_problem_hook(base_url: str) -> None:
    invalid = httpx.get(f"{base_url}/v1/jobs/0", headers=KEY)
    assert invalid.status_code == 422  # the stream's own `errors` declares no validation status
    assert _error(invalid)["code"] == 422 and _error(invalid)["hint"] is None
    assert "job_id" in _error(invalid)["reason"]
    hooked = httpx.get(f"{base_url}/v1/jobs/7", headers=KEY)
    assert hooked.status_code == 410
    assert _error(hooked) == {"code": 410, "reason": "gone", "hint": "Start a new job."}
    failing_hook = httpx.get(f"{base_url}/v1/jobs/13", headers=KEY)
    assert failing_hook.status_code == 409
    assert _error(failing_hook) == {
        "code": 409,
        "reason": "The job is being rewritten.",
        "hint": None,
    }
    assert httpx.get(f"{base_url}/v1/jobs/3", headers=KEY).status_code == 200


@pytest.mark.parametrize(
    ("accept", "json_answer"),
    [
        (None, False),
        ("text/event-stream", False),
        ("application/json", True),
        ("application/json, text/event-stream", False),  # equal: the stream (MCP's clients)
        ("text/event-stream;q=0.5, application/json", True),
        ("application/*", True),
        ("*/*", False),
        ("text/*;q=0.9, */*;q=0.1", False),
        ("application/json;q=0, text/event-stream;q=0.1", False),
    ],
)
def test_the_accept_header_chooses_the_json_answer(
    base_url: str, accept: str | None, json_answer: bool
) -> None:
    headers = {**KEY, **({"accept": accept} if accept is not None else {})}
    reply = httpx.get(f"{base_url}/v1/jobs/3", headers=headers)
    assert reply.status_code == 200
    if json_answer:
        assert reply.headers["content-type"] == "application/json"
        assert reply.json() == {"job_id": 3, "percent": 50}
    else:
        assert reply.headers["content-type"].startswith("text/event-stream")
        assert reply.text.startswith("event: progress\n")


def test_a_json_answer_is_refused_in_the_streams_format(base_url: str) -> None:
    reply = httpx.get(f"{base_url}/v1/jobs/7", headers={**KEY, "accept": "application/json"})
    assert reply.status_code == 410
    assert _error(reply) == {"code": 410, "reason": "gone", "hint": "Start a new job."}


def test_a_topic_keeps_the_packages_envelope(base_url: str) -> None:
    reply = httpx.get(f"{base_url}/v1/announcements")
    assert reply.status_code == 401
    assert _error(reply)["error"]["type"] == "authentication_error"


class _Strict(BaseModel):
    code: int


def test_an_envelope_that_cannot_be_built_falls_back_to_the_problem() -> None:
    # The runtime's last resort: never a 500 from the error path itself.
    spec = StreamSpec(
        name="s",
        events=(),
        errors=ErrorFormat(_Strict, fill=(("/code", "title"),)),
    )
    reply = refusal(ProblemError(404, detail="gone"), spec)
    assert reply.status_code == 404
    assert reply.headers["content-type"] == "application/problem+json"
    assert json.loads(bytes(reply.body))["detail"] == "gone"
