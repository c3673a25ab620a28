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
from collections.abc import Callable
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

from otelkit.middleware.wsgi import OtelkitWSGIMiddleware

_original_setup: Callable[..., None] | None = None
_original_call: Callable[..., Any] | None = None
_WRAPPED = "_otelkit_wsgi_middleware"


def _call(self: WSGIHandler, environ: dict[str, Any], start_response: Any) -> Any:
    assert _original_call is not None
    if getattr(trace.get_current_span(), "kind", None) is trace.SpanKind.SERVER:
        # already inside a server span: the user wrapped the application themselves
        return _original_call(self, environ, start_response)
    middleware = self.__dict__.get(_WRAPPED)
    if middleware is None:
        original = _original_call
        middleware = OtelkitWSGIMiddleware(lambda env, start: original(self, env, start))
        self.__dict__[_WRAPPED] = middleware
    return middleware(environ, start_response)


def _instrument_now(tracer_provider: Any, meter_provider: Any) -> None:
    instrumentor = DjangoInstrumentor()
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)


def instrument(tracer_provider: Any, meter_provider: Any) -> None:
    """Instrument Django once per process, now if it is set up, else right after setup."""
    global _original_setup, _original_call
    if _original_call is None:
        _original_call = WSGIHandler.__call__
        WSGIHandler.__call__ = _call
    if apps.ready:
        _instrument_now(tracer_provider, meter_provider)
        return
    if _original_setup is not None:
        return
    original = _original_setup = django.setup

    @functools.wraps(original)
    def setup(*args: Any, **kwargs: Any) -> None:
        original(*args, **kwargs)
        _instrument_now(tracer_provider, meter_provider)

    django.setup = setup


def uninstrument() -> None:
    """Undo ``instrument``."""
    global _original_setup, _original_call
    if _original_call is not None:
        WSGIHandler.__call__ = _original_call
        _original_call = None
    if _original_setup is not None:
        django.setup = _original_setup
        _original_setup = None
    DjangoInstrumentor().uninstrument()
