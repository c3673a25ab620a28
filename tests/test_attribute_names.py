"""Every attribute name otelkit writes on spans is one the semantic conventions define (and
not a deprecated one), or one of otelkit's own names listed in docs/attribute-names.md.

The spans come from the real paths: a Lambda invocation of every event source, a job and
a session that fail, a lifecycle event, httpx and requests calls, a redis command, and
requests through the ASGI and WSGI middleware, each against a real local server.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator, MutableMapping
from pathlib import Path
from typing import Any

import pytest

import otelkit
from otelkit.testing import Capture
from tests.support.lambda_context import FakeContext
from tests.support.lambda_event_shapes import EVENTS
from tests.support.lambda_source_cases import CASES
from tests.support.semconv_names import defined
from tests.support.servers import fake_api, wsgi_server

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT / "tests" / "fixtures" / "lambda-events"
DOC = ROOT / "docs" / "attribute-names.md"
#: Written by the OpenTelemetry SDK itself (``Span.record_exception``), not by otelkit.
SDK_WRITTEN = frozenset({"exception.escaped"})


def _documented() -> set[str]:
    """The first column of the tables of docs/attribute-names.md."""
    return set(re.findall(r"^\| `([^`]+)` \|", DOC.read_text(), re.MULTILINE))


def _event(name: str) -> Any:
    if name in EVENTS:
        return copy.deepcopy(EVENTS[name])
    return json.loads((SHARED / f"{name}.json").read_text())


@otelkit.aws.lambda_handler
def _handler(event: Any, context: Any) -> Any:
    return {"statusCode": 200, "body": "ok"}


def _lambda_invocations() -> None:
    for name, *_ in CASES:
        _handler(_event(name), FakeContext())


def _fail_in_job() -> None:
    with otelkit.job("names.job", job_id="job-n"):
        raise ValueError("boom")


def _fail_in_session() -> None:
    with otelkit.session("sess-n"):
        otelkit.event("HEARTBEAT_FAILED", status="failing", error_type="ConnectionError")
        raise KeyError("k")


def _failures() -> None:
    with pytest.raises(ValueError, match="boom"):
        _fail_in_job()
    with pytest.raises(KeyError, match="k"):
        _fail_in_session()


def _httpx_call() -> None:
    import httpx

    from otelkit import _integrations

    _integrations.enable(["httpx"])
    with fake_api() as api, otelkit.span("calling"):
        httpx.get(f"{api}/missing?page=2")


def _wsgi_request() -> None:
    import httpx

    from otelkit.middleware.wsgi import OtelkitWSGIMiddleware

    def app(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return iter([b"ok"])

    with wsgi_server(OtelkitWSGIMiddleware(app)) as url:
        httpx.get(f"{url}/orders/7", headers={"User-Agent": "names-test"})


def _asgi_request() -> None:
    import httpx

    from otelkit.middleware.asgi import OtelkitASGIMiddleware
    from tests.support.servers import asgi_server

    async def app(scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 404, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    with asgi_server(OtelkitASGIMiddleware(app)) as url:
        httpx.get(f"{url}/nothing-here")


def _requests_and_redis() -> None:
    import redis
    import requests

    from otelkit import _integrations
    from tests.support.servers import redis_server

    _integrations.enable(["requests", "redis"])
    with fake_api() as api, redis_server() as url, otelkit.span("calling"):
        requests.get(f"{api}/missing", timeout=5)
        redis.Redis.from_url(url).set("names", "1")


def _sql_and_web_frameworks() -> None:
    """Statements through sqlite3 and SQLAlchemy, and a Django request (the upstream
    database and framework instrumentations otelkit turns on)."""
    import sqlite3
    import tempfile

    import sqlalchemy

    from otelkit import _integrations
    from tests.support.django_site import configure_settings
    from tests.support.integrations import turned_off_after
    from tests.support.servers import request

    names = ["sqlite3", "sqlalchemy", "django"]
    _integrations.enable(names)
    with turned_off_after(*names), tempfile.TemporaryDirectory() as directory:
        connection = sqlite3.connect(f"{directory}/a.db")
        connection.execute("CREATE TABLE t (a TEXT)")
        connection.close()
        engine = sqlalchemy.create_engine(f"sqlite:///{directory}/b.db")
        with engine.begin() as alchemy:
            alchemy.execute(sqlalchemy.text("SELECT 1"))
        engine.dispose()
        configure_settings()
        from django.core.wsgi import get_wsgi_application

        with wsgi_server(get_wsgi_application()) as url:
            request("GET", f"{url}/items/7")


SCENARIOS = [
    _lambda_invocations,
    _failures,
    _httpx_call,
    _wsgi_request,
    _asgi_request,
    _requests_and_redis,
    _sql_and_web_frameworks,
]


def _written(cap: Capture) -> dict[str, str]:
    """Each attribute name on the captured spans and their events -> where it was seen."""
    names: dict[str, str] = {}
    for span in cap.spans:
        for name in span.attributes or {}:
            names.setdefault(name, f"span {span.name!r}")
        for event in span.events:
            for name in event.attributes or {}:
                names.setdefault(name, f"event {event.name!r} of {span.name!r}")
    return names


@pytest.mark.slow
def test_every_span_attribute_name_is_a_convention_or_documented(
    otelkit_capture: Capture,
) -> None:
    for scenario in SCENARIOS:
        scenario()
    written = {n: w for n, w in _written(otelkit_capture).items() if n not in SDK_WRITTEN}
    conventions = defined()
    documented = _documented()
    deprecated = {n: where for n, where in written.items() if conventions.get(n)}
    assert not deprecated, f"deprecated convention names written: {deprecated}"
    unknown = {
        n: where for n, where in written.items() if n not in conventions and n not in documented
    }
    assert not unknown, f"neither a convention nor in {DOC.name}: {unknown}"
    # the upstream HTTP spans are among them, with the stable names
    assert {"http.request.method", "url.full", "http.response.status_code"} <= set(written)
    assert {"db.system.name", "db.query.text", "http.route"} <= set(written)


def test_the_documented_names_are_not_the_conventions() -> None:
    """A custom name that the conventions define after all is listed in the wrong place."""
    overlap = _documented() & set(defined())
    assert not overlap, f"defined by the conventions, drop from {DOC.name}: {sorted(overlap)}"


def test_the_conventions_package_is_read() -> None:
    names = defined()
    assert names["http.request.method"] is False
    assert names["http.method"] is True  # replaced by http.request.method
    assert names["aws.secretsmanager.secret.arn"] is False
