"""`Client`: what every generated `<Package>Client` is, an async context manager over httpx."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx

from .connection import EventStream, HeadersSource, Options, StreamCall, open_stream
from .events import UnknownHandler

E = TypeVar("E")


class Client:
    """The base of generated clients: one method per stream, each an async iterator of events.

    `headers` go out with every request: a mapping, or a callable (sync or
    async) called before every connection, reconnects included, so a
    refreshed token is used. `http_client` is yours to configure (auth,
    proxies, transport); otherwise the client makes one and closes it on
    exit. `reconnect_delay` (seconds) overrides the server's `retry:`;
    `max_reconnects` bounds failed reconnects in a row; `on_unknown` receives
    the events this client does not know (a newer server's), which are
    otherwise skipped.
    """

    def __init__(
        self,
        base_url: str,
        *,
        headers: HeadersSource | None = None,
        http_client: httpx.AsyncClient | None = None,
        reconnect_delay: float | None = None,
        max_reconnects: int | None = None,
        on_unknown: UnknownHandler | None = None,
    ) -> None:
        self._owned = http_client is None
        self._http = http_client if http_client is not None else httpx.AsyncClient()
        self._base = base_url.rstrip("/")
        self._options = Options(headers, reconnect_delay, max_reconnects, on_unknown)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._owned:
            await self._http.aclose()

    def _open(
        self,
        call: StreamCall[E],
        *,
        path: Mapping[str, Any] | None = None,
        query: Mapping[str, Any] | None = None,
        headers: Mapping[str, Any] | None = None,
        body: Any = None,
        last_event_id: str | None = None,
    ) -> EventStream[E]:
        """The stream's events; generated methods call it with their typed arguments."""
        return open_stream(
            self._http,
            dataclasses.replace(call, path=self._base + call.path),
            self._options,
            path=path or {},
            query=query or {},
            headers=headers or {},
            body=body,
            last_event_id=last_event_id,
        )
