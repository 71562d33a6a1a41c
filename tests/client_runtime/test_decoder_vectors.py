"""`EventStreamDecoder` against the parsing vectors of web-platform-tests `eventsource/format-*`.

Each vector is the exact body the test server sends (the test's message with the
line ends the server appends) and what the browser test expects of it: the events
(type, data, lastEventId) and the reconnection time. A vector with several
connections models the reconnects the browser test relies on: the decoder is
closed at the end of each body and the next one starts with the last event id
carried over, as a reconnecting client does.

Every body is fed whole, one byte at a time, and split in two at every position,
so that a CRLF, a BOM or a multi-byte UTF-8 character cut across chunks must give
the same events.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from ssegen.client.decoder import EventStreamDecoder, RawEvent


@dataclass(frozen=True)
class Connection:
    """One response body and what the standard makes of it."""

    stream: bytes
    events: tuple[tuple[str, str, str], ...]  # (type, data, last_event_id)
    retry: int | None = None


LONG_COMMENT = b"x" * 2048

# The body `id: <value>\nretry: 200\ndata: hello\n\n` sent with an id holding NUL.
ID_NULL_VALUES = {
    "nul-nul": b"\x00\x00",
    "x-nul": b"x\x00",
    "nul-x": b"\x00x",
    "x-nul-x": b"x\x00x",
    "space-nul": b" \x00",
}


def _id_null(value: bytes) -> tuple[Connection, ...]:
    stream = b"id: " + value + b"\nretry: 200\ndata: hello\n\n"
    # No id was taken, so the reconnect sends none and gets the same body again.
    hello = Connection(stream, (("message", "hello", ""),), retry=200)
    return (hello, hello)


VECTORS = [
    # eventsource/format-bom.js: one leading BOM is dropped; a BOM later on is part of a
    # field name, so that field is unknown and its blank line dispatches nothing.
    pytest.param(
        (
            Connection(
                b"\xef\xbb\xbfdata:1\n\n\xef\xbb\xbfdata:2\n\ndata:3\n\n\n",
                (("message", "1", ""), ("message", "3", "")),
            ),
        ),
        id="format-bom.js",
    ),
    # eventsource/format-bom-2.any.js: only the first of two leading BOMs is dropped.
    pytest.param(
        (
            Connection(
                b"\xef\xbb\xbf\xef\xbb\xbfdata:1\n\ndata:2\n\ndata:3\n\n\n",
                (("message", "2", ""), ("message", "3", "")),
            ),
        ),
        id="format-bom-2.any.js",
    ),
    # eventsource/format-comments.js: comment lines (empty, long, with NUL, looking like a
    # field) are ignored whatever line end closes them: CR, LF or CRLF.
    pytest.param(
        (
            Connection(
                b"data:1\r:\x00\n:\r\ndata:2\n:"
                + LONG_COMMENT
                + b"\rdata:3\n:data:fail\r:"
                + LONG_COMMENT
                + b"\ndata:4\n\n",
                (("message", "1\n2\n3\n4", ""),),
            ),
        ),
        id="format-comments.js",
    ),
    # eventsource/format-data-before-final-empty-line.js: an event not closed by a blank
    # line before the end of the body is not dispatched, and its id is not the last
    # event id either: the reconnect's event has an empty one.
    pytest.param(
        (
            Connection(
                b"retry:1000\ndata:test1\n\nid:test\ndata:test2\n",
                (("message", "test1", ""),),
                retry=1000,
            ),
            Connection(
                b"retry:1000\ndata:test1\n\nid:test\ndata:test2\n",
                (("message", "test1", ""),),
                retry=1000,
            ),
        ),
        id="format-data-before-final-empty-line.js",
    ),
    # eventsource/format-field-data.js: `data:` appends an empty line, `data` without a
    # colon too; the data lose only their last LF.
    pytest.param(
        (
            Connection(
                b"data:\n\ndata\ndata\n\ndata:test\n\n\n",
                (("message", "", ""), ("message", "\n", ""), ("message", "test", "")),
            ),
        ),
        id="format-field-data.js",
    ),
    # eventsource/format-field-event-empty.htm: `event: ` sets an empty type, which is `message`.
    pytest.param(
        (Connection(b"event: \ndata:data\n\n\n", (("message", "data", ""),)),),
        id="format-field-event-empty.htm",
    ),
    # eventsource/format-field-event.htm: `event` names one event's type; the next is `message`.
    pytest.param(
        (
            Connection(
                b"event:test\ndata:x\n\ndata:x\n\n\n",
                (("test", "x", ""), ("message", "x", "")),
            ),
        ),
        id="format-field-event.htm",
    ),
    # eventsource/format-field-id.htm: a UTF-8 id is the event's lastEventId and is carried
    # over a reconnect (the server echoes it back as data).
    pytest.param(
        (
            Connection(
                b"id: \xe2\x80\xa6\nretry: 200\ndata: hello\n\n",
                (("message", "hello", "\u2026"),),
                retry=200,
            ),
            Connection(b"data: \xe2\x80\xa6\n\n", (("message", "\u2026", "\u2026"),)),
        ),
        id="format-field-id.htm",
    ),
    # eventsource/format-field-id-2.any.js: the carried id stays over two reconnects.
    pytest.param(
        (
            Connection(
                b"id: \xe2\x80\xa6\nretry: 200\ndata: hello\n\n",
                (("message", "hello", "\u2026"),),
                retry=200,
            ),
            Connection(b"data: \xe2\x80\xa6\n\n", (("message", "\u2026", "\u2026"),)),
            Connection(b"data: \xe2\x80\xa6\n\n", (("message", "\u2026", "\u2026"),)),
        ),
        id="format-field-id-2.any.js",
    ),
    # eventsource/format-field-id-3.htm (persists): an id stays for the events after it.
    pytest.param(
        (
            Connection(
                b"id: 1\ndata: 1\n\ndata:2\n\n",
                (("message", "1", "1"), ("message", "2", "1")),
            ),
        ),
        id="format-field-id-3.htm-persists",
    ),
    # eventsource/format-field-id-3.htm (changes and persists): a new id replaces the old one.
    pytest.param(
        (
            Connection(
                b"id: 1\ndata: 1\n\nid: 2\ndata:2\n\ndata:3\n\n",
                (("message", "1", "1"), ("message", "2", "2"), ("message", "3", "2")),
            ),
        ),
        id="format-field-id-3.htm-changes-and-persists",
    ),
    # eventsource/format-field-id-3.htm (resets): `id:` with an empty value resets the id.
    pytest.param(
        (
            Connection(
                b"id: 1\ndata: 1\n\nid:\ndata:2\n\ndata:3\n\n",
                (("message", "1", "1"), ("message", "2", ""), ("message", "3", "")),
            ),
        ),
        id="format-field-id-3.htm-resets",
    ),
    # eventsource/format-field-id-null.window.js: an id value holding NUL is ignored,
    # wherever the NUL is.
    *(
        pytest.param(_id_null(value), id=f"format-field-id-null.window.js-{label}")
        for label, value in ID_NULL_VALUES.items()
    ),
    # eventsource/format-field-retry.htm: retry is read in base ten, leading zero and all.
    pytest.param(
        (Connection(b"retry:02000\ndata:x\n\n\n", (("message", "x", ""),), retry=2000),),
        id="format-field-retry.htm",
    ),
    # eventsource/format-field-retry-bogus.htm: a retry value that is not all digits is ignored.
    pytest.param(
        (
            Connection(
                b"retry:2000\nretry:1000x\ndata:x\n\n\n",
                (("message", "x", ""),),
                retry=2000,
            ),
        ),
        id="format-field-retry-bogus.htm",
    ),
    # eventsource/format-field-retry-empty.htm: `retry` without a value sets nothing.
    pytest.param(
        (Connection(b"retry\ndata:test\n\n\n", (("message", "test", ""),)),),
        id="format-field-retry-empty.htm",
    ),
    # eventsource/format-field-unknown.htm: unknown fields, a field name with a leading
    # space and a line without a colon other than `data` are ignored.
    pytest.param(
        (
            Connection(
                b"data:test\n data\ndata\nfoobar:xxx\njustsometext\n:thisisacommentyay\n"
                b"data:test\n\n\n",
                (("message", "test\n\ntest", ""),),
            ),
        ),
        id="format-field-unknown.htm",
    ),
    # eventsource/format-field-parsing.htm: field names match exactly (case, NUL, other
    # characters), only one space after the colon is dropped, lines end with CR, LF or CRLF.
    pytest.param(
        (
            Connection(
                b"data:\x00\ndata:  2\rData:1\ndata\x00:2\ndata:1\r\x00data:4\nda-ta:3\r"
                b"data_5\ndata:3\rdata:\r\n data:32\ndata:4\n\n",
                (("message", "\x00\n 2\n1\n3\n\n4", ""),),
            ),
        ),
        id="format-field-parsing.htm",
    ),
    # eventsource/format-leading-space.htm: one space after the colon is dropped, a tab is
    # kept; a CR alone ends a line.
    pytest.param(
        (
            Connection(
                b"data:\ttest\rdata: \ndata:test\n\n\n", (("message", "\ttest\n\ntest", ""),)
            ),
        ),
        id="format-leading-space.htm",
    ),
    # eventsource/format-newlines.htm: CRLF and LF end lines; the blank line's CRLF is one
    # line end, not a CR and then an empty line.
    pytest.param(
        (
            Connection(
                b"data:test\r\ndata\ndata:test\r\n\r\n",
                (("message", "test\n\ntest", ""),),
            ),
        ),
        id="format-newlines.htm",
    ),
    # eventsource/format-null-character.html: NUL in data is kept.
    pytest.param(
        (Connection(b"data:\x00\n\n\n\n\n", (("message", "\x00", ""),)),),
        id="format-null-character.html",
    ),
    # eventsource/format-utf-8.any.js: the body is UTF-8 whatever charset the MIME type names.
    pytest.param(
        (Connection(b"data:ok\xe2\x80\xa6\n\n\n", (("message", "ok\u2026", ""),)),),
        id="format-utf-8.any.js",
    ),
]

# Rules of the standard that no web-platform-tests vector above exercises.
STANDARD_VECTORS = [
    # UTF-8 decode with replacement: each maximal invalid subpart is one U+FFFD (a stray
    # byte, a truncated sequence, an encoded surrogate byte by byte).
    pytest.param(
        (
            Connection(
                b"data:a\xffb\ndata:\xe2\x80\ndata:\xf0\x9f\x98x\ndata:\xed\xa0\x80\n\n",
                (("message", "a\ufffdb\n\ufffd\n\ufffdx\n\ufffd\ufffd\ufffd", ""),),
            ),
        ),
        id="utf-8-invalid-bytes-replaced",
    ),
    # A blank line with an empty data buffer dispatches nothing and resets the event type;
    # its id still counts.
    pytest.param(
        (
            Connection(
                b"event:x\nid:1\n\ndata:y\n\n",
                (("message", "y", "1"),),
            ),
        ),
        id="no-data-no-dispatch-type-reset",
    ),
    # A four-byte character in a field value, cut at every byte by the chunkings.
    pytest.param(
        (
            Connection(
                b"id:\xf0\x9f\x98\x80\ndata:\xf0\x9f\x98\x80\r\n\r\n",
                (("message", "\U0001f600", "\U0001f600"),),
            ),
        ),
        id="utf-8-four-byte-character",
    ),
]

ALL_VECTORS = VECTORS + STANDARD_VECTORS

Outcome = list[tuple[list[RawEvent], int | None]]


def _feed(connections: tuple[Connection, ...], chunkings: list[list[bytes]]) -> Outcome:
    """Per connection: its events and the decoder's retry once its body has ended."""
    outcome: Outcome = []
    last_event_id = ""
    for chunks in chunkings:
        decoder = EventStreamDecoder(last_event_id=last_event_id)
        events = [event for chunk in chunks for event in decoder.feed(chunk)]
        decoder.close()
        outcome.append((events, decoder.retry))
        last_event_id = decoder.last_event_id
    assert len(chunkings) == len(connections)
    return outcome


