"""``configure(instrument=[...])`` for urllib3 and the aiohttp client: real requests to a
real local server, each span carrying the bound IDs, the stable HTTP conventions and no
secret, and trace context and IDs sent to internal hosts only, redirects included.

The server below also acts as an HTTP proxy (it answers absolute-URL requests), so a
client reaches a public name (``api.partner.test``, which never resolves) without any
DNS lookup or traffic off loopback, and the allowlist decides on that name as it would
for a real third party.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

import pytest

import otelkit
from otelkit.testing import capture
from tests.support.http_services import Echo
from tests.support.integrations import turned_off_after
from tests.support.servers import http_server

SECRET = "sk-live-123"
PARTNER = "http://api.partner.test/v1/hook"


class _Recorder(Echo):
    """Records each request's host and headers; ``/redirect?to=URL`` answers 302 to URL,
    anything else answers the headers it got, as JSON."""

    seen: ClassVar[list[tuple[str, dict[str, str]]]] = []
    lock: ClassVar[threading.Lock] = threading.Lock()

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        headers = {k.lower(): v for k, v in self.headers.items()}
        with self.lock:
            self.seen.append((parts.hostname or "127.0.0.1", headers))
        if parts.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", parse_qs(parts.query)["to"][0])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self._answer(headers)


@pytest.fixture
def server() -> Iterator[str]:
    _Recorder.seen.clear()
    with http_server(_Recorder) as url:
        yield url


def _assert_stable_client_span(span: Any, job_id: str, trace_header: str) -> None:
    attributes = dict(span.attributes)
    assert attributes["job_id"] == job_id
    assert attributes["http.request.method"] == "GET"
    assert attributes["http.response.status_code"] == 200
    assert attributes["url.full"].endswith("/v1/scenes?api_key=[REDACTED]&page=2")
    assert not {"http.method", "http.url", "http.status_code"} & set(attributes)
    assert SECRET not in str(attributes)
    # the server got this span's context, as W3C traceparent
    assert trace_header.split("-")[1] == format(span.context.trace_id, "032x")


def _assert_public_ids(baggage: str) -> None:
    """The public bound IDs travel as baggage; the private ``user_id`` never does."""
    assert "correlation_id=corr-7" in baggage.split(",")
    assert "u-private" not in baggage


def _assert_only_internal_hops_got_context() -> None:
    (internal_host, internal), (partner_host, partner) = _Recorder.seen
    assert internal_host == "127.0.0.1"
    assert "traceparent" in internal
    _assert_public_ids(internal["baggage"])
    assert partner_host == "api.partner.test"
    assert not {"traceparent", "baggage", "x-amzn-trace-id"} & set(partner)


def test_urllib3_spans_carry_ids_and_never_a_secret_query_value(server: str) -> None:
    import urllib3

    with turned_off_after("urllib3"):
        otelkit.configure(console=False, log_stdout=False, instrument=["urllib3"])
        with (
            capture() as cap,
            otelkit.bind(job_id="job-urllib3", correlation_id="corr-7", user_id="u-private"),
        ):
            response = urllib3.PoolManager().request(
                "GET", f"{server}/v1/scenes?api_key={SECRET}&page=2"
            )
    seen = response.json()
    (span,) = cap.spans
    _assert_stable_client_span(span, "job-urllib3", seen["traceparent"])
    _assert_public_ids(seen["baggage"])


def test_urllib3_sends_context_to_internal_hosts_only_redirects_included(server: str) -> None:
    import urllib3

    with turned_off_after("urllib3"):
        otelkit.configure(console=False, log_stdout=False, instrument=["urllib3"])
        with (
            capture() as cap,
            otelkit.bind(job_id="job-urllib3", correlation_id="corr-7", user_id="u-private"),
        ):
            # through the server as a proxy: the pool is the proxy's, the host is not
            response = urllib3.ProxyManager(server).request(
                "GET", f"{server}/redirect?to={PARTNER}"
            )
    assert response.status == 200
    _assert_only_internal_hops_got_context()
    assert len(cap.spans) == 2  # one per hop
    assert all(span.attributes["job_id"] == "job-urllib3" for span in cap.spans)


async def test_aiohttp_spans_carry_ids_and_never_a_secret_query_value(server: str) -> None:
    import aiohttp

    with turned_off_after("aiohttp"):
        otelkit.configure(console=False, log_stdout=False, instrument=["aiohttp"])
        with (
            capture() as cap,
            otelkit.bind(job_id="job-aiohttp", correlation_id="corr-7", user_id="u-private"),
        ):
            async with (
                aiohttp.ClientSession() as session,
                session.get(f"{server}/v1/scenes?api_key={SECRET}&page=2") as response,
            ):
                seen = await response.json()
    (span,) = cap.spans
    _assert_stable_client_span(span, "job-aiohttp", seen["traceparent"])
    _assert_public_ids(seen["baggage"])


async def test_aiohttp_sends_context_to_internal_hosts_only_redirects_included(
    server: str,
) -> None:
    import aiohttp

    with turned_off_after("aiohttp"):
        otelkit.configure(console=False, log_stdout=False, instrument=["aiohttp"])
        with (
            capture() as cap,
            otelkit.bind(job_id="job-aiohttp", correlation_id="corr-7", user_id="u-private"),
        ):
            async with (
                aiohttp.ClientSession() as session,
                session.get(f"{server}/redirect?to={PARTNER}", proxy=server) as response,
            ):
                assert response.status == 200
    _assert_only_internal_hops_got_context()
    (span,) = cap.spans  # aiohttp: one span for the request and its redirects
    assert span.attributes["job_id"] == "job-aiohttp"


async def test_aiohttp_sends_no_context_to_a_public_host(server: str) -> None:
    import aiohttp

    with turned_off_after("aiohttp"):
        otelkit.configure(console=False, log_stdout=False, instrument=["aiohttp"])
        with capture() as cap, otelkit.bind(correlation_id="corr-7"):
            async with (
                aiohttp.ClientSession() as session,
                session.get(PARTNER, proxy=server) as response,
            ):
                seen = await response.json()
    assert not {"traceparent", "baggage", "x-amzn-trace-id"} & set(seen)
    (span,) = cap.spans
    assert span.attributes["url.full"] == PARTNER
