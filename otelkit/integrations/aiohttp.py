"""aiohttp (client): a client span per request of every ``ClientSession`` created after
``configure()``, carrying the bound IDs; trace headers and IDs only to allowed hosts.

Needs the ``aiohttp`` extra: ``pip install 'otelkit[aiohttp]'``. aiohttp's server side
is an ASGI-less framework of its own and is not covered.
"""

from __future__ import annotations

from typing import Any

try:
    import aiohttp
    from opentelemetry.instrumentation.aiohttp_client import AioHttpClientInstrumentor
    from yarl import URL
except ImportError as exc:  # pragma: no cover - exercised by the missing-extra test
    raise ImportError(
        "the aiohttp integration needs opentelemetry-instrumentation-aiohttp-client: "
        "pip install 'otelkit[aiohttp]'"
    ) from exc

from otelkit._correlation.propagation import (
    PROPAGATION_HEADERS,
    allow_next_injection,
    policy,
)


def _request_hook(span: Any, params: Any) -> None:
    """Decide for this request, right before the instrumentation injects headers."""
    allow_next_injection(params.url.host or "")


async def _on_redirect(session: Any, context: Any, params: Any) -> None:
    """aiohttp sends a redirect with the first hop's headers: strip what was injected
    there when the next hop may not have it (the first hop's decision is not redone)."""
    location = params.response.headers.get("Location") or params.response.headers.get("URI")
    if location is None:
        return
    host = params.url.join(URL(location)).host or ""
    if not policy().is_internal(host):
        for name in PROPAGATION_HEADERS:
            params.headers.popall(name, None)


def _redirect_config() -> aiohttp.TraceConfig:
    config = aiohttp.TraceConfig()
    config.on_request_redirect.append(_on_redirect)
    return config


def instrument(tracer_provider: Any, meter_provider: Any) -> None:
    """Instrument every aiohttp client session once per process."""
    instrumentor = AioHttpClientInstrumentor()
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument(
            tracer_provider=tracer_provider,
            meter_provider=meter_provider,
            request_hook=_request_hook,
            trace_configs=[_redirect_config()],
        )


def uninstrument() -> None:
    """Undo ``instrument``."""
    AioHttpClientInstrumentor().uninstrument()
