"""ssegen's SSE runtime: what generated routers import to serve their streams.

It depends on nothing in the generator. `serve` turns a generated endpoint into
a FastAPI endpoint; `EventStreamResponse` writes any async source of encoded
events (handler streams, topic brokers); `encode_event` frames one event;
`StreamRoute` bounds the request body of a stream that takes one and answers
every refusal in the stream's error format (`refusals`: RFC 9457 problems, or
the envelope a spec's `errors:` declares, `EnvelopeError` from a handler);
`Gate` checks a secured stream's callers with the app's authenticators
(`security`);
`end_streams` and `set_shutdown_check` control how open streams end when the
server shuts down (`shutdown`).

What users see of it: README, "Runtime".
"""

from .answer import Answer, body_flag
from .encoding import KEEPALIVE, encode_comment, encode_event
from .problems import ProblemError, problem_response
from .refusals import EnvelopeError, ErrorFormat
from .request_body import StreamRoute
from .response import EventStreamResponse
from .response_headers import HeadersSentError, ResponseHeaders
from .security import (
    Authenticator,
    Credentials,
    Gate,
    PrincipalT,
    Scheme,
    check_access,
    require_access,
)
from .serve import serve
from .shutdown import end_streams, set_shutdown_check, uvicorn_is_exiting
from .stream import EventSpec, IdsMode, PayloadKind, StreamSpec, Tell

__all__ = [
    "KEEPALIVE",
    "Answer",
    "Authenticator",
    "Credentials",
    "EnvelopeError",
    "ErrorFormat",
    "EventSpec",
    "EventStreamResponse",
    "Gate",
    "HeadersSentError",
    "IdsMode",
    "PayloadKind",
    "PrincipalT",
    "ProblemError",
    "ResponseHeaders",
    "Scheme",
    "StreamRoute",
    "StreamSpec",
    "Tell",
    "body_flag",
    "check_access",
    "encode_comment",
    "encode_event",
    "end_streams",
    "json_payload",
    "problem_response",
    "require_access",
    "serve",
    "set_shutdown_check",
    "text_payload",
    "uvicorn_is_exiting",
]

# Topics: brokers and the subscriber route. RedisBroker needs the optional
# `redis` package, so it is imported on first use (module __getattr__ below).
from typing import TYPE_CHECKING

from ssegen.wire import MISSED_EVENT, json_payload, text_payload

from .brokers import (
    Broker,
    BrokerUnavailableError,
    MemoryBroker,
    TopicClosedError,
    TopicSpec,
    default_broker,
)
from .topic import serve_topic

if TYPE_CHECKING:
    from .brokers.redis_streams import RedisBroker

__all__ += [
    "MISSED_EVENT",
    "Broker",
    "BrokerUnavailableError",
    "MemoryBroker",
    "RedisBroker",
    "TopicClosedError",
    "TopicSpec",
    "default_broker",
    "serve_topic",
]
from .docs import add_event_catalog as add_event_catalog  # the catalog and its docs page


def __getattr__(name: str) -> object:
    if name == "RedisBroker":  # imported on first use, as brokers/__init__.py explains
        from . import brokers

        return brokers.RedisBroker
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
