"""The collector connection's own HTTP: the request as it goes on the wire, and every
shape of answer a real server (a raw socket on loopback, writing exactly the bytes a
test gives it) can send back — chunked, interim, HTTP/1.0, oversized, garbled, cut."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from otelkit._sdk.http_outcome import MAX_ANSWER_BODY, NoAnswer, NotSent
from otelkit._sdk.http_post import Connection
from tests.support.raw_http import ScriptedServer, scripted_server

OK = b"HTTP/1.1 200 OK\r\nContent-Type: application/x-protobuf\r\nContent-Length: 2\r\n\r\nok"


@contextmanager
def raw_server(answers: list[bytes], close_after: bool = False) -> Iterator[ScriptedServer]:
    """Answers the requests with ``answers``, in order."""
    queued = list(answers)
    with scripted_server(lambda _: queued.pop(0) if queued else None, close_after) as server:
        yield server


def _post(
    server: ScriptedServer, connection: Connection | None = None, seconds: float = 2.0
) -> object:
    connection = connection or Connection(f"http://127.0.0.1:{server.port}/v1/traces")
    return connection.post(b"\x0a\x00", {"Content-Type": "application/x-protobuf"}, _in(seconds))


def _in(seconds: float) -> float:
    return time.monotonic() + seconds


def test_the_request_on_the_wire() -> None:
    with raw_server([OK]) as server:
        answer = _post(server)
    (request,) = server.requests
    head, _, body = request.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    assert lines[0] == b"POST /v1/traces HTTP/1.1"
    assert f"Host: 127.0.0.1:{server.port}".encode() in lines
    assert b"Content-Type: application/x-protobuf" in lines
    assert b"Content-Length: 2" in lines
    assert body == b"\x0a\x00"
    assert answer.status == 200  # type: ignore[attr-defined]
    assert answer.body == b"ok"  # type: ignore[attr-defined]


def test_a_kept_alive_connection_carries_the_next_request() -> None:
    with raw_server([OK, OK]) as server:
        connection = Connection(f"http://127.0.0.1:{server.port}/v1/traces")
        _post(server, connection)
        _post(server, connection)
    assert server.connections == 1


def test_a_chunked_answer_with_trailers_is_read_whole_and_the_connection_kept() -> None:
    chunked = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"1;ext=1\r\na\r\n2\r\nbc\r\n0\r\nX-Trailer: t\r\n\r\n"
    )
    with raw_server([chunked, OK]) as server:
        connection = Connection(f"http://127.0.0.1:{server.port}/v1/traces")
        first = _post(server, connection)
        _post(server, connection)
    assert first.body == b"abc"  # type: ignore[attr-defined]
    assert server.connections == 1


def test_an_interim_answer_is_skipped_and_folded_headers_joined() -> None:
    answer = (
        b"HTTP/1.1 100 Continue\r\n\r\n"
        b"HTTP/1.1 206 Partial\r\nX-Note: one\r\n two\r\nX-Note: three\r\nContent-Length: 0\r\n\r\n"
    )
    with raw_server([answer]) as server:
        got = _post(server)
    assert got.status == 206  # type: ignore[attr-defined]
    assert got.headers["x-note"] == "one two, three"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("answer", "connections"),
    [
        (b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", 2),  # 1.0 closes by default
        (b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n", 1),
        (b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", 2),
    ],
)
def test_the_connection_is_kept_only_when_the_answer_says_so(
    answer: bytes, connections: int
) -> None:
    with raw_server([answer, answer], close_after=connections == 2) as server:
        connection = Connection(f"http://127.0.0.1:{server.port}/v1/traces")
        _post(server, connection)
        _post(server, connection)
    assert server.connections == connections


def test_an_oversized_body_is_not_read_and_the_connection_closed() -> None:
    huge = f"HTTP/1.1 200 OK\r\nContent-Length: {MAX_ANSWER_BODY + 1}\r\n\r\n".encode()
    with raw_server([huge + b"x" * 1024, OK]) as server:
        connection = Connection(f"http://127.0.0.1:{server.port}/v1/traces")
        first = _post(server, connection)
        _post(server, connection)
    assert first.status == 200  # type: ignore[attr-defined]
    assert first.body == b""  # type: ignore[attr-defined]
    assert server.connections == 2


def test_a_body_until_close_is_read_to_the_end() -> None:
    with raw_server([b"HTTP/1.1 200 OK\r\n\r\nuntil close"], close_after=True) as server:
        got = _post(server)
    assert got.body == b"until close"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("answer", "garbled"),
    [
        (b"SMTP 220 hello\r\n\r\n", True),
        (b"HTTP/1.1 2x0 OK\r\n\r\n", True),
        (b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", True),
        (b"HTTP/1.1 200 OK\r\nContent-Length: ten\r\n\r\n", True),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", True),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", True),
        (b"HTTP/1.1 200 OK\r\n" + b"X: y\r\n" * 101 + b"\r\n", True),
        (b"HTTP/1.1 200 OK\r\nContent-", False),  # cut within the head
        (b"", False),  # closed before answering
    ],
)
def test_a_bad_answer_is_no_answer(answer: bytes, garbled: bool) -> None:
    with raw_server([answer], close_after=True) as server, pytest.raises(NoAnswer) as raised:
        _post(server)
    assert raised.value.garbled is garbled


def test_a_header_that_would_split_the_request_is_refused() -> None:
    with raw_server([OK]) as server:
        connection = Connection(f"http://127.0.0.1:{server.port}/v1/traces")
        with pytest.raises(ValueError, match="invalid HTTP header"):
            connection.post(b"", {"X-Tenant": "a\r\nX-Admin: 1"}, _in(2.0))
    assert server.requests == []


def test_a_url_path_with_spaces_is_refused() -> None:
    with pytest.raises(ValueError, match="not an http"):
        Connection("http://127.0.0.1:4318/v1/tra ces")


def test_nothing_listening_is_not_sent() -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
    with pytest.raises(NotSent):
        Connection(f"http://127.0.0.1:{port}/v1/traces").post(b"", {}, _in(1.0))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_any_bytes_back_are_an_answer_or_no_answer_by_the_deadline(answer: bytes) -> None:
    with raw_server([answer], close_after=True) as server:
        started = time.monotonic()
        try:
            got = _post(server, seconds=1.0)
        except NoAnswer:
            pass
        else:
            assert 100 <= got.status <= 999  # type: ignore[attr-defined]
        assert time.monotonic() - started < 1.5
