"""The tests' one event stream parser follows the WHATWG rules (a check of the harness)."""

from __future__ import annotations

from tests.support.sse import Event, Parser, parse


def feed_all(parser: Parser, chunks: list[str] | list[bytes]) -> list[Event]:
    return [event for chunk in chunks for event in parser.feed(chunk)]


def test_a_crlf_split_across_chunks_is_one_line_end() -> None:
    parser = Parser()
    # Were the CR and the LF taken for two line ends, the LF would dispatch early.
    events = feed_all(parser, ["data: a\r", "\ndata: b\r", "\n\r", "\n"])
    assert [e.data for e in events] == ["a\nb"]


def test_an_id_counts_only_once_its_event_is_dispatched() -> None:
    parser = Parser()
    feed_all(parser, ["id: 1\ndata: one\n\n", "id: 2\ndata: cut off"])
    assert parser.last_event_id == "1"
    parser.reset()
    assert feed_all(parser, ["data: again\n\n"])[0].last_event_id == "1"


def test_fields_as_the_standard_reads_them() -> None:
    parser = Parser()
    stream = "retry: 75\n: comment\n\nevent: e\ndata:  two spaces\ndata\nid: a\x00b\n\n"
    events = feed_all(parser, [stream])
    assert events == [Event("e", " two spaces\n", "")]
    assert parser.reconnection_ms == 75
    assert parser.comments == [" comment"]


def test_a_retry_that_is_not_all_digits_is_ignored() -> None:
    parser = Parser()
    feed_all(parser, ["retry: 10\n", "retry: 1.5\nretry: -3\nretry: \nretry: 20x\n\n"])
    assert parser.retries == [10]


def test_bytes_split_inside_a_character_and_one_leading_bom() -> None:
    parser = Parser()
    body = "\ufeffdata: \ufeffé\n\n".encode()
    events = feed_all(parser, [body[:2], body[2:9], body[9:]])
    assert [e.data for e in events] == ["\ufeffé"]  # only the stream's first BOM is dropped


def test_cr_alone_ends_lines_even_at_the_end_of_the_stream() -> None:
    parser = Parser()
    events = feed_all(parser, ["event: x\rdata: 1\r"])
    assert events == []  # that last CR may still be the start of a CRLF
    last, clean = parser.end()
    assert last == []  # a single line end: no blank line, nothing dispatched
    assert not clean
    assert feed_all(parser, ["data: 2\r\r"]) == []
    assert parser.end() == ([Event("message", "2", "")], True)


def test_a_whole_body_and_whether_it_ended_cleanly() -> None:
    stream = parse(b"retry: 5\n:keepalive\n\nevent: a\ndata: 1\nid: 7\n\ndata: cut")
    assert stream.events == [Event("a", "1", "7")]
    assert stream.comments == ["keepalive"]
    assert stream.retry == [5]
    assert stream.last_event_id == "7"
    assert not stream.complete  # the last event was cut off
    assert parse(b"data: 1\n\n").complete
    assert parse(b"").complete


def test_an_event_without_data_is_not_dispatched_but_its_id_counts() -> None:
    stream = parse(b"event: lost\nid: 3\n\ndata:\n\n")
    assert stream.events == [Event("message", "", "3")]
    assert stream.last_event_id == "3"
