"""Checks of a spec's `security_schemes` and `security` (README, "Securing streams").

The keys follow OpenAPI 3.2's Security Scheme and Security Requirement
Objects: each scheme has the keys of its `type` and no others; a requirement
names declared schemes; scopes of an `oauth2` scheme are ones its flows
declare. `mutualTLS` is not offered: the app never sees the TLS handshake.
"""

from __future__ import annotations

from typing import Any

from ssegen.spec.loader import Document, Loc
from ssegen.spec.model import (
    HEADER_NAME,
    QUERY_NAME,
    SCHEME_NAME,
    SecurityRequirements,
    SecurityScheme,
    Spec,
)

# Keys each scheme type takes beside `type` and `description` (OpenAPI 3.2, section 4.23).
_KEYS = {
    "http": ({"scheme"}, {"bearerFormat"}),
    "apiKey": ({"in_", "name"}, set()),
    "oauth2": ({"flows"}, set()),
    "openIdConnect": ({"openIdConnectUrl"}, set()),
}
_YAML_KEY = {"in_": "in"}
# OAuth 2.0 flows and the URLs each needs (OpenAPI 3.2's OAuth Flows Object).
_FLOWS = {
    "implicit": ("authorizationUrl",),
    "password": ("tokenUrl",),
    "clientCredentials": ("tokenUrl",),
    "authorizationCode": ("authorizationUrl", "tokenUrl"),
    "deviceAuthorization": ("deviceAuthorizationUrl", "tokenUrl"),
}
_FLOW_KEYS = {"authorizationUrl", "tokenUrl", "refreshUrl", "deviceAuthorizationUrl", "scopes"}


def check_security(doc: Document, spec: Spec) -> None:
    """Every scheme and every requirement of `spec`, each problem at its own position."""
    scopes: dict[str, set[str] | None] = {}
    for name, scheme in spec.security_schemes.items():
        loc: Loc = ("security_schemes", name)
        if not SCHEME_NAME.match(name):
            doc.error(
                loc, f"security scheme name '{name}' must match {SCHEME_NAME.pattern}", key=True
            )
        scopes[name] = _check_scheme(doc, name, scheme, loc)
    _check_requirements(doc, spec.security, scopes, ("security",))
    for stream_name, stream in spec.streams.items():
        if stream.security is not None:
            _check_requirements(doc, stream.security, scopes, ("streams", stream_name, "security"))


def _check_scheme(doc: Document, name: str, scheme: SecurityScheme, loc: Loc) -> set[str] | None:
    """Check one scheme; returns the scopes it declares (None: any scope, as for OpenID Connect)."""
    required, optional = _KEYS[scheme.type]
    given = {key for key in scheme.model_fields_set if key not in ("type", "description")}
    for key in sorted(required - given):
        doc.error(
            loc, f"security scheme '{name}' of type {scheme.type} needs '{_YAML_KEY.get(key, key)}'"
        )
    for key in sorted(given - required - optional):
        doc.error(
            (*loc, _YAML_KEY.get(key, key)),
            f"'{_YAML_KEY.get(key, key)}' is not a key of a security scheme of type {scheme.type}",
            key=True,
        )
    if (
        scheme.type == "http"
        and scheme.bearerFormat is not None
        and (scheme.scheme or "").lower() != "bearer"
    ):
        doc.error((*loc, "bearerFormat"), "'bearerFormat' goes with scheme: bearer", key=True)
    if scheme.type == "apiKey" and scheme.name is not None:
        pattern = {"header": HEADER_NAME, "query": QUERY_NAME, "cookie": QUERY_NAME}[
            scheme.in_ or "header"
        ]
        if not pattern.match(scheme.name):
            doc.error(
                (*loc, "name"),
                f"the API key's {scheme.in_} name '{scheme.name}' must match {pattern.pattern}",
            )
    url = scheme.openIdConnectUrl
    if (
        scheme.type == "openIdConnect"
        and url is not None
        and not url.startswith(("https://", "http://"))
    ):
        doc.error((*loc, "openIdConnectUrl"), "'openIdConnectUrl' must be an http(s) URL")
    if scheme.type == "oauth2" and scheme.flows is not None:
        return _check_flows(doc, scheme.flows, (*loc, "flows"))
    # Other types: scopes are the app's roles (OpenAPI 3.1 and later), not declared here.
    return None


def _check_flows(doc: Document, flows: dict[str, Any], loc: Loc) -> set[str]:
    declared: set[str] = set()
    if not flows:
        doc.error(loc, "an oauth2 scheme needs at least one flow")
    for flow, body in flows.items():
        spot = (*loc, flow)
        if flow not in _FLOWS:
            doc.error(
                spot,
                f"unknown OAuth flow '{flow}' (expected one of: {', '.join(_FLOWS)})",
                key=True,
            )
            continue
        if not isinstance(body, dict):
            doc.error(spot, f"OAuth flow '{flow}' must be a mapping")
            continue
        for key in sorted(set(body) - _FLOW_KEYS):
            doc.error((*spot, key), f"'{key}' is not a key of an OAuth flow", key=True)
        for url in _FLOWS[flow]:
            if not isinstance(body.get(url), str):
                doc.error(spot, f"OAuth flow '{flow}' needs '{url}' (a URL)")
        granted = body.get("scopes")
        if not isinstance(granted, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in granted.items()
        ):
            doc.error(spot, f"OAuth flow '{flow}' needs 'scopes': scope name -> description")
        else:
            declared |= set(granted)
    return declared


def _check_requirements(
    doc: Document,
    requirements: SecurityRequirements,
    scopes: dict[str, set[str] | None],
    loc: Loc,
) -> None:
    for index, requirement in enumerate(requirements):
        for name, wanted in requirement.items():
            spot = (*loc, index, name)
            if name not in scopes:
                known = ", ".join(scopes) or "none declared under security_schemes"
                doc.error(spot, f"no security scheme '{name}' (schemes: {known})", key=True)
                continue
            declared = scopes[name]
            for position, scope in enumerate(wanted):
                if declared is not None and scope not in declared:
                    doc.error(
                        (*spot, position),
                        f"scope '{scope}' is not declared by the flows of security scheme '{name}'",
                    )
