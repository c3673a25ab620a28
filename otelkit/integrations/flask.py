"""Flask: every application's ``wsgi_app`` runs inside ``OtelkitWSGIMiddleware`` (a server
span per request, the correlation ID bound and echoed, request log lines), through
OpenTelemetry's WSGI instrumentation; there is no upstream Flask instrumentation on this
release line.

An application whose ``wsgi_app`` the user already wrapped with the middleware is left as
it is: one server span per request.

Needs the ``flask`` extra: ``pip install 'otelkit[flask]'``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Flask

from otelkit.integrations._patch import Patch, kept_on
from otelkit.middleware.wsgi import OtelkitWSGIMiddleware

_CALL = Patch(Flask, "__call__")
_WRAPPED = "_otelkit_wsgi_middleware"


def _call(self: Flask, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    if isinstance(self.wsgi_app, OtelkitWSGIMiddleware):
        return _CALL.original(self, environ, start_response)  # type: ignore[no-any-return]
    # Reads ``wsgi_app`` at each request, so a wrapper the user adds later still runs.
    middleware = kept_on(
        self, _WRAPPED, lambda: OtelkitWSGIMiddleware(lambda env, start: self.wsgi_app(env, start))
    )
    return middleware(environ, start_response)  # type: ignore[no-any-return]


def instrument(tracer_provider: Any, meter_provider: Any) -> None:
    """Route every Flask application's requests through the middleware, once per process
    (the middleware follows otelkit's provider switches by itself)."""
    _CALL.apply(_call)


def uninstrument() -> None:
    """Undo ``instrument``."""
    _CALL.undo()
