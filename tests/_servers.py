"""Real HTTP servers on loopback for the middleware tests: uvicorn (ASGI), werkzeug (WSGI)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from examples._local_services import asgi_server

__all__ = ["asgi_server", "request", "wsgi_server"]

T = TypeVar("T")


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


def eventually(probe: Callable[[], T | None], timeout: float = 3.0) -> T:
    """``probe()``'s first truthy result: a server finishes its span and its last log
    line just after the client has the response."""
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)
