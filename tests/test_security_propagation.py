"""What leaves for whom, and what is believed from whom: real servers on loopback.

Outbound: a redirect from an internal host to an external one, and a bare
``propagate.inject()``. Inbound: forged baggage, a "not sampled" trace context and a
hostile correlation ID from an internet caller (ASGI, WSGI, Lambda), the same headers
from a trusted internal caller, and 180 baggage entries that must not travel on.
"""

from __future__ import annotations

import re
import urllib.request
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from opentelemetry import propagate, trace

import otelkit
from otelkit._requests.incoming import incoming_context
from otelkit._values.trust import build_trust
from otelkit.testing import Capture
from tests.support.polling import eventually
from tests.support.servers import asgi_server, http_server, request, wsgi_server

CONTEXT_HEADERS = ("traceparent", "tracestate", "baggage", "x-amzn-trace-id")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@contextmanager
def recording_server(redirect_to: str | None = None) -> Iterator[tuple[str, list[dict[str, str]]]]:
    """A loopback HTTP server that records each request's headers (lower-cased), and
    answers 302 to ``redirect_to`` when given, else 200. It also serves as a plain HTTP
    proxy: a request for ``http://api.example.com/…`` arrives here whole."""
    seen: list[dict[str, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append({k.lower(): v for k, v in self.headers.items()} | {"path": self.path})
            self.send_response(302 if redirect_to else 200)
            if redirect_to:
                self.send_header("Location", redirect_to)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    with http_server(Handler) as url:
        yield url, seen


@pytest.mark.parametrize("asynchronous", [False, True])
async def test_a_redirect_to_an_external_host_gets_no_context(
    asynchronous: bool, otelkit_capture: Capture
) -> None:
    otelkit.configure(console=False)
    with (
        recording_server() as (proxy, external_seen),
        recording_server(redirect_to="http://api.example.com/landing") as (internal, internal_seen),
    ):
        mounts: dict[str, Any] = {
            "http://api.example.com": (
                httpx.AsyncHTTPTransport if asynchronous else httpx.HTTPTransport
            )(proxy=proxy)
        }
        with (
            otelkit.bind(job_id="job-7", session_id="sess-7", user_id="u-7"),
            otelkit.span("outbound"),
        ):
            if asynchronous:
                async with httpx.AsyncClient(mounts=mounts, follow_redirects=True) as client:
                    response = await client.get(f"{internal}/start")
            else:
                with httpx.Client(mounts=mounts, follow_redirects=True) as client:
                    response = client.get(f"{internal}/start")
    assert response.status_code == 200
    (first,) = internal_seen
    assert "traceparent" in first
    assert "x-amzn-trace-id" in first
    assert first["baggage"] == "job_id=job-7,session_id=sess-7", "user_id never leaves"
    (redirected,) = external_seen
    assert redirected["path"] == "http://api.example.com/landing"
    assert not set(CONTEXT_HEADERS) & set(redirected), redirected


def test_a_bare_inject_sends_trace_context_but_never_baggage(otelkit_capture: Capture) -> None:
    """What requests, urllib3, aiohttp or a hand-written client do: inject, then send."""
    otelkit.configure(console=False)
    with (
        recording_server() as (url, seen),
        otelkit.bind(job_id="job-9"),
        otelkit.span("client") as span,
    ):
        headers: dict[str, str] = {}
        propagate.inject(headers)
        urllib.request.urlopen(urllib.request.Request(f"{url}/x", headers=headers)).close()
    (received,) = seen
    assert "baggage" not in received
    trace_id = format(span.get_span_context().trace_id, "032x")
    assert received["traceparent"].split("-")[1] == trace_id


FORGED_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
FORGED = {
    "traceparent": f"00-{FORGED_TRACE}-00f067aa0ba902b7-00",
    "baggage": "user_id=admin,correlation_id=forged,job_id=job-forged",
    "x-correlation-id": "bad id <script>",
}
PUBLIC_CALLER = {"x-forwarded-for": "72.12.164.125"}
TRUSTED = {
    "traceparent": f"00-{FORGED_TRACE}-00f067aa0ba902b7-01",
    "baggage": "user_id=admin,job_id=job-internal",
    "x-correlation-id": "req-123",
}


def _asgi_app(seen: list[dict[str, Any]]) -> Any:
    from otelkit.middleware.asgi import OtelkitASGIMiddleware

    async def app(scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        seen.append(_observed())
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    return OtelkitASGIMiddleware(app)


def _wsgi_app(seen: list[dict[str, Any]]) -> Any:
    from otelkit.middleware.wsgi import OtelkitWSGIMiddleware

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.append(_observed())
        start_response("200 OK", [])
        return [b"ok"]

    return OtelkitWSGIMiddleware(app)


def _observed() -> dict[str, Any]:
    context = trace.get_current_span().get_span_context()
    return {
        "ids": otelkit.ids(),
        "trace_id": format(context.trace_id, "032x"),
        "sampled": context.trace_flags.sampled,
    }


def _serve(kind: str, seen: list[dict[str, Any]]) -> Any:
    return asgi_server(_asgi_app(seen)) if kind == "asgi" else wsgi_server(_wsgi_app(seen))


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["asgi", "wsgi"])
def test_an_internet_caller_forges_nothing(kind: str, otelkit_capture: Capture) -> None:
    seen: list[dict[str, Any]] = []
    with _serve(kind, seen) as url:
        response = request("GET", f"{url}/orders", headers=FORGED | PUBLIC_CALLER)
    (observed,) = seen
    assert "user_id" not in observed["ids"]
    assert "job_id" not in observed["ids"]
    correlation_id = observed["ids"]["correlation_id"]
    assert UUID.fullmatch(correlation_id), "a hostile correlation ID is replaced"
    assert response.headers["x-correlation-id"] == correlation_id
    assert observed["sampled"], "a remote not-sampled flag does not switch tracing off"
    assert observed["trace_id"] != FORGED_TRACE
    server = eventually(
        lambda: [s for s in otelkit_capture.spans if s.kind is trace.SpanKind.SERVER]
    )[0]
    assert server.parent is None


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["asgi", "wsgi"])
def test_a_trusted_caller_continues_its_trace_but_never_sets_user_id(
    kind: str, otelkit_capture: Capture
) -> None:
    seen: list[dict[str, Any]] = []
    with _serve(kind, seen) as url:
        response = request("GET", f"{url}/orders", headers=TRUSTED)
    (observed,) = seen
    assert observed["ids"] == {"job_id": "job-internal", "correlation_id": "req-123"}
    assert observed["trace_id"] == FORGED_TRACE
    assert observed["sampled"]
    assert response.headers["x-correlation-id"] == "req-123"


@pytest.mark.slow
def test_trust_can_be_withdrawn_from_everyone() -> None:
    otelkit.configure(trusted_callers="none", console=False)
    seen: list[dict[str, Any]] = []
    with _serve("asgi", seen) as url:
        request("GET", f"{url}/orders", headers=TRUSTED)
    (observed,) = seen
    assert "job_id" not in observed["ids"]
    assert observed["trace_id"] != FORGED_TRACE


@pytest.mark.slow
def test_arbitrary_inbound_baggage_is_not_forwarded(otelkit_capture: Capture) -> None:
    from otelkit.middleware.asgi import OtelkitASGIMiddleware

    otelkit.configure(console=False)
    with recording_server() as (downstream, downstream_seen):

        async def app(scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
            async with httpx.AsyncClient() as client:
                await client.get(f"{downstream}/next")
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"ok"})

        entries = ",".join(f"k{i}=v{i}" for i in range(180))
        with asgi_server(OtelkitASGIMiddleware(app)) as url:
            request(
                "GET",
                f"{url}/fan",
                headers={"baggage": f"job_id=job-1,{entries}", "x-correlation-id": "req-9"},
            )
    (forwarded,) = downstream_seen
    assert set(forwarded["baggage"].split(",")) == {"correlation_id=req-9", "job_id=job-1"}


