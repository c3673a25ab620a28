"""Flask: every application's ``wsgi_app`` runs inside ``OtelkitWSGIMiddleware`` (a server
span per request, the correlation ID bound and echoed, request log lines), through
OpenTelemetry's WSGI instrumentation; there is no upstream Flask instrumentation on this
release line.

An application whose ``wsgi_app`` the user already wrapped with the middleware is left as
it is: one server span per request.

Needs the ``flask`` extra: ``pip install 'otelkit[flask]'``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask

from otelkit.middleware.wsgi import OtelkitWSGIMiddleware

_original: Callable[..., Iterable[bytes]] | None = None
_WRAPPED = "_otelkit_wsgi_middleware"


def _call(self: Flask, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    assert _original is not None
    if isinstance(self.wsgi_app, OtelkitWSGIMiddleware):
        return _original(self, environ, start_response)
    middleware = self.__dict__.get(_WRAPPED)
    if middleware is None:
        # Reads ``wsgi_app`` at each request, so a wrapper the user adds later still runs.
        middleware = OtelkitWSGIMiddleware(lambda env, start: self.wsgi_app(env, start))
        self.__dict__[_WRAPPED] = middleware
    return middleware(environ, start_response)


def instrument(tracer_provider: Any, meter_provider: Any) -> None:
    """Route every Flask application's requests through the middleware, once per process
    (the middleware follows otelkit's provider switches by itself)."""
    global _original
    if _original is None:
        _original = Flask.__call__
        Flask.__call__ = _call  # type: ignore[method-assign]


def uninstrument() -> None:
    """Undo ``instrument``."""
    global _original
    if _original is not None:
        Flask.__call__ = _original  # type: ignore[method-assign]
        _original = None
