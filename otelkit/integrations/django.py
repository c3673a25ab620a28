"""Django: a server span per request named by its route, carrying the IDs that arrive in
``baggage`` (OpenTelemetry's Django instrumentation, which adds its middleware to
``settings.MIDDLEWARE``).

The middleware is added right after ``django.setup()`` (settings are read then, and the
request handler built after it): before that, reading the settings would configure Django
with empty ones.

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

_original_setup: Callable[..., None] | None = None


def _instrument_now(tracer_provider: Any, meter_provider: Any) -> None:
    instrumentor = DjangoInstrumentor()
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)


def instrument(tracer_provider: Any, meter_provider: Any) -> None:
    """Instrument Django once per process, now if it is set up, else right after setup."""
    global _original_setup
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
    global _original_setup
    if _original_setup is not None:
        django.setup = _original_setup
        _original_setup = None
    DjangoInstrumentor().uninstrument()