def _api_gateway_event(source_ip: str, headers: dict[str, str]) -> dict[str, Any]:
    return {
        "version": "2.0",
        "routeKey": "GET /orders",
        "rawPath": "/orders",
        "headers": headers,
        "requestContext": {
            "http": {"method": "GET", "path": "/orders", "sourceIp": source_ip},
            "domainName": "api.example.com",
            "requestId": "r-1",
        },
    }


@pytest.mark.parametrize(("source_ip", "trusted"), [("72.12.164.125", False), ("10.0.4.2", True)])
def test_lambda_http_events_follow_the_same_trust_model(
    source_ip: str, trusted: bool, otelkit_capture: Capture
) -> None:
    seen: list[dict[str, Any]] = []

    @otelkit.aws.lambda_handler
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        seen.append(_observed())
        return {"statusCode": 200, "body": "ok"}

    headers = TRUSTED if trusted else FORGED
    result = handler(_api_gateway_event(source_ip, dict(headers)), None)
    (observed,) = seen
    assert "user_id" not in observed["ids"]
    assert observed["sampled"]
    if trusted:
        assert observed["ids"]["job_id"] == "job-internal"
        assert observed["trace_id"] == FORGED_TRACE
    else:
        assert "job_id" not in observed["ids"]
        assert observed["trace_id"] != FORGED_TRACE
        assert UUID.fullmatch(result["headers"]["X-Correlation-ID"])


