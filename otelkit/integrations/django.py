"""Django: every WSGI request runs inside ``OtelkitWSGIMiddleware`` (a server span, the
correlation ID bound and echoed, request log lines, the caller's IDs taken only from
trusted callers), and OpenTelemetry's Django instrumentation adds a span named by the
route inside it (its middleware in ``settings.MIDDLEWARE``). ASGI Django gets the Django
instrumentation's own server span.

The Django middleware is added right after ``django.setup()`` (settings are read then,
and the request handler built after it): before that, reading the settings would
configure Django with empty ones.

Needs the ``django`` extra: ``pip install 'otelkit[django]'``.
"""

from __future__ import annotations

import functools
from typing import Any

try:
    from opentelemetry.instrumentation.django import DjangoInstrumentor
except ImportError as exc:  # pragma: no cover - exercised by the missing-extra test
    raise ImportError(
        "the django integration needs opentelemetry-instrumentation-django: "
        "pip install 'otelkit[django]'"
    ) from exc

import django
from django.apps import apps
from django.core.handlers.wsgi import WSGIHandler
from opentelemetry import trace

from otelkit.integrations._patch import Patch, kept_on
from otelkit.middleware.wsgi import OtelkitWSGIMiddleware

_CALL = Patch(WSGIHandler, "__call__")
_SETUP = Patch(django, "setup")
_WRAPPED = "_otelkit_wsgi_middleware"


def _call(self: WSGIHandler, environ: dict[str, Any], start_response: Any) -> Any:
    original = _CALL.original
    if getattr(trace.get_current_span(), "kind", None) is trace.SpanKind.SERVER:
        # already inside a server span: the user wrapped the application themselves
        return original(self, environ, start_response)
    middleware = kept_on(
        self, _WRAPPED, lambda: OtelkitWSGIMiddleware(lambda env, start: original(self, env, start))
    )
    return middleware(environ, start_response)


def _instrument_now(tracer_provider: Any, meter_provider: Any) -> None:
    instrumentor = DjangoInstrumentor()
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)


def instrument(tracer_provider: Any, meter_provider: Any) -> None:
    """Instrument Django once per process, now if it is set up, else right after setup."""
    _CALL.apply(_call)
    if apps.ready:
        _instrument_now(tracer_provider, meter_provider)
        return
    if _SETUP.applied:
        return
    original = django.setup

    @functools.wraps(original)
    def setup(*args: Any, **kwargs: Any) -> None:
        original(*args, **kwargs)
        _instrument_now(tracer_provider, meter_provider)

    _SETUP.apply(setup)


def uninstrument() -> None:
    """Undo ``instrument``."""
    _CALL.undo()
    _SETUP.undo()
    DjangoInstrumentor().uninstrument()
