"""Who may open a stream: the spec's security schemes, checked by the app's authenticators.

A spec's `security_schemes` and `security` (README, "Securing streams") reach
the runtime as one `Scheme` per scheme (`streams.py` of the package) and a
`security` requirement list on each `StreamSpec`: alternatives (OpenAPI's
Security Requirement Objects, any one of which suffices), each naming the
schemes that must all pass and the scopes each needs. The app supplies one
authenticator per scheme to `build_router`; `Gate` ties the two together and
gives every secured route a FastAPI dependency that yields the caller, the
*principal*, which generated code hands to the service method.

An authenticator is either

- a plain callable, sync or async, taking the `Credentials` the runtime read
  from the request (the bearer token, the API key, the basic user and
  password) and returning the principal, or None when they are not accepted
  (a sync one runs in the thread pool, as FastAPI runs sync dependencies); or
- a FastAPI dependency, `Depends(verify)`: FastAPI resolves `verify`'s own
  parameters (other dependencies, the request); it returns the principal, or
  None when its credentials are absent or not accepted.

Either may raise `ProblemError`/`HTTPException` to refuse with its own status.

What the caller gets, always before the stream starts (never a 200 that ends):

- 401 with `WWW-Authenticate` (a challenge per scheme the stream accepts)
  when no alternative's credentials are present, or none was accepted;
- 403 when credentials were accepted but the principal lacks a required
  scope: a principal with a `scopes` attribute (a collection of strings, or
  one space-separated string as in OAuth 2.0) is checked against the scopes
  the requirement names; an authenticator may also refuse with 403 itself;
- both in the stream's error format (`refusals.py`): problem+json, or the
  envelope the spec's `errors:` declares.

An empty alternative (`security: [{}, {bearer: []}]`) makes credentials
optional: without them the principal is None.

Topic instances: `require_access` turns the app's `authorize_<stream>` decision
into a 403 before the first byte (the generated key function awaits it).
"""

from __future__ import annotations

import base64
import binascii
import inspect
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, TypeAlias, TypeVar

from fastapi import Depends
from fastapi.params import Depends as DependsParam
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from .problems import ProblemError

PrincipalT = TypeVar("PrincipalT")

Requirement: TypeAlias = Mapping[str, Sequence[str]]
"""One Security Requirement Object: scheme name -> the scopes it needs."""


Where = Literal["header", "query", "cookie"]


@dataclass(frozen=True, slots=True)
class Credentials:
    """What a request presented for one scheme, as the authenticator receives it.

    `value` is the bearer token, the API key, or the password of HTTP basic
    (then `username` is set); for another HTTP scheme, the credentials after
    the scheme's name. `scopes` are the ones the stream's requirement names.
    """

    scheme: str
    value: str
    username: str | None = None
    scopes: tuple[str, ...] = ()


Authenticator: TypeAlias = (
    Callable[[Credentials], PrincipalT | None | Awaitable[PrincipalT | None]] | DependsParam
)
"""A scheme's check: a callable of `Credentials`, or a FastAPI `Depends(...)`."""


