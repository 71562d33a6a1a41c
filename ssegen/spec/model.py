"""The spec model: spec format v1 as pydantic models, field names as in YAML.

This module owns the *shape* of a spec (keys, types, name patterns). Checks
that need more than one field (path parameters, examples, name collisions) live
in `checks.py`. The keys and meanings follow `shared/design/spec-format.md`.

What users see of it: README, "Spec format" (and ../shared/design/spec-format.md).
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from ssegen.wire import DEFAULT_EMPTY_STATUS, DEFAULT_KEEP, DEFAULT_KEEPALIVE

STREAM_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
EVENT_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$")
PARAM_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
HEADER_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9-]*$")
MAX_BODY_LIMIT = 1 << 30  # bytes: the largest `max_body` a spec may set (1 GiB)
SCHEMA_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
QUERY_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
PATH_TEMPLATE = re.compile(r"^/[A-Za-z0-9._~!$&'()*+,;=:@%/{}-]*$")
# An event's wire name (`name:`): printable ASCII, no space at either end, so that it
# reads the same in the `event:` line, the catalog and the docs (WHATWG: the value
# is the rest of the line after one optional space).
WIRE_NAME = re.compile(r"^[!-~](?:[ -~]{0,126}[!-~])?$")
PROPERTY_NAME = re.compile(r"^[^\x00-\x1f]{1,128}$")

Schema = dict[str, Any]


class _Strict(BaseModel):
    # strict: YAML's `retry: "3000"` is a mistake worth reporting, not coercing.
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Info(_Strict):
    title: str = Field(min_length=1)
    version: str = Field(min_length=1)
    description: str | None = None


class Params(_Strict):
    path: dict[str, Schema] = {}
    query: dict[str, Schema] = {}
    header: dict[str, Schema] = {}


class Resume(_Strict):
    ids: Literal["sequence", "handler"]
    query: str | None = Field(default=None, pattern=QUERY_NAME.pattern)


class Topic(_Strict):
    key: list[str] | None = None
    keep: int = Field(default=DEFAULT_KEEP, ge=1, le=10_000_000)
    ttl: float | None = Field(default=None, gt=0)


class Errors(_Strict):
    """The API's own error envelope, for every refusal before a stream starts.

    `schema` is the JSON body of those responses; `validation` the status of a
    request that fails validation; `fill` says what the runtime's own refusals
    (RFC 9457 problems) put where: JSON pointer -> a problem member's name, or
    a table of values by status (with `default`); `statuses` documents the
    statuses the API answers so (README, "Errors").
    """

    schema_: Any = Field(alias="schema")
    validation: int = Field(default=422, ge=400, le=499)
    # Status keys are YAML keys, so strings: ssegen.ir.envelope checks and converts them.
    fill: dict[str, str | dict[str, Any]] = {}
    statuses: dict[str, str] = {}


SCHEME_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$")  # OpenAPI component names, bounded


class SecurityScheme(_Strict):
    """One way to authenticate, as OpenAPI's Security Scheme Object (README, "Securing streams").

    `http` with `scheme` (`bearer`, `basic`, ...); `apiKey` with `in` and
    `name`; `oauth2` with `flows`; `openIdConnect` with `openIdConnectUrl`.
    Which keys go with which type is checked in checks.py.
    """

    type: Literal["http", "apiKey", "oauth2", "openIdConnect"]
    description: str | None = None
    scheme: str | None = Field(default=None, pattern=r"^[A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*$")
    bearerFormat: str | None = None
    in_: Literal["header", "query", "cookie"] | None = Field(default=None, alias="in")
    name: str | None = None
    openIdConnectUrl: str | None = None
    flows: dict[str, Any] | None = None


# A Security Requirement Object: scheme name -> the scopes it needs. A list of
# them are alternatives; `[]` makes a stream public, `{}` among them optional.
SecurityRequirements = list[dict[str, list[str]]]


class BodyFlag(_Strict):
    body: str = Field(pattern=PROPERTY_NAME.pattern)  # a boolean member of the body


class Answer(_Strict):
    """A JSON answer instead of the events: `data` its schema, `when` what chooses it.

    `when: accept`: the request's Accept prefers application/json; `when: {body: stream}`:
    the body's boolean member is not true (OpenAI's `stream: false`).
    """

    data: Any
    when: Literal["accept"] | BodyFlag


class Event(_Strict):
    # The `event:` line: the key when absent, none when null (clients see `message`).
    name: str | None = None  # checked against WIRE_NAME in checks.py, in our words
    summary: str | None = None
    description: str | None = None
    data: Any = None
    text: Any = None
    examples: list[Any] | None = None
    terminal: bool = False
    error: bool = False
    deprecated: bool = False

    def wire_name(self, key: str) -> str | None:
        """The name on the `event:` line; None: the event goes out without one."""
        return self.name if "name" in self.model_fields_set else key


class Stream(_Strict):
    summary: str | None = None
    description: str | None = None
    tags: list[str] = []
    deprecated: bool = False
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "GET"
    path: str = Field(pattern=PATH_TEMPLATE.pattern)
    params: Params = Params()
    body: Any = None
    # bytes; None: the runtime's default (1 MiB). Only with a body (checks.py).
    max_body: int | None = Field(default=None, ge=1, le=MAX_BODY_LIMIT)
    retry: int | None = Field(default=None, ge=0)
    keepalive: float = Field(default=DEFAULT_KEEPALIVE, ge=0, le=86_400)
    resume: Resume | None = None
    topic: Topic | None = None
    # The status of a handler's response that has no event to send.
    empty_status: Literal[202, 204] = DEFAULT_EMPTY_STATUS
    # The JSON property that tells apart variants sharing one wire name (ir/variants.py).
    discriminator: str | None = Field(default=None, pattern=PROPERTY_NAME.pattern)
    answer: Answer | None = None  # a JSON answer the same route gives instead of the stream
    # Headers of the stream's response, set by its handler before the first event: name -> schema.
    response_headers: dict[str, Schema] = {}
    # The stream's error envelope; None: the spec's top-level one, else RFC 9457 problems.
    errors: Errors | None = None
    # Who may open it; None: the spec's top-level `security`, `[]`: anyone.
    security: SecurityRequirements | None = None
    events: dict[str, Event] = Field(min_length=1)

    @field_validator("keepalive", mode="before")
    @classmethod
    def _number(cls, value: Any) -> Any:
        # strict mode refuses an int for a float field; YAML `keepalive: 15` is an int.
        return float(value) if isinstance(value, int) and not isinstance(value, bool) else value


class Spec(_Strict):
    ssegen: Literal[1]
    info: Info
    package: str | None = None
    schemas: dict[str, Any] = {}
    errors: Errors | None = None  # every stream's, unless it declares its own
    security_schemes: dict[str, SecurityScheme] = {}
    security: SecurityRequirements = []  # every stream's, unless it declares its own
    streams: dict[str, Stream] = Field(min_length=1)
