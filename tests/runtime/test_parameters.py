"""FastAPI still reads and validates the endpoint's own parameters; only Last-Event-ID is ours."""

from __future__ import annotations

import json

from tests.runtime.app import create_app
from tests.runtime.http_client import Client


def test_path_query_header_and_body_reach_the_handler(client: Client) -> None:
    reply = client.post(
        "/search/alice",
        params={"limit": 5},
        headers={"X-Tenant": "t1"},
        json={"query": "q", "maxResults": 2},
    )
    assert reply.status == 200
    events = reply.stream.events
    assert [e.type for e in events] == ["progress", "progress", "completed"]
    assert json.loads(events[0].data) == {"percent": 0, "stageName": "alice/t1/q"}


def test_invalid_parameters_are_422_problems(client: Client) -> None:
    assert client.get("/jobs/progress/events", params={"count": -1}).status == 422
    body = {"query": "q"}
    assert client.post("/search/alice", json=body).status == 422  # no X-Tenant header
    assert (
        client.post(
            "/search/alice", json=body, params={"limit": 0}, headers={"X-Tenant": "t"}
        ).status
        == 422
    )
    reply = client.post("/search/alice", json={"query": ""}, headers={"X-Tenant": "t"})
    assert reply.status == 422
    assert reply.headers["content-type"] == "application/problem+json"
    problem = json.loads(reply.body)
    # FastAPI's validation errors, each in `errors`; the first ones named in `detail`.
    assert problem["errors"][0]["loc"] == ["body", "query"]
    assert problem["status"] == 422
    assert problem["detail"].startswith("The request does not validate: query: ")


def test_openapi_documents_the_resume_parameters_not_the_handler_one() -> None:
    operation = create_app().openapi()["paths"]["/jobs/{job_id}/events"]["get"]
    params = {(p["in"], p["name"]) for p in operation["parameters"]}
    assert params == {
        ("path", "job_id"),
        ("query", "count"),
        ("header", "Last-Event-ID"),
        ("query", "last_event_id"),
    }
    assert not any(p["required"] for p in operation["parameters"] if p["in"] != "path")
    assert "text/event-stream" in operation["responses"]["200"]["content"]


def test_a_stream_without_resume_has_no_resume_parameters() -> None:
    operation = create_app().openapi()["paths"]["/ticks"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"mode", "delay"}
