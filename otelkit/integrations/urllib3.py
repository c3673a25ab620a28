"""urllib3: a client span per request made through a connection pool (``PoolManager``,
``ProxyManager``, ``HTTPConnectionPool``), carrying the bound IDs; trace headers and IDs
only to allowed hosts.

Needs the ``urllib3`` extra: ``pip install 'otelkit[urllib3]'``. With the requests or
botocore integration on, their calls through urllib3 are traced once, by them.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

try:
    from opentelemetry.instrumentation.urllib3 import URLLib3Instrumentor
except ImportError as exc:  # pragma: no cover - exercised by the missing-extra test
    raise ImportError(
        "the urllib3 integration needs opentelemetry-instrumentation-urllib3: "
        "pip install 'otelkit[urllib3]'"
    ) from exc

from otelkit._correlation.propagation import allow_next_injection


def _request_hook(span: Any, pool: Any, request: Any) -> None:
    """Decide for this request, right before the instrumentation injects headers.

    The URL, not the pool: through a proxy the pool is the proxy's. The instrumentation
    injects into a fresh copy of the headers for every hop, redirects included, so a hop
    that may not receive context simply gets none.
    """
    host = urlsplit(request.url).hostname or getattr(pool, "host", "") or ""
    allow_next_injection(host)


def instrument(tracer_provider: Any, meter_provider: Any) -> None:
    """Instrument every urllib3 connection pool once per process."""
    instrumentor = URLLib3Instrumentor()
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument(
            tracer_provider=tracer_provider,
            meter_provider=meter_provider,
            request_hook=_request_hook,
        )


def uninstrument() -> None:
    """Undo ``instrument``."""
    URLLib3Instrumentor().uninstrument()