@dataclass(frozen=True, slots=True)
class Scheme:
    """A security scheme as the spec declares it (OpenAPI's Security Scheme Object).

    `kind` is the OpenAPI `type`; `http` schemes name theirs in `http_scheme`
    (`bearer`, `basic`, ...); `apiKey` schemes say `where` the key is and its
    `key_name`. `oauth2` and `openIdConnect` present a bearer token.
    `realm` names the protected space in an HTTP basic challenge.
    """

    name: str
    kind: Literal["http", "apiKey", "oauth2", "openIdConnect"]
    http_scheme: str | None = None
    where: Where | None = None
    key_name: str | None = None
    realm: str = "ssegen"

    def __post_init__(self) -> None:
        if self.kind == "http" and not self.http_scheme:
            raise ValueError(f"security scheme {self.name!r}: an http scheme needs http_scheme")
        if self.kind == "apiKey" and (self.where is None or not self.key_name):
            raise ValueError(f"security scheme {self.name!r}: an apiKey needs where and key_name")

    @property
    def auth_scheme(self) -> str | None:
        """The `Authorization` scheme it reads, lower case; None for an API key."""
        if self.kind == "apiKey":
            return None
        return (self.http_scheme or "bearer").lower() if self.kind == "http" else "bearer"

    def credentials(self, request: Request, scopes: Sequence[str]) -> Credentials | None:
        """The credentials `request` presents for this scheme; None when it presents none."""
        wanted = tuple(scopes)
        if self.kind == "apiKey":
            source: Mapping[str, str] = {
                "header": request.headers,
                "query": request.query_params,
                "cookie": request.cookies,
            }[self.where or "header"]
            key = source.get(self.key_name or "")
            return Credentials(self.name, key, scopes=wanted) if key else None
        scheme, _, rest = request.headers.get("authorization", "").strip().partition(" ")
        value = rest.strip()
        if scheme.lower() != self.auth_scheme or not value:
            return None
        if self.auth_scheme != "basic":
            return Credentials(self.name, value, scopes=wanted)
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None  # not credentials of this scheme: answered like missing ones
        username, colon, password = decoded.partition(":")
        return Credentials(self.name, password, username, wanted) if colon else None

    def challenge(self, rejected: bool) -> str:
        """This scheme's `WWW-Authenticate` challenge (RFC 9110 section 11.6.1)."""
        if self.kind == "apiKey":
            return f'APIKey in="{self.where}", name="{_quoted(self.key_name or "")}"'
        if self.auth_scheme == "basic":
            return f'Basic realm="{_quoted(self.realm)}", charset="UTF-8"'
        name = "Bearer" if self.auth_scheme == "bearer" else (self.http_scheme or "")
        # RFC 6750 section 3.1: `invalid_token` for a token presented and refused.
        return f'{name} error="invalid_token"' if rejected and name == "Bearer" else name

    def describe(self) -> str:
        if self.kind == "apiKey":
            return f"an API key in the {self.where} `{self.key_name}`"
        if self.auth_scheme == "basic":
            return "HTTP basic credentials"
        name = "Bearer" if self.auth_scheme == "bearer" else self.http_scheme
        return f"an `Authorization: {name}` token"


def _quoted(text: str) -> str:
    """`text` inside an HTTP quoted-string (RFC 9110 section 5.6.4)."""
    return (
        "".join(c if c.isprintable() and c.isascii() else "?" for c in text)
        .replace("\\", "\\\\")
        .replace('"', '\\"')
    )


def granted_scopes(principal: Any) -> frozenset[str] | None:
    """The scopes a principal carries (its `scopes` attribute or key), or None when it says none."""
    scopes = principal.get("scopes") if isinstance(principal, Mapping) else None
    if scopes is None:
        scopes = getattr(principal, "scopes", None)
    if isinstance(scopes, str):
        return frozenset(scopes.split())
    if isinstance(scopes, Collection):
        return frozenset(str(scope) for scope in scopes)
    return None


@dataclass(frozen=True, slots=True)
class _Outcome:
    """Why an alternative failed: nothing presented, refused, or a scope missing."""

    presented: bool = False
    missing_scopes: tuple[str, ...] = ()


_MISSING: Any = object()


@dataclass(frozen=True)
class Gate:
    """The schemes of a package and the app's authenticator for each (`build_router`).

    Raises TypeError at once (when the router is built, so at startup) for a
    scheme without an authenticator or an authenticator of no known scheme.
    """

    schemes: Sequence[Scheme]
    authenticators: Mapping[str, Any]
    _by_name: dict[str, Scheme] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        by_name = {scheme.name: scheme for scheme in self.schemes}
        object.__setattr__(self, "_by_name", by_name)
        for name in by_name:
            check = self.authenticators.get(name)
            if check is None or not (callable(check) or isinstance(check, DependsParam)):
                raise TypeError(
                    f"security scheme {name!r} needs an authenticator: pass a callable "
                    "of Credentials, or Depends(...), to build_router"
                )
        unknown = sorted(set(self.authenticators) - set(by_name))
        if unknown:
            raise TypeError(f"authenticators of no security scheme of this spec: {unknown}")

    def dependency(self, stream: str, security: Sequence[Requirement]) -> Any:
        """The `Annotated[Any, Depends(...)]` that yields `stream`'s principal."""
        alternatives = [
            tuple((name, tuple(scopes)) for name, scopes in r.items()) for r in security
        ]
        for alternative in alternatives:
            for name, _ in alternative:
                if name not in self._by_name:
                    raise TypeError(f"stream {stream!r}: no security scheme {name!r}")
        used = sorted({name for alternative in alternatives for name, _ in alternative})
        dependencies = {
            name: self.authenticators[name]
            for name in used
            if isinstance(self.authenticators[name], DependsParam)
        }
        schemes = self._by_name
        plain = {name: self.authenticators[name] for name in used if name not in dependencies}

        # `{}` among the alternatives: anonymous callers too, but credentials that
        # are presented must pass (a refused token is a 401, not an anonymous call).
        anonymous = () in alternatives
        checked = [alternative for alternative in alternatives if alternative]

        async def principal(request: Request, **resolved: Any) -> Any:
            outcomes: list[_Outcome] = []
            for alternative in checked:
                found, outcome = await _try(alternative, request, schemes, plain, resolved)
                if outcome is None:
                    return found
                outcomes.append(outcome)
            if anonymous and not any(o.presented for o in outcomes):
                return None
            raise _refusal(stream, checked, schemes, outcomes)

        parameters = [
            inspect.Parameter(
                "request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request
            )
        ] + [
            inspect.Parameter(
                _resolved_name(name),
                inspect.Parameter.KEYWORD_ONLY,
                annotation=Annotated[Any, dependency],
            )
            for name, dependency in dependencies.items()
        ]
        principal.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
        return Annotated[Any, Depends(principal)]


