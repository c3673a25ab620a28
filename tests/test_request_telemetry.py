"""Request telemetry: one implementation behind the ASGI and WSGI middleware and Lambda
HTTP invocations: request lines, HTTP server metrics by route template and status class,
the slow-request warning and the in-flight gauge."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from fastapi import FastAPI
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import otelkit
from otelkit._core import pipeline as _pipeline
from otelkit._requests import telemetry as _request_telemetry
from otelkit.middleware.asgi import OtelkitASGIMiddleware
from otelkit.middleware.wsgi import OtelkitWSGIMiddleware
from otelkit.testing import Capture, capture
from tests.support.lambda_context import FakeContext, event
from tests.support.polling import eventually
from tests.support.servers import asgi_server, wsgi_server
from tests.support.servers import request as send

DURATION = "http.server.request.duration"
METRIC_DIMENSIONS = {"http.request.method", "http.route", "http.response.status_class"}


def fastapi_app() -> FastAPI:
    app = FastAPI()
    app.add_middleware(OtelkitASGIMiddleware)

    @app.post("/items/{item}")
    async def item(item: str) -> dict[str, str]:
        return {"item": item}

    @app.get("/slow/{n}")
    async def slow(n: str) -> dict[str, str]:
        time.sleep(0.08)  # holds the loop: the request is slow, as a blocking call makes it
        return {"n": n}

    return app


def flask_app() -> Any:
    app = Flask(__name__)
    app.wsgi_app = OtelkitWSGIMiddleware(app.wsgi_app)  # type: ignore[method-assign]

    @app.post("/items/<item>")
    def item(item: str) -> dict[str, str]:
        return {"item": item}

    @app.get("/slow/<n>")
    def slow(n: str) -> dict[str, str]:
        time.sleep(0.08)
        return {"n": n}

    return app


@pytest.fixture(params=["asgi", "wsgi"])
def served(request: pytest.FixtureRequest) -> Iterator[tuple[str, str]]:
    """The server's URL and how its framework writes the route ``/items/{item}``."""
    if request.param == "asgi":
        with asgi_server(fastapi_app()) as url:
            yield url, "/items/{item}"
    else:
        with wsgi_server(flask_app()) as url:
            yield url, "/items/<item>"


def completed_lines(cap: Capture, count: int) -> list[dict[str, Any]]:
    return eventually(
        lambda: (
            (found := [line for line in cap.logs if line["message"] == "Request completed"])
            and len(found) >= count
            and found
        )
    )


def points(cap: Capture, name: str) -> list[tuple[dict[str, Any], Any]]:
    return [(attributes, value) for attributes, value in cap.metrics.get(name, [])]


def test_requests_are_measured_by_route_template_never_by_raw_path(served: tuple[str, str]) -> None:
    url, template = served
    sizes = []
    with capture() as cap:
        for item in ("a1", "b2", "c3"):
            sent = send(
                "POST",
                f"{url}/items/{item}",
                content=b"x" * 10,
                headers={"X-Forwarded-For": "203.0.113.9"},
            )
            assert sent.status_code == 200
            sizes.append(len(sent.content))
        send("GET", f"{url}/no/such/page")
        lines = completed_lines(cap, 4)
        durations = eventually(
            lambda: (
                (found := points(cap, DURATION))
                and sum(v["count"] for _, v in found) >= 4
                and found
            )
        )
        active = points(cap, "http.server.active_requests")
        request_sizes = points(cap, "http.server.request.body.size")
    routed = [attributes for attributes, _ in durations if "http.route" in attributes]
    assert routed == [
        {"http.request.method": "POST", "http.route": template, "http.response.status_class": "2xx"}
    ]
    assert {"http.request.method": "GET", "http.response.status_class": "4xx"} in [
        attributes for attributes, _ in durations
    ]
    for attributes, _ in durations:  # bounded: no raw path, ever
        assert set(attributes) <= METRIC_DIMENSIONS
        assert not any(
            "a1" in str(value) or "/no/such" in str(value) for value in attributes.values()
        )
    assert all(value == 0 for _, value in active)  # nothing left in flight
    assert [v["sum"] for a, v in request_sizes if a.get("http.route")] == [30]
    first = lines[0]
    assert first["route"] == template
    assert first["path"] == "/items/a1"
    assert first["status"] == 200
    assert first["request_size"] == 10
    assert first["response_size"] == sizes[0]
    assert first["client_ip"] == "203.0.113.9"
    assert first["latency_ms"] >= 0
    assert not [line for line in cap.logs if line["message"] == "Slow request"]


