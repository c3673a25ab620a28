"""Real servers on loopback for the tests.

The examples' local services (``fake_api``, ``moto_server``, ``redis_server``,
``asgi_server``) are defined next to the examples, which run standalone; tests reach them
through this module only, so they are loaded once, as ``examples._local_services``.
``wsgi_server`` and ``request`` are the tests' own.
"""

from __future__ import annotations

import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from examples._local_services import (
    REDIS_INSTALL_HINT,
    asgi_server,
    fake_api,
    moto_server,
    redis_server,
)

__all__ = [
    "REDIS_INSTALL_HINT",
    "asgi_server",
    "fake_api",
    "http_server",
    "moto_client",
    "moto_server",
    "redis_server",
    "request",
    "wsgi_server",
]


def moto_client(service: str, endpoint: str) -> Any:
    """A boto3 client for ``service`` on the moto server at ``endpoint``, with the dummy
    credentials and region every test uses."""
    import boto3

    return boto3.client(  # type: ignore[call-overload]
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@contextmanager
def http_server(
    handler: type[BaseHTTPRequestHandler], port: int = 0, tls: ssl.SSLContext | None = None
) -> Iterator[str]:
    """Serve ``handler`` with a threaded stdlib server on 127.0.0.1 (on ``port``, else
    an ephemeral one); yield its URL (``https`` with ``tls``, a server context)."""
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    server.daemon_threads = True
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        scheme = "https" if tls is not None else "http"
        yield f"{scheme}://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextmanager
def wsgi_server(app: Any) -> Iterator[str]:
    """Serve ``app`` with werkzeug's threaded server on 127.0.0.1; yield its URL."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


def request(method: str, url: str, **options: Any) -> Any:
    """An HTTP request with exactly the headers given: even when an earlier test left
    httpx instrumented, no client span replaces the test's own ``traceparent``."""
    import httpx
    from opentelemetry.instrumentation.utils import suppress_http_instrumentation

    with suppress_http_instrumentation():
        return httpx.request(method, url, **options)
