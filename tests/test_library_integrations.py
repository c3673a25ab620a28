"""``configure(instrument=[...])`` for requests and redis: real calls to real local servers,
each span carrying the bound IDs, stable semantic conventions and no secret."""

from __future__ import annotations

import pytest

import otelkit
from otelkit.testing import capture
from tests.support.otlp_receiver import otlp_receiver
from tests.support.servers import fake_api, redis_server


def test_requests_spans_carry_ids_and_never_a_secret_query_value() -> None:
    import requests

    otelkit.configure(console=False, log_stdout=False, instrument=["requests"])
    with fake_api() as url, capture() as cap, otelkit.bind(job_id="job-requests"):
        response = requests.post(
            f"{url}/v1/scenes?api_key=sk-live-123&page=2", json={"s": 1}, timeout=5
        )
    (span,) = cap.spans
    assert span.attributes["job_id"] == "job-requests"
    assert span.attributes["http.request.method"] == "POST"
    assert span.attributes["http.response.status_code"] == response.status_code
    assert span.attributes["url.full"].endswith("/v1/scenes?api_key=[REDACTED]&page=2")


@pytest.mark.slow
def test_redis_spans_carry_ids_and_never_a_value() -> None:
    import redis

    otelkit.configure(console=False, log_stdout=False, instrument=["redis"])
    with redis_server() as url, capture() as cap, otelkit.bind(job_id="job-redis"):
        client = redis.Redis.from_url(url)
        client.set("session:7", "hunter2-password")
        assert client.get("session:7") == b"hunter2-password"
    spans = {span.name: span for span in cap.spans}
    assert set(spans) == {"SET", "GET"}
    for span in spans.values():
        assert span.attributes["job_id"] == "job-redis"
        assert span.attributes["db.system.name"] == "redis"
        assert "hunter2" not in str(dict(span.attributes))
    assert spans["SET"].attributes["db.query.text"] == "SET ? ?"


def test_exports_over_requests_make_no_spans_of_their_own() -> None:
    """The OTLP exporter talks to the collector with requests: with requests instrumented,
    an export must not trace itself (each export would make a span to export)."""
    import requests

    with otlp_receiver() as (endpoint, received), fake_api() as url:
        otelkit.configure(endpoint=endpoint, log_stdout=False, instrument=["requests"])
        with otelkit.job("calls", job_id="job-loop"):
            requests.get(f"{url}/missing", timeout=5)
        assert otelkit.flush(timeout=5)
        assert otelkit.flush(timeout=5)
        otelkit.shutdown(timeout=5)
    urls = [
        value
        for span in received.spans()
        for item in span.get("attributes", [])
        if item["key"] == "url.full"
        for value in item["value"].values()
    ]
    assert urls, "the application's own request is traced"
    assert all("/v1/" not in url for url in urls), urls
