"""``configure(instrument=[...])`` for web frameworks: Starlette and Flask through
otelkit's ASGI/WSGI middleware, FastAPI and Django through both (otelkit's middleware
around the framework's upstream instrumentation).
Each serves a real request on loopback (uvicorn, werkzeug); the server span carries the
IDs the caller sent in ``baggage``, the stable HTTP conventions, and never the secret in
the query string."""

from __future__ import annotations

from typing import Any

import otelkit
from otelkit.testing import capture
from tests.support.integrations import turned_off_after
from tests.support.polling import eventually
from tests.support.servers import asgi_server, request, wsgi_server

SECRET = "sk-live-4242"
# What an otelkit service upstream sends: its bound job ID as W3C baggage.
HEADERS = {"baggage": "job_id=job-web"}
QUERY = f"?api_key={SECRET}&page=2"


def _server_span(cap: Any) -> Any:
    return eventually(lambda: next((s for s in cap.spans if s.kind.name == "SERVER"), None))


def _assert_server_span(span: Any, route: str | None) -> None:
    attributes = dict(span.attributes)
    assert attributes["job_id"] == "job-web"
    assert attributes["http.request.method"] == "GET"
    assert attributes["http.response.status_code"] == 200
    assert "http.method" not in attributes  # the stable names only
    if route is not None:
        assert attributes["http.route"] == route
        assert span.name == f"GET {route}"
    assert SECRET not in str(attributes)


def test_fastapi_requests_get_otelkit_middleware_and_a_span_named_by_route() -> None:
    import fastapi

    otelkit.configure(console=False, log_stdout=False, instrument=["fastapi"])
    with turned_off_after("fastapi"):
        app = fastapi.FastAPI()

        @app.get("/items/{item_id}")
        def item(item_id: int) -> dict[str, Any]:
            return {"item": item_id, "correlation_id": otelkit.ids().get("correlation_id")}

        with asgi_server(app) as url, capture() as cap:
            response = request("GET", f"{url}/items/7{QUERY}", headers=HEADERS)
            span = _server_span(cap)
            routed = eventually(
                lambda: next((s for s in cap.spans if s.name == "GET /items/{item_id}"), None)
            )
        correlation_id = response.headers["x-correlation-id"]
        assert response.json() == {"item": 7, "correlation_id": correlation_id}
        _assert_server_span(span, None)
        assert span.attributes["correlation_id"] == correlation_id
        # inside it, the FastAPI instrumentation's span (recent FastAPI, which traces
        # natively, stands down for it)
        assert routed.instrumentation_scope.name == "opentelemetry.instrumentation.fastapi"
        assert routed.kind.name == "INTERNAL"
        assert routed.parent.span_id == span.context.span_id
        assert routed.attributes["job_id"] == "job-web"
        assert routed.attributes["http.route"] == "/items/{item_id}"
        assert SECRET not in str(dict(routed.attributes))
        assert len([s for s in cap.spans if s.kind.name == "SERVER"]) == 1


def test_fastapi_apps_with_the_middleware_keep_one() -> None:
    import fastapi

    from otelkit.middleware.asgi import OtelkitASGIMiddleware

    otelkit.configure(console=False, log_stdout=False, instrument=["fastapi"])
    with turned_off_after("fastapi"):
        app = fastapi.FastAPI()
        app.add_middleware(OtelkitASGIMiddleware)

        @app.get("/ping")
        def ping() -> str:
            return "pong"

        with asgi_server(app) as url, capture() as cap:
            response = request("GET", f"{url}/ping", headers=HEADERS)
            _server_span(cap)
            completed = eventually(
                lambda: [e for e in cap.logs if e.get("message") == "Request completed"]
            )
        assert response.status_code == 200
        assert len(response.headers.get_list("x-correlation-id")) == 1
        assert len(completed) == 1
        asgi_spans = [
            s for s in cap.spans if s.instrumentation_scope.name.endswith("instrumentation.asgi")
        ]
        assert len(asgi_spans) == 1


