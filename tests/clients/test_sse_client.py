"""The Python client itself follows the WHATWG parsing rules (a check of the harness)."""

from __future__ import annotations

from tests.clients.sse_client import EventStreamParser, Record


def feed_all(parser: EventStreamParser, chunks: list[str]) -> list[Record]:
    return [record for chunk in chunks for record in parser.feed(chunk)]


def test_a_crlf_split_across_chunks_is_one_line_end() -> None:
    parser = EventStreamParser()
    # Were the CR and the LF taken for two line ends, the LF would dispatch early.
    records = feed_all(parser, ["data: a\r", "\ndata: b\r", "\n\r", "\n"])
    assert [r["data"] for r in records] == ["a\nb"]


def test_an_id_counts_only_once_its_event_is_dispatched() -> None:
    parser = EventStreamParser()
    feed_all(parser, ["id: 1\ndata: one\n\n", "id: 2\ndata: cut off"])
    assert parser.last_event_id == "1"
    parser.reset()
    assert feed_all(parser, ["data: again\n\n"])[0]["lastEventId"] == "1"


def test_fields_as_the_standard_reads_them() -> None:
    parser = EventStreamParser()
    stream = "retry: 75\n: comment\n\nevent: e\ndata:  two spaces\ndata\nid: a\x00b\n\n"
    records = feed_all(parser, [stream])
    assert records == [
        {"kind": "event", "type": "e", "data": " two spaces\n", "lastEventId": ""},
    ]
    assert parser.reconnection_ms == 75
