"""ssegen's client runtime: what generated `client.py` modules import.

Each package's `<Package>Client` (`base.Client`) has one method per stream
returning an async iterator of the same event classes the server yields
(`events.py` of the package). Reading follows the contract: the WHATWG
parser (`decoder`), reconnects only where the stream allows them, with
`Last-Event-ID` and the server's `retry:` (`connection`), typed errors
(`errors`). It depends on httpx, and on nothing of the generator.

What users see of it: README, "Clients".
"""

from .base import Client
from .connection import Errors, EventStream, HeadersSource, StreamCall
from .decoder import EventStreamDecoder, RawEvent
from .errors import ClientError, ErrorEventError, StatusError, StreamInterrupted
from .events import Missed

__all__ = [
    "Client",
    "ClientError",
    "ErrorEventError",
    "Errors",
    "EventStream",
    "EventStreamDecoder",
    "HeadersSource",
    "Missed",
    "RawEvent",
    "StatusError",
    "StreamCall",
    "StreamInterrupted",
]
