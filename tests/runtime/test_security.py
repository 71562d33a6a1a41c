"""Secured streams (`security_schemes`, `security`), served by uvicorn, with real credentials.

The package is the golden `security` spec, built afresh. The app's
authenticators are of every kind `build_router` takes: a sync callable (the
bearer token, HTTP basic), async callables (the API keys, OpenID Connect)
and a FastAPI dependency (OAuth 2.0, granting scopes). Checked: the principal
reaches the handler, every refusal comes before the stream (401 with
`WWW-Authenticate`, 403 for scopes and foreign topic instances) in the
stream's error format, a secured topic cannot be served without an explicit
authorization, the served catalog documents it all (with what the app adds),
and concurrent callers never see each other's principal, whatever the timing.
"""

from __future__ import annotations

import asyncio
import base64
import importlib
import os
import random
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import httpx
import pytest
from fastapi import Depends, FastAPI, Header
from fastapi.security import APIKeyHeader
from openapi_spec_validator import OpenAPIV32SpecValidator, validate
from ssegen.runtime import Credentials, Gate, MemoryBroker, ProblemError, Scheme
from ssegen.runtime.docs import add_event_catalog, load_catalog

from tests.support.generated import importable
from tests.support.server import serve_in_thread
from tests.support.sse import read_events

SPECS = Path(__file__).parents[1] / "generator" / "golden" / "security" / "specs"
OUT = importable(SPECS)
vault: Any = importlib.import_module("vault")


@dataclass(frozen=True)
class Caller:
    name: str
    scopes: tuple[str, ...] = ()


TOKENS = {"t-ada": Caller("ada"), "t-bob": Caller("bob")}
# The async authenticators await this long, so that concurrent requests interleave.
DELAYS: dict[str, float] = {}


def bearer(credentials: Credentials) -> Caller | None:
    """A sync authenticator: FastAPI's thread pool runs it."""
    return TOKENS.get(credentials.value)


async def api_key(credentials: Credentials) -> Caller | None:
    await asyncio.sleep(DELAYS.get(credentials.value, 0))
    return (
        Caller(credentials.value.removeprefix("k-")) if credentials.value.startswith("k-") else None
    )


async def query_key(credentials: Credentials) -> Caller | None:
    return Caller("query") if credentials.value == "q-1" else None


async def session(credentials: Credentials) -> Caller | None:
    return Caller("session") if credentials.value == "s-1" else None


def basic(credentials: Credentials) -> Caller | None:
    good = credentials.username == "auditor" and credentials.value == "pa:ss"
    return Caller("auditor") if good else None


def oauth(authorization: Annotated[str | None, Header()] = None) -> Caller | None:
    """A FastAPI dependency: it reads its own credentials, and grants scopes."""
    grants = {"Bearer o-read": ("read",), "Bearer o-all": ("read", "audit")}
    scopes = grants.get(authorization or "")
    return None if scopes is None else Caller("oauth", scopes)


async def oidc(credentials: Credentials) -> Caller | None:
    return Caller("oidc") if credentials.value == "id-1" else None


class Service(vault.VaultService):  # type: ignore[misc]
    async def secrets(self, *, name: str, principal: Caller) -> AsyncIterator[Any]:
        if name == "forbidden":
            raise ProblemError(403, detail="Not this one.")
        yield vault.SecretEvent(data=vault.SecretData(value=f"{name} of {principal.name}"))
        yield vault.DoneEvent()

    async def audit(self, *, principal: Caller) -> AsyncIterator[Any]:
        yield vault.EntryEvent(data=f"read by {principal.name}")

    async def status(self) -> AsyncIterator[Any]:
        yield vault.UpEvent()

    async def greeting(self, *, principal: Caller | None) -> AsyncIterator[Any]:
        yield vault.HelloEvent(data=f"hello {principal.name if principal else 'stranger'}")

    async def export(self, *, body: Any, principal: Caller) -> AsyncIterator[Any]:
        yield vault.RowEvent(data=f"{body.format} for {principal.name}")
        yield vault.EndEvent()


class Access(vault.VaultAccess):  # type: ignore[misc]
    async def authorize_inbox(self, principal: Caller, *, user_id: int) -> bool:
        return {"ada": 1, "bob": 2}.get(principal.name) == user_id


AUTHENTICATORS: dict[str, Any] = {
    "bearer": bearer,
    "api_key": api_key,
    "query_key": query_key,
    "session": session,
    "basic": basic,
    "oauth": Depends(oauth),
    "oidc": oidc,
}