@pytest.mark.parametrize(
    ("rule", "peer", "forwarded", "expected"),
    [
        ("private", "127.0.0.1", None, True),
        ("private", "10.1.2.3", "192.168.0.4, 10.0.0.1", True),
        ("private", "10.1.2.3", "72.12.164.125", False),
        ("private", "72.12.164.125", None, False),
        ("private", None, None, True),
        ("private", "127.0.0.1", "not-an-address", False),
        ("all", "72.12.164.125", "198.51.100.1", True),
        ("none", "127.0.0.1", None, False),
        ("198.51.100.0/24", "198.51.100.7", None, True),
        ("198.51.100.0/24", "10.0.0.1", None, False),
        ("198.51.100.0/24", "198.51.100.7", "10.0.0.2", True),
    ],
)
def test_trust_rules(rule: str, peer: str | None, forwarded: str | None, expected: bool) -> None:
    assert build_trust([rule]).trusts(peer, forwarded) is expected


def test_an_unknown_trust_rule_is_refused_by_configure() -> None:
    with pytest.raises(ValueError, match="trusted_callers"):
        otelkit.configure(trusted_callers="friends", console=False)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["asgi", "wsgi"])
@pytest.mark.parametrize(
    "baggage",
    ["correlation_id=%E2%82%AC", "correlation_id=%F0%9F%98%80", "correlation_id=a%0Db"],
    ids=["euro", "emoji", "carriage return"],
)
def test_no_correlation_id_breaks_a_request(kind: str, baggage: str) -> None:
    # A trusted caller (loopback) whose baggage carries an ID no header can hold: the
    # request is answered, and the ID is replaced wherever it would be bound or echoed.
    otelkit.configure(console=False, log_stdout=False)
    seen: list[dict[str, Any]] = []
    with _serve(kind, seen) as url:
        response = request("GET", f"{url}/orders", headers={"baggage": baggage})
    assert response.status_code == 200
    assert response.text == "ok"
    (observed,) = seen
    correlation_id = observed["ids"]["correlation_id"]
    assert UUID.fullmatch(correlation_id)
    assert response.headers["x-correlation-id"] == correlation_id


