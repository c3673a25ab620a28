"""FastAPI: every request runs inside ``OtelkitASGIMiddleware`` (a server span, the
correlation ID bound and echoed, request log lines, the caller's IDs taken only from
trusted callers), and OpenTelemetry's FastAPI instrumentation adds a span named by the
route inside it (``GET /items/{item_id}``) and the HTTP server metrics.

Applications created after ``configure()`` get the FastAPI instrumentation; one that
already has ``OtelkitASGIMiddleware`` keeps its own. Recent FastAPI releases also trace
natively: they stand down for the instrumentation.

Needs the ``fastapi`` extra: ``pip install 'otelkit[fastapi]'``.
"""

from __future__ import annotations

import functools
from typing import Any

try:
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
except ImportError as exc:  # pragma: no cover - exercised by the missing-extra test
    raise ImportError(
        "the fastapi integration needs opentelemetry-instrumentation-fastapi: "
        "pip install 'otelkit[fastapi]'"
    ) from exc

from fastapi.applications import FastAPI

from otelkit.integrations._patch import Patch, kept_on
from otelkit.middleware.asgi import OtelkitASGIMiddleware

_CALL = Patch(FastAPI, "__call__")
_WRAPPED = "_otelkit_asgi_middleware"


async def _call(self: FastAPI, scope: Any, receive: Any, send: Any) -> None:
    await kept_on(self, _WRAPPED, lambda: _middleware(self))(scope, receive, send)


def _middleware(app: FastAPI) -> Any:
    own = any(getattr(m, "cls", None) is OtelkitASGIMiddleware for m in app.user_middleware)
    inner = functools.partial(_CALL.original, app)
    return inner if own else OtelkitASGIMiddleware(inner)


def instrument(tracer_provider: Any, meter_provider: Any) -> None:
    """Instrument FastAPI once per process; spans follow otelkit's provider switches."""
    _CALL.apply(_call)
    instrumentor = FastAPIInstrumentor()
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)


def uninstrument() -> None:
    """Undo ``instrument``."""
    _CALL.undo()
    FastAPIInstrumentor().uninstrument()