def _resolved_name(scheme: str) -> str:
    return f"_ssegen_auth_{scheme.encode().hex()}"


async def _try(
    alternative: tuple[tuple[str, tuple[str, ...]], ...],
    request: Request,
    schemes: Mapping[str, Scheme],
    plain: Mapping[str, Any],
    resolved: Mapping[str, Any],
) -> tuple[Any, _Outcome | None]:
    """The principal of one alternative (the first scheme's), or why it failed."""
    principal = _MISSING
    for name, scopes in alternative:
        if name in plain:
            credentials = schemes[name].credentials(request, scopes)
            if credentials is None:
                return None, _Outcome()
            result = await _call(plain[name], credentials)
            if result is None:
                return None, _Outcome(presented=True)
        else:
            # A dependency reads its own credentials: None says they are absent or refused.
            result = resolved.get(_resolved_name(name))
            if result is None:
                return None, _Outcome()
        granted = granted_scopes(result)
        lacking = tuple(s for s in scopes if granted is not None and s not in granted)
        if lacking:
            return None, _Outcome(presented=True, missing_scopes=lacking)
        if principal is _MISSING:
            principal = result
    return (None if principal is _MISSING else principal), None


async def _call(check: Callable[[Credentials], Any], credentials: Credentials) -> Any:
    if inspect.iscoroutinefunction(check) or inspect.iscoroutinefunction(type(check).__call__):
        return await check(credentials)
    result = await run_in_threadpool(check, credentials)
    return await result if inspect.isawaitable(result) else result


def _refusal(
    stream: str,
    alternatives: Sequence[tuple[tuple[str, tuple[str, ...]], ...]],
    schemes: Mapping[str, Scheme],
    outcomes: Sequence[_Outcome],
) -> ProblemError:
    lacking = [o.missing_scopes for o in outcomes if o.missing_scopes]
    if lacking:
        scopes = " ".join(dict.fromkeys(scope for group in lacking for scope in group))
        return ProblemError(
            403,
            detail=f"The credentials do not grant the scopes this stream needs: {scopes}.",
            extensions={"required_scopes": scopes.split()},
        )
    presented = any(o.presented for o in outcomes)
    names = list(dict.fromkeys(name for alternative in alternatives for name, _ in alternative))
    challenges = ", ".join(dict.fromkeys(schemes[n].challenge(presented) for n in names))
    wanted = " or ".join(dict.fromkeys(schemes[n].describe() for n in names))
    detail = (
        "The credentials were not accepted."
        if presented
        else f"Stream {stream!r} needs credentials: {wanted}."
    )
    return ProblemError(401, detail=detail, headers={"WWW-Authenticate": challenges})


ACCESS_DENIED = "The caller may not subscribe to this topic instance."


def check_access(access: object, expected: type) -> None:
    """Refuse, when the router is built, an `access` that is not the package's `<Package>Access`.

    Without it a secured topic could not decide who may subscribe: it fails
    at startup rather than at the first subscriber.
    """
    if not isinstance(access, expected):
        raise TypeError(
            f"build_router: `access` must be a {expected.__name__} that decides who may "
            f"subscribe to each instance of the secured topics (got {type(access).__name__})"
        )


async def require_access(decision: bool | Awaitable[bool]) -> None:
    """Refuse with 403 unless the app's topic authorization `decision` is True."""
    allowed = await decision if inspect.isawaitable(decision) else decision
    if allowed is not True:
        raise ProblemError(403, detail=ACCESS_DENIED)