def test_slow_requests_write_a_warning_naming_the_route_and_are_counted(
    served: tuple[str, str],
) -> None:
    url = served[0]
    with capture() as cap:
        # The pipeline is frozen: a changed one is swapped in.
        _pipeline.activate(replace(_pipeline.current(), slow_request_ms=50.0))
        send("GET", f"{url}/slow/1")
        send("POST", f"{url}/items/fast")
        completed_lines(cap, 2)
        warnings = eventually(
            lambda: [line for line in cap.logs if line["message"] == "Slow request"]
        )
        slow = eventually(lambda: points(cap, "http.server.slow_requests"))
    assert len(warnings) == 1
    warning = warnings[0]
    assert warning["level"] == "WARNING"
    assert warning["route"] in ("/slow/{n}", "/slow/<n>")
    assert warning["latency_ms"] > 50
    assert warning["threshold_ms"] == 50
    assert len(warning["trace_id"]) == 32  # inside the request: its IDs are on the line
    assert [value for _, value in slow] == [1]
    assert slow[0][0]["http.route"] == warning["route"]


@pytest.mark.parametrize(
    ("fixture", "route", "path"),
    [
        ("apiGatewayProxyEvent", "/my/path", "/my/path"),
        ("apiGatewayProxyV2Event", None, "/my/path"),  # the $default route: no template
    ],
)
def test_lambda_http_invocations_get_the_same_request_telemetry(
    fixture: str, route: str | None, path: str
) -> None:

    @otelkit.aws.lambda_handler
    def handler(event: Any, context: Any) -> dict[str, Any]:
        time.sleep(0.005)
        return {"statusCode": 503, "body": "down"}

    with capture() as cap:
        # The pipeline is frozen: a changed one is swapped in.
        _pipeline.activate(replace(_pipeline.current(), slow_request_ms=1.0))
        handler(event(fixture), FakeContext())
    started = [line for line in cap.logs if line["message"] == "Request started"]
    done = [line for line in cap.logs if line["message"] == "Request completed"]
    slow = [line for line in cap.logs if line["message"] == "Slow request"]
    assert len(started) == len(done) == len(slow) == 1
    assert done[0]["level"] == "ERROR"
    assert done[0]["status"] == 503
    assert done[0]["response_size"] == 4
    assert done[0].get("route") == route
    assert done[0]["path"] == path
    assert done[0]["correlation_id"]
    assert slow[0]["route"] == (route or path)
    ((attributes, value),) = points(cap, DURATION)
    assert attributes["http.response.status_class"] == "5xx"
    assert attributes.get("http.route") == route
    assert value["count"] == 1


def test_configure_slow_request_ms_reaches_the_rendered_lines(
    capsys: pytest.CaptureFixture[str],
) -> None:
    otelkit.configure(log_format="json", console=False, slow_request_ms=1)
    with asgi_server(fastapi_app()) as url:
        send("GET", f"{url}/slow/2")
        lines = eventually(
            lambda: [
                json.loads(line)
                for line in capsys.readouterr().out.splitlines()
                if "Slow request" in line
            ]
        )
    assert lines[0]["route"] == "/slow/{n}"
    assert lines[0]["threshold_ms"] == 1


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    method=st.text(max_size=12),
    path=st.text(max_size=40),
    status=st.integers(min_value=-5, max_value=1200),
    route=st.one_of(st.none(), st.just("/items/{id}")),
)
def test_metric_dimensions_stay_bounded_for_any_request(
    otelkit_capture: Capture, method: str, path: str, status: int, route: str | None
) -> None:
    one = _request_telemetry.Request(method, path, "10.0.0.1", logs=True)
    one.routed(route)
    one.status = status
    one.completed(0)
    one.completed(0)  # a second call changes nothing
    for attributes, _ in otelkit_capture.metrics.get(DURATION, []):
        assert set(attributes) <= METRIC_DIMENSIONS
        assert attributes["http.request.method"] in (_request_telemetry.KNOWN_METHODS | {"_OTHER"})
        assert attributes["http.response.status_class"] in (
            {f"{n}xx" for n in range(1, 6)} | {"_OTHER"}
        )
        assert attributes.get("http.route") in (None, "/items/{id}")
    for _, value in otelkit_capture.metrics.get("http.server.active_requests", []):
        assert value == 0