@given(st.text(max_size=40))
def test_any_baggage_correlation_id_gives_a_header_safe_one(value: str) -> None:
    from urllib.parse import quote

    headers = {"baggage": f"correlation_id={quote(value)}"}
    _, correlation_id = incoming_context(headers, "127.0.0.1")
    assert correlation_id.isascii()
    assert correlation_id.isprintable()
    correlation_id.encode("latin-1")  # what the servers do with a header value


@pytest.mark.parametrize(
    ("rule", "peer", "forwarded", "client"),
    [
        ("private", "10.0.0.5", "6.6.6.6, 72.12.164.125", "72.12.164.125"),
        ("private", "10.0.0.5", "72.12.164.125, 10.0.0.9", "72.12.164.125"),
        ("private", "72.12.164.125", "10.1.2.3", "72.12.164.125"),
        ("private", "127.0.0.1", None, "127.0.0.1"),
        ("private", None, "6.6.6.6, 72.12.164.125", "72.12.164.125"),
        ("private", "10.0.0.5", "10.0.0.7, 10.0.0.6", "10.0.0.7"),
        ("none", "10.0.0.5", "72.12.164.125", "10.0.0.5"),
        ("198.51.100.0/24", "198.51.100.7", "6.6.6.6, 203.0.113.9", "203.0.113.9"),
        ("198.51.100.0/24", "10.0.0.5", "203.0.113.9", "10.0.0.5"),
    ],
)
def test_the_client_is_the_rightmost_hop_no_trusted_proxy_added(
    rule: str, peer: str | None, forwarded: str | None, client: str
) -> None:
    assert build_trust([rule]).client(peer, forwarded) == client


def _started_lines(capture: Capture) -> list[dict[str, Any]]:
    return eventually(
        lambda: [line for line in capture.logs if line.get("message") == "Request started"]
    )


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["asgi", "wsgi"])
def test_a_client_cannot_choose_its_client_ip(kind: str, otelkit_capture: Capture) -> None:
    seen: list[dict[str, Any]] = []
    forged = {"x-forwarded-for": "6.6.6.6, 72.12.164.125"}  # the client wrote the first hop
    with _serve(kind, seen) as url:
        request("GET", f"{url}/orders", headers=forged)
    (started,) = _started_lines(otelkit_capture)
    assert started["client_ip"] == "72.12.164.125"


@pytest.mark.slow
def test_untrusted_callers_correlation_ids_can_be_reissued() -> None:
    otelkit.configure(console=False, log_stdout=False, untrusted_correlation_ids="reissue")
    seen: list[dict[str, Any]] = []
    with _serve("asgi", seen) as url:
        outside = request(
            "GET", f"{url}/orders", headers={"x-correlation-id": "victim-123"} | PUBLIC_CALLER
        )
        inside = request("GET", f"{url}/orders", headers={"x-correlation-id": "req-inside"})
    assert UUID.fullmatch(outside.headers["x-correlation-id"]), "a new ID, never the victim's"
    assert [observed["ids"]["correlation_id"] for observed in seen] == [
        outside.headers["x-correlation-id"],
        "req-inside",
    ]
    assert inside.headers["x-correlation-id"] == "req-inside"


_HOPS = st.one_of(
    st.ip_addresses().map(str), st.text(alphabet="0123456789abcdef.:[] ", max_size=20)
)


@given(
    forged=st.lists(_HOPS, max_size=10),
    client=st.ip_addresses().filter(lambda a: a.is_global).map(str),
    proxies=st.lists(st.sampled_from(["10.0.0.5", "172.16.3.4", "192.168.1.9"]), max_size=4),
)
def test_no_forged_hop_changes_the_client(
    forged: list[str], client: str, proxies: list[str]
) -> None:
    # Whatever the client writes before its own address, the proxies' hops decide.
    chain = ", ".join([*forged, client, *proxies[1:]])
    peer = proxies[0] if proxies else "10.0.0.1"
    assert build_trust(["private"]).client(peer, chain) == client
