"""The extension's HTTP client against a real socket server on loopback that answers
with scripted bytes: the framings an HTTP/1.1 server may choose, one kept-alive
connection, and a server that hangs up."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from otelkit.aws._extension_api import ExtensionsApi
from tests.support.raw_http import scripted_server


def _sized(body: bytes, extra: str = "") -> bytes:
    return (
        f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n{extra}"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


def _chunked(body: bytes, cuts: list[int]) -> bytes:
    pieces, start = [], 0
    for cut in sorted({c % (len(body) + 1) for c in cuts} | {len(body)}):
        if cut > start:
            pieces.append(f"{cut - start:x}\r\n".encode() + body[start:cut] + b"\r\n")
            start = cut
    return (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + b"".join(pieces) + b"0\r\n\r\n"
    )


EVENT = {"eventType": "INVOKE", "requestId": "r-1", "deadlineMs": 1796579991197}


def test_events_are_read_on_one_kept_alive_connection_with_the_identifier_sent() -> None:
    body = json.dumps(EVENT).encode()
    with scripted_server(lambda _: _sized(body)) as server:
        api = ExtensionsApi(server.api, 2.0)
        for _ in range(3):
            status, _, event = api.request("GET", "/next", {"Lambda-Extension-Identifier": "id-7"})
            assert (status, event) == (200, EVENT)
        api.close()
    assert server.connections == 1
    assert all(b"\r\nLambda-Extension-Identifier: id-7\r\n" in r for r in server.requests)
    assert server.requests[0].startswith(b"GET /next HTTP/1.1\r\n")


def test_a_registration_sends_its_body_and_reads_the_reply_headers() -> None:
    reply = _sized(b'{"functionName":"f"}', "Lambda-Extension-Identifier: ext-1\r\n")
    with scripted_server(lambda _: reply) as server:
        status, headers, body = ExtensionsApi(server.api, 2.0).request(
            "POST", "/register", {"Lambda-Extension-Name": "otelkit"}, b'{"events":["INVOKE"]}'
        )
    assert (status, headers["lambda-extension-identifier"], body) == (
        200,
        "ext-1",
        {"functionName": "f"},
    )
    assert server.requests[0].endswith(b'\r\n\r\n{"events":["INVOKE"]}')


@settings(max_examples=40, deadline=None)
@given(
    event=st.dictionaries(st.text(max_size=8), st.text(max_size=40), max_size=6),
    cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=6),
)
def test_a_chunked_reply_reads_as_the_same_event_however_it_is_cut(
    event: dict[str, str], cuts: list[int]
) -> None:
    body = json.dumps(event).encode()
    with scripted_server(lambda _: _chunked(body, cuts)) as server:
        api = ExtensionsApi(server.api, 2.0)
        assert api.request("GET", "/next", {})[2] == event
        assert api.request("GET", "/next", {})[2] == event  # the framing left nothing behind
        api.close()


def test_a_server_that_hangs_up_raises_and_the_next_request_connects_again() -> None:
    answers = iter([None, _sized(json.dumps(EVENT).encode())])
    with scripted_server(lambda _: next(answers)) as server:
        api = ExtensionsApi(server.api, 2.0)
        with pytest.raises(OSError, match="connection closed"):
            api.request("GET", "/next", {})
        assert api.request("GET", "/next", {})[2] == EVENT
        api.close()
    assert server.connections == 2


def test_an_error_status_is_returned_with_its_body() -> None:
    reply = b'HTTP/1.1 403 Forbidden\r\nContent-Length: 22\r\n\r\n{"errorType":"denied"}'
    with scripted_server(lambda _: reply) as server:
        status, _, body = ExtensionsApi(server.api, 2.0).request("GET", "/next", {})
    assert (status, body) == (403, {"errorType": "denied"})