def _expected(connections: tuple[Connection, ...]) -> Outcome:
    return [([RawEvent(*event) for event in c.events], c.retry) for c in connections]


@pytest.mark.parametrize("connections", ALL_VECTORS)
def test_whole(connections: tuple[Connection, ...]) -> None:
    chunkings = [[c.stream] for c in connections]
    assert _feed(connections, chunkings) == _expected(connections)


@pytest.mark.parametrize("connections", ALL_VECTORS)
def test_one_byte_at_a_time(connections: tuple[Connection, ...]) -> None:
    chunkings = [[c.stream[i : i + 1] for i in range(len(c.stream))] for c in connections]
    assert _feed(connections, chunkings) == _expected(connections)


@pytest.mark.parametrize("connections", ALL_VECTORS)
def test_split_in_two_everywhere(connections: tuple[Connection, ...]) -> None:
    expected = _expected(connections)
    for index, connection in enumerate(connections):
        for at in range(len(connection.stream) + 1):
            chunkings = [[c.stream] for c in connections]
            chunkings[index] = [connection.stream[:at], connection.stream[at:]]
            assert _feed(connections, chunkings) == expected, (
                f"body {index} split at byte {at}: "
                f"{connection.stream[:at]!r} | {connection.stream[at:]!r}"
            )