def test_starlette_apps_get_otelkit_middleware_with_a_correlation_id() -> None:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    def item(req: Request) -> JSONResponse:
        return JSONResponse({"correlation_id": otelkit.ids().get("correlation_id")})

    otelkit.configure(console=False, log_stdout=False, instrument=["starlette"])
    with turned_off_after("starlette"):
        app = Starlette(routes=[Route("/items/{item_id}", item)])
        with asgi_server(app) as url, capture() as cap:
            response = request("GET", f"{url}/items/7{QUERY}", headers=HEADERS)
            span = _server_span(cap)
        _assert_server_span(span, None)
        # otelkit's middleware: the correlation ID bound in the handler, on the span and
        # echoed to the caller.
        correlation_id = response.headers["x-correlation-id"]
        assert response.json() == {"correlation_id": correlation_id}
        assert span.attributes["correlation_id"] == correlation_id
        assert len([s for s in cap.spans if s.kind.name == "SERVER"]) == 1


def test_flask_apps_get_otelkit_middleware_with_a_correlation_id() -> None:
    import flask

    otelkit.configure(console=False, log_stdout=False, instrument=["flask"])
    with turned_off_after("flask"):
        app = flask.Flask("items")

        @app.get("/items/<int:item_id>")
        def item(item_id: int) -> dict[str, Any]:
            return {"item": item_id, "job_id": otelkit.ids().get("job_id")}

        with wsgi_server(app) as url, capture() as cap:
            response = request("GET", f"{url}/items/7{QUERY}", headers=HEADERS)
            span = _server_span(cap)
        assert response.json() == {"item": 7, "job_id": "job-web"}
        _assert_server_span(span, None)
        assert span.attributes["correlation_id"] == response.headers["x-correlation-id"]
        assert len([s for s in cap.spans if s.kind.name == "SERVER"]) == 1


def test_django_requests_get_otelkit_middleware_and_a_span_named_by_route() -> None:
    from tests.support.django_site import configure_settings

    otelkit.configure(console=False, log_stdout=False, instrument=["django"])
    with turned_off_after("django"):
        configure_settings()
        from django.core.wsgi import get_wsgi_application

        app = get_wsgi_application()  # django.setup(): the instrumentation joins here
        with wsgi_server(app) as url, capture() as cap:
            response = request("GET", f"{url}/items/7{QUERY}", headers=HEADERS)
            span = _server_span(cap)
            routed = eventually(
                lambda: next((s for s in cap.spans if s.kind.name == "INTERNAL"), None)
            )
        assert response.json() == {"item": 7}
        _assert_server_span(span, None)
        # otelkit's middleware: the correlation ID on the span and echoed to the caller
        assert span.attributes["correlation_id"] == response.headers["x-correlation-id"]
        # inside it, the Django instrumentation's span named by the route
        assert routed.name == "GET items/<int:item_id>"
        assert routed.parent.span_id == span.context.span_id
        assert routed.attributes["job_id"] == "job-web"
        assert routed.attributes["correlation_id"] == span.attributes["correlation_id"]
        assert len([s for s in cap.spans if s.kind.name == "SERVER"]) == 1


def test_django_applications_wrapped_by_the_user_keep_one_middleware() -> None:
    from otelkit.middleware.wsgi import OtelkitWSGIMiddleware
    from tests.support.django_site import configure_settings

    otelkit.configure(console=False, log_stdout=False, instrument=["django"])
    with turned_off_after("django"):
        configure_settings()
        from django.core.wsgi import get_wsgi_application

        app = OtelkitWSGIMiddleware(get_wsgi_application())
        with wsgi_server(app) as url, capture() as cap:
            response = request("GET", f"{url}/items/7", headers=HEADERS)
            _server_span(cap)
        assert response.json() == {"item": 7}
        assert len(response.headers.get_list("x-correlation-id")) == 1
        assert len([s for s in cap.spans if s.kind.name == "SERVER"]) == 1
