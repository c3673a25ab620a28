"""Starlette: every application gets ``OtelkitASGIMiddleware`` (a server span per request,
the correlation ID bound and echoed, request log lines), through OpenTelemetry's ASGI
instrumentation; there is no upstream Starlette instrumentation on this release line.

Applications whose middleware stack is built after ``configure()`` (at their first
request) are covered. One that already has the middleware, or that the ``fastapi``
integration traces, is left as it is: one server span per request.

Needs the ``starlette`` extra: ``pip install 'otelkit[starlette]'``.
"""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.middleware.errors import ServerErrorMiddleware

from otelkit.integrations._patch import Patch
from otelkit.middleware.asgi import OtelkitASGIMiddleware

_BUILD = Patch(Starlette, "build_middleware_stack")
_MAX_DEPTH = 64  # a middleware stack is a chain of ``.app``; never walk a cycle forever


def _has_otelkit_middleware(app: Any) -> bool:
    for _ in range(_MAX_DEPTH):
        if isinstance(app, OtelkitASGIMiddleware):
            return True
        app = getattr(app, "app", None)
        if app is None:
            return False
    return False


def _build_middleware_stack(self: Starlette) -> Any:
    stack = _BUILD.original(self)
    traced_by_fastapi = getattr(self, "_is_instrumented_by_opentelemetry", False)
    if traced_by_fastapi or _has_otelkit_middleware(stack):
        return stack
    # Inside the server-error middleware, where ``add_middleware`` puts the outermost
    # user middleware: a 500 is still answered inside the span.
    if isinstance(stack, ServerErrorMiddleware):
        stack.app = OtelkitASGIMiddleware(stack.app)
        return stack
    return OtelkitASGIMiddleware(stack)


def instrument(tracer_provider: Any, meter_provider: Any) -> None:
    """Wrap every Starlette application's middleware stack, once per process (the
    middleware follows otelkit's provider switches by itself)."""
    _BUILD.apply(_build_middleware_stack)


def uninstrument() -> None:
    """Undo ``instrument`` (for applications whose stack is built afterwards)."""
    _BUILD.undo()
