"""Lower `security_schemes` and `security` (checked by ssegen.spec.security_checks) to the IR.

Each scheme becomes the catalog's Security Scheme Object, the runtime's
`Scheme(...)` (ssegen.runtime.security) and a keyword of `build_router` for its
authenticator; each stream gets its requirements: the stream's own, else the
spec's, `[]` (public) becoming None.
"""

from __future__ import annotations

from collections.abc import Callable

from ssegen import ir
from ssegen.ir.naming import snake
from ssegen.spec.loader import Loc
from ssegen.spec.model import SecurityScheme, Spec, Stream
from ssegen.text import pyliteral

# build_router's own parameters, which an authenticator keyword must not take.
ROUTER_PARAMETERS = frozenset({"service", "broker", "access", "router", "gate"})


Claim = Callable[[str, str, Loc], str]  # lower.py's `_Names.claim`


def lower_schemes(spec: Spec, claim: Claim) -> tuple[ir.SecurityScheme, ...]:
    return tuple(
        ir.SecurityScheme(
            name=name,
            py_name=claim(snake(name), f"security scheme '{name}'", ("security_schemes", name)),
            openapi=scheme.model_dump(by_alias=True, exclude_none=True),
            runtime_literal=_runtime_literal(name, scheme, spec.info.title),
            summary=summary(scheme),
        )
        for name, scheme in spec.security_schemes.items()
    )


def stream_security(spec: Spec, stream: Stream) -> tuple[ir.Requirement, ...] | None:
    requirements = stream.security if stream.security is not None else spec.security
    if not requirements:
        return None
    return tuple(
        tuple((name, tuple(scopes)) for name, scopes in requirement.items())
        for requirement in requirements
    )


def requirements_literal(requirements: tuple[ir.Requirement, ...]) -> str:
    """StreamSpec's `security=` as Python source: a tuple of {scheme: (scopes, ...)}."""
    return pyliteral(tuple({name: scopes for name, scopes in r} for r in requirements))


def _runtime_literal(name: str, scheme: SecurityScheme, title: str) -> str:
    arguments = [pyliteral(name), pyliteral(scheme.type)]
    if scheme.type == "http":
        arguments.append(f"http_scheme={pyliteral((scheme.scheme or '').lower())}")
        if (scheme.scheme or "").lower() == "basic":
            arguments.append(f"realm={pyliteral(title)}")
    if scheme.type == "apiKey":
        arguments.append(f"where={pyliteral(scheme.in_)}")
        arguments.append(f"key_name={pyliteral(scheme.name)}")
    return f"Scheme({', '.join(arguments)})"


def summary(scheme: SecurityScheme) -> str:
    """What a caller presents for `scheme`, in a sentence fragment (docs pages)."""
    if scheme.type == "apiKey":
        return f"an API key in the {scheme.in_} `{scheme.name}`"
    if scheme.type == "oauth2":
        return "an OAuth 2.0 access token, sent as a bearer token"
    if scheme.type == "openIdConnect":
        return "an OpenID Connect token, sent as a bearer token"
    http = (scheme.scheme or "").lower()
    if http == "basic":
        return "HTTP basic credentials"
    if http == "bearer":
        return f"a {scheme.bearerFormat} bearer token" if scheme.bearerFormat else "a bearer token"
    return f"`Authorization: {scheme.scheme}` credentials"
