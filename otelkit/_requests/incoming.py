"""What the ASGI and WSGI middleware share: the incoming context, the correlation ID, the
"Request started" / "Request completed" log lines and the noise filter.

Both middleware wrap the upstream OpenTelemetry server instrumentation, which makes the
server span and the HTTP metrics well, but extracts the parent with whatever global
propagator is installed and from an empty context, so the IDs that arrive in ``baggage``
would be lost. ``IncomingContextTracerProvider`` closes that gap: the middleware extracts
with otelkit's propagator first, and the server span is started from that context.

Secrets stay out: no header or body is ever logged, the path is logged without its query
string, and only the tracing and correlation headers are read.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping
from contextvars import ContextVar
from typing import Any

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import SpanKind

from otelkit._core import switch as _switch
from otelkit._correlation.ids import context_with_ids, current_ids, validate_ids
from otelkit._correlation.propagation import extract, policy, start_span_from
from otelkit._logs import buffer as _log_buffer
from otelkit._requests.telemetry import Request

#: Paths that never produce request logs unless configured otherwise (load-balancer and
#: orchestrator probes, which would otherwise be most of the log volume).
DEFAULT_QUIET_PATHS: tuple[str, ...] = ("/health", "/healthz", "/ready")
#: Request headers read for the correlation ID, in order of preference.
CORRELATION_HEADERS: tuple[str, ...] = ("x-correlation-id", "x-request-id")
#: Response header that carries the correlation ID back to the caller.
RESPONSE_HEADER = "X-Correlation-ID"

QuietPattern = str | re.Pattern[str]

# The context the middleware extracted for the request being started; read once by the
# server span's tracer. A ContextVar, so concurrent requests never see each other's.
_incoming: ContextVar[Context | None] = ContextVar("otelkit_incoming_http", default=None)
_PLACEHOLDER = re.compile(r"\{[^{}/]*\}")


class _IncomingContextTracer(trace.Tracer):
    """Starts SERVER spans from the context otelkit extracted; forwards everything else."""

    def __init__(self, delegate: trace.Tracer) -> None:
        self._delegate = delegate

    def start_span(
        self,
        name: str,
        context: Context | None = None,
        kind: SpanKind = SpanKind.INTERNAL,
        *args: Any,
        **kwargs: Any,
    ) -> trace.Span:
        if kind is SpanKind.SERVER:
            incoming = _incoming.get()
            if incoming is not None:
                return start_span_from(self._delegate, name, incoming, kind=kind, **kwargs)
        return self._delegate.start_span(name, context, kind, *args, **kwargs)

    def start_as_current_span(self, *args: Any, **kwargs: Any) -> Any:
        return self._delegate.start_as_current_span(*args, **kwargs)


class IncomingContextTracerProvider(trace.TracerProvider):
    """The tracer provider handed to the upstream middleware (otelkit's switchable one
    underneath, so ``configure()`` and ``testing.capture()`` see its spans)."""

    def get_tracer(
        self,
        instrumenting_module_name: str,
        instrumenting_library_version: str | None = None,
        schema_url: str | None = None,
        attributes: Any = None,
    ) -> trace.Tracer:
        return _IncomingContextTracer(
            _switch.TRACER_PROVIDER.get_tracer(
                instrumenting_module_name, instrumenting_library_version, schema_url, attributes
            )
        )


def _glob(pattern: str) -> re.Pattern[str]:
    """``/api/v1/jobs/{id}`` or ``/api/*/jobs/*``: ``*`` and ``{name}`` match one path
    segment, ``**`` any number of them."""
    out: list[str] = []
    for part in re.split(r"(\*\*|\*|\?|\{[^{}/]*\})", pattern):
        if part == "**":
            out.append(".*")
        elif part == "*" or _PLACEHOLDER.fullmatch(part):
            out.append("[^/]+" if part != "*" else "[^/]*")
        elif part == "?":
            out.append("[^/]")
        else:
            out.append(re.escape(part))
    return re.compile("".join(out))


def _compile(pattern: QuietPattern) -> tuple[str | None, re.Pattern[str]]:
    if isinstance(pattern, re.Pattern):
        return None, pattern
    if not isinstance(pattern, str) or not pattern.strip():
        raise ValueError(f"quiet path pattern must be a str or re.Pattern, got {pattern!r}")
    method, _, path = pattern.strip().rpartition(" ")
    return (method.upper() or None), _glob(path)


class RequestLog:
    """Per-middleware settings and the request log lines.

    Args:
        quiet: requests that write no log lines (their spans are still made, so a
            collector filter decides about those). Each is a glob string, optionally
            preceded by a method (``"GET /api/v1/jobs/{id}"``), or a compiled regex matched
            against the whole path (any method).
        log_requests: False turns the request log lines off entirely.
        response_header: the header that echoes the correlation ID; None to not send it.
    """

    def __init__(
        self,
        quiet: Iterable[QuietPattern] = DEFAULT_QUIET_PATHS,
        *,
        log_requests: bool = True,
        response_header: str | None = RESPONSE_HEADER,
    ) -> None:
        if isinstance(quiet, (str, re.Pattern)):
            quiet = (quiet,)
        self._quiet = tuple(_compile(p) for p in quiet)
        self.log_requests = log_requests
        self.response_header = response_header

    def is_quiet(self, method: str, path: str) -> bool:
        """Whether the request ``method path`` writes no log lines."""
        for only, regex in self._quiet:
            if (only is None or only == method) and regex.fullmatch(path):
                return True
        return False

    def begin(
        self, method: str, path: str, client_ip: str | None, request_size: int | None = None
    ) -> Request:
        """A request with its telemetry; it logs unless it is quiet or logging is off."""
        logs = self.log_requests and not self.is_quiet(method, path)
        return Request(
            method, path, client_ip, logs=logs, warns=self.log_requests, request_size=request_size
        )


def header_map(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Lowercase header name -> value; repeated headers joined with ``,`` as HTTP allows."""
    headers: dict[str, str] = {}
    for name, value in pairs:
        key = name.lower()
        headers[key] = f"{headers[key]},{value}" if key in headers else value
    return headers


def client_ip(headers: Mapping[str, str], peer: str | None) -> str | None:
    """The caller's address: the rightmost ``X-Forwarded-For`` hop that no trusted proxy
    (``trusted_proxies``) added, else the socket peer. The hops left of it are whatever
    the client sent, so the first hop is never believed."""
    return policy().proxies.client(peer, headers.get("x-forwarded-for"))


#: A correlation ID taken from a request header: letters, digits and ``._:/+=@-``, at most
#: 128 characters (UUIDs, ULIDs, ``req-…``, X-Ray IDs). Anything else is replaced: it is
#: echoed to the caller and written on every line, so markup or spaces never are.
SAFE_CORRELATION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/+=@-]{0,127}")


def safe_correlation_id(value: object) -> str | None:
    """``value`` when it is a correlation ID safe to bind and to echo in a response header
    (``SAFE_CORRELATION_ID``, not secret-looking), else None."""
    if not isinstance(value, str) or SAFE_CORRELATION_ID.fullmatch(value) is None:
        return None
    try:
        return validate_ids({"correlation_id": value})["correlation_id"]
    except ValueError:
        return None  # it looks like a secret: never bound or echoed


def _correlation_id(headers: Mapping[str, str], context: Context, trusted: bool) -> str:
    for name in CORRELATION_HEADERS:
        value = headers.get(name, "").strip()
        if value:
            if not trusted and policy().reissue_untrusted_ids:
                break  # no untrusted caller joins another request's correlation ID
            return safe_correlation_id(value) or str(uuid.uuid4())
    # From a trusted caller's baggage, checked the same way: ``correlation_id=%E2%82%AC``
    # ("€") cannot be encoded in a header, and made every request fail.
    return safe_correlation_id(current_ids(context).get("correlation_id")) or str(uuid.uuid4())


def header_value(value: str) -> str | None:
    """``value`` as a response header may carry it (visible ASCII and spaces), or None:
    a header otelkit adds is left out rather than break the response."""
    return value if value.isascii() and value.isprintable() else None


def incoming_context(headers: Mapping[str, str], peer: str | None) -> tuple[Context, str]:
    """The request's context (remote parent, baggage IDs) plus its correlation ID.

    Args:
        headers: the request headers, names lower-cased.
        peer: the socket peer's address (None when the platform does not say); with
            ``X-Forwarded-For`` it decides whether the caller is trusted (``_trust``).
            An untrusted caller's trace context and baggage are not used.
    """
    trusted = policy().trust.trusts(peer, headers.get("x-forwarded-for"))
    context = extract(headers, trusted=trusted, lowercased=True)
    correlation_id = _correlation_id(headers, context, trusted)
    return context_with_ids({"correlation_id": correlation_id}, context), correlation_id


def set_incoming(context: Context | None) -> Any:
    """Announce the context of the request about to start; returns a reset token."""
    return _incoming.set(context)


def reset_incoming(token: Any) -> None:
    """Undo ``set_incoming``."""
    _incoming.reset(token)


def request_context(incoming: Context) -> Context:
    """``incoming`` with the current (server) span and a log buffer: what the application
    runs in."""
    return _log_buffer.scoped(trace.set_span_in_context(trace.get_current_span(), incoming))