ADA = {"Authorization": "Bearer t-ada"}
BOB = {"Authorization": "Bearer t-bob"}


def _basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def _app(prefix: str = "") -> FastAPI:
    broker = MemoryBroker()
    app = FastAPI()
    router = vault.build_router(Service(), broker, access=Access(), **AUTHENTICATORS)
    app.include_router(router, prefix=prefix)
    inbox = vault.InboxPublisher(broker)

    @app.post("/test/inbox/{user_id}", status_code=202)
    async def publish(user_id: int) -> None:
        await inbox.publish(vault.MessageEvent(data=f"for {user_id}"), user_id=user_id)

    return app


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with serve_in_thread(_app()) as url:
        yield url


def _stream(base_url: str, path: str, **kwargs: Any) -> tuple[httpx.Response, list[Any]]:
    """The response and its events; a refusal's body is read whole."""
    method = "POST" if "json" in kwargs else "GET"
    with httpx.stream(method, f"{base_url}{path}", timeout=10, **kwargs) as response:
        if response.status_code != 200:
            response.read()
            return response, []
        return response, read_events(response)


def _refused(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


def test_a_bearer_token_opens_the_stream_and_names_the_caller(base_url: str) -> None:
    response, events = _stream(base_url, "/secrets/db", headers=ADA)
    assert response.status_code == 200
    assert [e.data for e in events] == ['{"value":"db of ada"}', ""]
    _, events = _stream(base_url, "/secrets/db", headers=BOB)
    assert events[0].data == '{"value":"db of bob"}'


def test_an_api_key_header_is_the_other_alternative(base_url: str) -> None:
    response, events = _stream(base_url, "/secrets/db", headers={"X-API-Key": "k-carol"})
    assert response.status_code == 200 and events[0].data == '{"value":"db of carol"}'
    response, _ = _stream(base_url, "/secrets/db", headers={"X-API-Key": "stolen"})
    assert _refused(response, 401)["detail"] == "The credentials were not accepted."


def test_no_credentials_get_401_with_a_challenge_per_scheme(base_url: str) -> None:
    response, _ = _stream(base_url, "/secrets/db")
    body = _refused(response, 401)
    assert response.headers["www-authenticate"] == 'Bearer, APIKey in="header", name="X-API-Key"'
    assert "needs credentials" in body["detail"]


def test_a_refused_bearer_token_is_told_invalid_token(base_url: str) -> None:
    response, _ = _stream(base_url, "/secrets/db", headers={"Authorization": "Bearer t-eve"})
    _refused(response, 401)
    assert response.headers["www-authenticate"].startswith('Bearer error="invalid_token"')
    # Another scheme's credentials are not this scheme's: they count as none.
    response, _ = _stream(base_url, "/secrets/db", headers={"Authorization": "Basic eA=="})
    _refused(response, 401)
    assert 'error="invalid_token"' not in response.headers["www-authenticate"]


def test_the_handler_may_still_refuse_the_caller_before_its_first_event(base_url: str) -> None:
    response, _ = _stream(base_url, "/secrets/forbidden", headers=ADA)
    assert _refused(response, 403)["detail"] == "Not this one."


def test_scopes_missing_from_a_dependency_principal_get_403(base_url: str) -> None:
    response, _ = _stream(base_url, "/audit", headers={"Authorization": "Bearer o-read"})
    body = _refused(response, 403)
    assert body["required_scopes"] == ["audit"]
    response, events = _stream(base_url, "/audit", headers={"Authorization": "Bearer o-all"})
    assert response.status_code == 200 and events[0].data == "read by oauth"


def test_both_schemes_of_one_alternative_must_pass(base_url: str) -> None:
    # audit's second alternative: HTTP basic and the session cookie together.
    response, _ = _stream(base_url, "/audit", headers=_basic("auditor", "pa:ss"))
    _refused(response, 401)
    response, events = _stream(
        base_url, "/audit", headers=_basic("auditor", "pa:ss"), cookies={"session": "s-1"}
    )
    assert response.status_code == 200 and events[0].data == "read by auditor"
    response, _ = _stream(
        base_url, "/audit", headers=_basic("auditor", "wrong"), cookies={"session": "s-1"}
    )
    _refused(response, 401)
    assert 'Basic realm="Vault", charset="UTF-8"' in response.headers["www-authenticate"]
    response, _ = _stream(
        base_url, "/audit", headers={"Authorization": "Basic !!"}, cookies={"session": "s-1"}
    )
    _refused(response, 401)


def test_a_public_stream_needs_nothing(base_url: str) -> None:
    response, events = _stream(base_url, "/status")
    assert response.status_code == 200 and [e.type for e in events] == ["up"]


@pytest.mark.parametrize(
    ("kwargs", "greeting"),
    [
        ({}, "hello stranger"),
        ({"headers": ADA}, "hello ada"),
        ({"params": {"key": "q-1"}}, "hello query"),
        ({"headers": {"Authorization": "Bearer id-1"}}, "hello oidc"),
    ],
    ids=["anonymous", "bearer", "query-key", "openid-connect"],
)
def test_optional_credentials_name_the_caller_when_sent(
    base_url: str, kwargs: dict[str, Any], greeting: str
) -> None:
    response, events = _stream(base_url, "/greeting", **kwargs)
    assert response.status_code == 200 and events[0].data == greeting


def test_optional_credentials_that_are_refused_get_401(base_url: str) -> None:
    response, _ = _stream(base_url, "/greeting", params={"key": "stolen"})
    _refused(response, 401)


def test_refusals_of_a_stream_with_an_envelope_are_in_the_envelope(base_url: str) -> None:
    response, _ = _stream(base_url, "/export", json={"format": "csv"})
    assert response.status_code == 401 and response.headers["content-type"] == "application/json"
    assert response.json()["error"]["code"] == 401
    assert response.headers["www-authenticate"] == "Bearer"
    # Credentials are checked before the body: a stranger learns nothing of the body's rules.
    response, _ = _stream(base_url, "/export", json={"format": "pdf"})
    assert response.status_code == 401
    response, _ = _stream(base_url, "/export", json={"format": "pdf"}, headers=ADA)
    assert response.status_code == 422 and response.json()["error"]["code"] == 422
    response, events = _stream(base_url, "/export", json={"format": "csv"}, headers=ADA)
    assert [e.data for e in events] == ["csv for ada", ""]


def test_a_topic_instance_is_refused_to_other_callers(base_url: str) -> None:
    response, _ = _stream(base_url, "/users/1/inbox", headers=BOB)
    assert (
        _refused(response, 403)["detail"] == "The caller may not subscribe to this topic instance."
    )
    response, _ = _stream(base_url, "/users/1/inbox")
    _refused(response, 401)


def test_a_topic_instance_is_served_to_its_own_caller(base_url: str) -> None:
    received: list[Any] = []
    opened = threading.Event()

    def subscribe() -> None:
        with httpx.stream("GET", f"{base_url}/users/2/inbox", headers=BOB, timeout=10) as response:
            assert response.status_code == 200
            opened.set()
            received.extend(read_events(response, limit=1))

    reader = threading.Thread(target=subscribe)
    reader.start()
    assert opened.wait(10)
    assert httpx.post(f"{base_url}/test/inbox/2", timeout=10).status_code == 202
    reader.join(10)
    assert [e.data for e in received] == ["for 2"]


def test_a_public_topic_needs_nothing(base_url: str) -> None:
    with httpx.stream("GET", f"{base_url}/news", timeout=10) as response:
        assert response.status_code == 200


def test_a_secured_topic_cannot_be_served_without_an_explicit_decision() -> None:
    class Forgetful(vault.VaultAccess):  # type: ignore[misc]
        pass

    with pytest.raises(TypeError, match="authorize_inbox"):
        Forgetful()
    with pytest.raises(TypeError, match="access"):
        vault.build_router(Service(), MemoryBroker(), **AUTHENTICATORS)
    with pytest.raises(TypeError, match="`access` must be a VaultAccess"):
        vault.build_router(Service(), MemoryBroker(), access=None, **AUTHENTICATORS)


def test_every_scheme_needs_an_authenticator() -> None:
    missing = {**AUTHENTICATORS, "oidc": None}
    with pytest.raises(TypeError, match="'oidc' needs an authenticator"):
        vault.build_router(Service(), MemoryBroker(), access=Access(), **missing)
    schemes = [Scheme("bearer", "http", http_scheme="bearer")]
    with pytest.raises(TypeError, match="no security scheme"):
        Gate(schemes, {"bearer": bearer, "other": bearer})


def test_the_served_catalog_documents_security_and_keeps_what_the_app_adds() -> None:
    app = FastAPI()
    router = vault.build_router(Service(), MemoryBroker(), access=Access(), **AUTHENTICATORS)
    tenant = APIKeyHeader(name="X-Tenant")
    app.include_router(router, prefix="/v2", tags=["vault"], dependencies=[Depends(tenant)])
    add_event_catalog(app, OUT / "openapi.json")
    document = app.openapi()
    validate(document, cls=OpenAPIV32SpecValidator)
    schemes = document["components"]["securitySchemes"]
    assert schemes["vault.bearer"] == {
        "type": "http",
        "description": "A token from the login service.",
        "scheme": "bearer",
        "bearerFormat": "JWT",
    }
    assert schemes["vault.oauth"]["flows"]["clientCredentials"]["scopes"]["audit"]
    assert "APIKeyHeader" in schemes  # the app's own dependency
    secrets = document["paths"]["/v2/secrets/{name}"]["get"]
    assert secrets["security"] == [
        {"vault.bearer": [], "APIKeyHeader": []},
        {"vault.api_key": [], "APIKeyHeader": []},
    ]
    assert "vault" in secrets["tags"]
    assert secrets["responses"]["401"]["headers"]["WWW-Authenticate"]
    audit = document["paths"]["/v2/audit"]["get"]
    assert audit["security"][0] == {"vault.oauth": ["read", "audit"], "APIKeyHeader": []}
    assert "403" in audit["responses"]
    assert document["paths"]["/v2/users/{user_id}/inbox"]["get"]["responses"]["403"]
    catalog = load_catalog(OUT / "openapi.json")
    assert catalog["paths"]["/status"]["get"]["security"] == []
    assert catalog["paths"]["/greeting"]["get"]["security"][0] == {}


def test_an_app_dependencys_refusal_is_in_the_streams_format() -> None:
    app = FastAPI()
    router = vault.build_router(Service(), MemoryBroker(), access=Access(), **AUTHENTICATORS)
    app.include_router(router, dependencies=[Depends(APIKeyHeader(name="X-Tenant"))])
    with serve_in_thread(app) as url:
        response = httpx.get(f"{url}/status", timeout=10)
    assert response.status_code in (401, 403)  # FastAPI's APIKeyHeader: 403 before 0.116
    assert response.headers["content-type"] == "application/problem+json"


def test_a_failing_dependency_is_a_500_in_the_streams_format() -> None:
    def broken() -> None:
        raise RuntimeError("the session store is down")

    app = FastAPI()
    router = vault.build_router(Service(), MemoryBroker(), access=Access(), **AUTHENTICATORS)
    app.include_router(router, dependencies=[Depends(broken)])
    with serve_in_thread(app) as url:
        plain = httpx.get(f"{url}/status", timeout=10)
        enveloped = httpx.post(f"{url}/export", json={"format": "csv"}, headers=ADA, timeout=10)
    assert plain.status_code == 500 and plain.json()["detail"] == "The stream failed."
    assert "session store" not in plain.text
    assert enveloped.status_code == 500 and enveloped.json()["error"]["code"] == 500


SEED = int(os.environ.get("SSEGEN_SCHEDULE_SEED", "1207"))


@pytest.mark.parametrize("seed", [SEED, SEED + 1, SEED + 2])
def test_concurrent_callers_never_see_each_others_principal(base_url: str, seed: int) -> None:
    """Seeded delays in the async authenticator interleave 30 requests; replay with the seed."""
    rng = random.Random(seed)
    names = [f"user{n}" for n in range(30)]
    for name in names:
        DELAYS[f"k-{name}"] = rng.choice([0, 0, 0.001, 0.005, 0.02])
    order = rng.sample(names, len(names))

    async def one(client: httpx.AsyncClient, name: str) -> str:
        async with client.stream(
            "GET", f"{base_url}/secrets/s", headers={"X-API-Key": f"k-{name}"}
        ) as response:
            assert response.status_code == 200
            text = (await response.aread()).decode()
        return text

    async def run() -> list[str]:
        async with httpx.AsyncClient(timeout=20) as client:
            return await asyncio.gather(*(one(client, name) for name in order))

    bodies = asyncio.run(run())
    for name, body in zip(order, bodies, strict=True):
        assert f'"s of {name}"' in body, f"SSEGEN_SCHEDULE_SEED={seed}: {name} got {body!r}"
