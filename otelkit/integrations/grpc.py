"""gRPC: a client span per call on channels opened after ``configure()`` and a server span
per call on servers created after it, ``grpc.aio`` included, carrying the bound IDs
(OpenTelemetry's gRPC instrumentation). Calls to internal hosts also carry the public
bound IDs in ``baggage`` metadata, as HTTP requests do, so the server's spans carry the
caller's IDs.

Needs the ``grpc`` extra: ``pip install 'otelkit[grpc]'``.
"""

from __future__ import annotations

from typing import Any

try:
    from opentelemetry.instrumentation.grpc import (
        GrpcAioInstrumentorClient,
        GrpcAioInstrumentorServer,
        GrpcInstrumentorClient,
        GrpcInstrumentorServer,
    )
    from opentelemetry.instrumentation.utils import unwrap
except ImportError as exc:  # pragma: no cover - exercised by the missing-extra test
    raise ImportError(
        "the grpc integration needs opentelemetry-instrumentation-grpc: pip install 'otelkit[grpc]'"
    ) from exc

import grpc  # type: ignore[import-untyped]
from wrapt import wrap_function_wrapper

from otelkit._correlation.propagation import deciding_for

_CHANNELS = ("insecure_channel", "secure_channel")


def target_host(target: str) -> str:
    """The host of a gRPC channel target: ``host:port``, ``[v6]:port``,
    ``dns:///host:port`` or ``dns://authority/host:port``; "" for ``unix:`` sockets."""
    if target.startswith(("unix:", "unix-abstract:")):
        return ""
    if target.startswith("dns:"):
        target = target[4:].lstrip("/")
        target = target.split("/", 1)[1] if "/" in target else target
    if target.startswith("["):
        return target[1 : target.find("]")] if "]" in target else target
    return target.rsplit(":", 1)[0] if target.count(":") == 1 else target


class _Destination(
    grpc.UnaryUnaryClientInterceptor,  # type: ignore[misc]
    grpc.UnaryStreamClientInterceptor,  # type: ignore[misc]
    grpc.StreamUnaryClientInterceptor,  # type: ignore[misc]
    grpc.StreamStreamClientInterceptor,  # type: ignore[misc]
):
    """Decides, for each call, whether the IDs go to the channel's host; runs before the
    tracing interceptor, which then injects the metadata."""

    def __init__(self, host: str) -> None:
        self._host = host

    def _call(self, continuation: Any, details: Any, request: Any) -> Any:
        with deciding_for(self._host):
            return continuation(details, request)

    intercept_unary_unary = _call
    intercept_unary_stream = _call
    intercept_stream_unary = _call
    intercept_stream_stream = _call


class _AioDestination:
    """``_Destination`` for ``grpc.aio`` channels, which take one interceptor per kind."""

    def __init__(self, host: str) -> None:
        self._host = host

    async def _call(self, continuation: Any, details: Any, request: Any) -> Any:
        with deciding_for(self._host):
            return await continuation(details, request)


_AIO_KINDS = {
    f"intercept_{name}": type(
        f"_Aio{kind.__name__}",
        (_AioDestination, kind),
        {f"intercept_{name}": _AioDestination._call},
    )
    for name, kind in (
        ("unary_unary", grpc.aio.UnaryUnaryClientInterceptor),
        ("unary_stream", grpc.aio.UnaryStreamClientInterceptor),
        ("stream_unary", grpc.aio.StreamUnaryClientInterceptor),
        ("stream_stream", grpc.aio.StreamStreamClientInterceptor),
    )
}


def _aio_with_destination(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
    host = target_host(str(args[0] if args else kwargs.get("target", "")))
    # Before the tracing interceptors, which the instrumentation puts first in the list.
    ours = [kind(host) for kind in _AIO_KINDS.values()]
    kwargs["interceptors"] = [*ours, *(kwargs.get("interceptors") or ())]
    return wrapped(*args, **kwargs)


def _with_destination(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
    channel = wrapped(*args, **kwargs)
    target = args[0] if args else kwargs.get("target", "")
    return grpc.intercept_channel(channel, _Destination(target_host(str(target))))


def instrument(tracer_provider: Any, meter_provider: Any) -> None:
    """Instrument gRPC clients and servers once per process."""
    client = GrpcInstrumentorClient()  # type: ignore[no-untyped-call]
    if not client.is_instrumented_by_opentelemetry:
        client.instrument(tracer_provider=tracer_provider)
        for name in _CHANNELS:  # outside the tracing interceptor: it runs first
            wrap_function_wrapper("grpc", name, _with_destination)
    server = GrpcInstrumentorServer()  # type: ignore[no-untyped-call]
    if not server.is_instrumented_by_opentelemetry:
        server.instrument(tracer_provider=tracer_provider)
    aio_client = GrpcAioInstrumentorClient()  # type: ignore[no-untyped-call]
    if not aio_client.is_instrumented_by_opentelemetry:
        # Under the instrumentation's own wrapper, which adds its interceptors in front.
        for name in _CHANNELS:
            wrap_function_wrapper("grpc.aio", name, _aio_with_destination)
        aio_client.instrument(tracer_provider=tracer_provider)
    aio_server = GrpcAioInstrumentorServer()  # type: ignore[no-untyped-call]
    if not aio_server.is_instrumented_by_opentelemetry:
        aio_server.instrument(tracer_provider=tracer_provider)


def uninstrument() -> None:
    """Undo ``instrument``."""
    client = GrpcInstrumentorClient()  # type: ignore[no-untyped-call]
    if client.is_instrumented_by_opentelemetry:
        for name in _CHANNELS:
            unwrap(grpc, name)
        client.uninstrument()
    GrpcInstrumentorServer().uninstrument()  # type: ignore[no-untyped-call]
    aio_client = GrpcAioInstrumentorClient()  # type: ignore[no-untyped-call]
    if aio_client.is_instrumented_by_opentelemetry:
        aio_client.uninstrument()
        for name in _CHANNELS:
            unwrap(grpc.aio, name)
    GrpcAioInstrumentorServer().uninstrument()  # type: ignore[no-untyped-call]