def test_retry_is_none_until_a_valid_field() -> None:
    decoder = EventStreamDecoder()
    assert decoder.retry is None
    assert list(decoder.feed(b"retry:x\nretry:\n")) == []
    assert decoder.retry is None


def test_retry_is_set_by_the_field_not_by_dispatch() -> None:
    decoder = EventStreamDecoder()
    assert list(decoder.feed(b"retry: 1500\n")) == []
    assert decoder.retry == 1500


def test_retry_ignores_values_that_are_not_ascii_digits() -> None:
    decoder = EventStreamDecoder()
    list(decoder.feed(b"retry:1500\n"))
    # Signed, fractional, spaced, Arabic-Indic and fullwidth digits are all ignored.
    bogus = "retry:-1\nretry:1.5\nretry:  2\nretry:3 \nretry:\u0661\u0662\nretry:\uff14\n"
    list(decoder.feed(bogus.encode()))
    assert decoder.retry == 1500
    assert list(decoder.feed(b"data:x\n\n")) == [RawEvent("message", "x", "")]
    assert decoder.retry == 1500
    list(decoder.feed(b"retry:0\n"))
    assert decoder.retry == 0


def test_last_event_id_defaults_to_empty() -> None:
    assert EventStreamDecoder().last_event_id == ""


def test_last_event_id_carried_from_the_constructor() -> None:
    decoder = EventStreamDecoder(last_event_id="41")
    assert decoder.last_event_id == "41"
    assert list(decoder.feed(b"data:x\n\n")) == [RawEvent("message", "x", "41")]
    # An id holding NUL leaves the carried one in force.
    assert list(decoder.feed(b"id:4\x002\ndata:y\n\n")) == [RawEvent("message", "y", "41")]
    assert list(decoder.feed(b"id:42\ndata:z\n\n")) == [RawEvent("message", "z", "42")]
    assert decoder.last_event_id == "42"
    # `id` without a colon is an empty value: the id is reset.
    assert list(decoder.feed(b"id\ndata:w\n\n")) == [RawEvent("message", "w", "")]
    assert decoder.last_event_id == ""


def test_id_of_an_unfinished_event_is_not_the_last_event_id() -> None:
    # The standard sets the last event ID string when an event is dispatched (data or
    # not); an id whose event never reaches its blank line is discarded with it.
    decoder = EventStreamDecoder(last_event_id="7")
    assert list(decoder.feed(b"id:8\ndata:x\n")) == []
    decoder.close()
    assert decoder.last_event_id == "7"


def test_id_without_data_still_sets_the_last_event_id() -> None:
    decoder = EventStreamDecoder()
    assert list(decoder.feed(b"id:9\n\n")) == []
    decoder.close()
    assert decoder.last_event_id == "9"


def test_empty_chunk_between_cr_and_lf() -> None:
    # CR LF is one line end however the bytes are chunked, an empty chunk included.
    decoder = EventStreamDecoder()
    chunks = [b"data:a\r", b"", b"\ndata:b\n\n"]
    assert [event for chunk in chunks for event in decoder.feed(chunk)] == [
        RawEvent("message", "a\nb", "")
    ]
