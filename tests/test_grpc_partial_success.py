"""OTLP over gRPC: a collector's partial success is read too. A real gRPC server on
loopback answers each export rejecting half of its items."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent import futures
from contextlib import contextmanager
from typing import Any

import pytest

import otelkit
from otelkit._core import drops as _drops

grpc = pytest.importorskip("grpc")

from opentelemetry.proto.collector.logs.v1 import (  # noqa: E402
    logs_service_pb2,
    logs_service_pb2_grpc,
)
from opentelemetry.proto.collector.metrics.v1 import (  # noqa: E402
    metrics_service_pb2,
    metrics_service_pb2_grpc,
)
from opentelemetry.proto.collector.trace.v1 import (  # noqa: E402
    trace_service_pb2,
    trace_service_pb2_grpc,
)

MESSAGE = "over the tenant's limit"


class _Traces(trace_service_pb2_grpc.TraceServiceServicer):
    def __init__(self) -> None:
        self.accepted = 0

    def Export(self, request: Any, context: Any) -> Any:
        spans = sum(len(ss.spans) for rs in request.resource_spans for ss in rs.scope_spans)
        self.accepted += spans - spans // 2
        answer = trace_service_pb2.ExportTraceServiceResponse()
        answer.partial_success.rejected_spans = spans // 2
        answer.partial_success.error_message = MESSAGE
        return answer


class _Logs(logs_service_pb2_grpc.LogsServiceServicer):
    def Export(self, request: Any, context: Any) -> Any:
        records = sum(len(sl.log_records) for rl in request.resource_logs for sl in rl.scope_logs)
        answer = logs_service_pb2.ExportLogsServiceResponse()
        answer.partial_success.rejected_log_records = records // 2
        answer.partial_success.error_message = MESSAGE
        return answer


class _Metrics(metrics_service_pb2_grpc.MetricsServiceServicer):
    def Export(self, request: Any, context: Any) -> Any:
        answer = metrics_service_pb2.ExportMetricsServiceResponse()
        answer.partial_success.rejected_data_points = 1
        answer.partial_success.error_message = MESSAGE
        return answer


@contextmanager
def _grpc_receiver() -> Iterator[tuple[str, _Traces]]:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    traces = _Traces()
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(traces, server)  # type: ignore[no-untyped-call]
    logs_service_pb2_grpc.add_LogsServiceServicer_to_server(_Logs(), server)  # type: ignore[no-untyped-call]
    metrics_service_pb2_grpc.add_MetricsServiceServicer_to_server(_Metrics(), server)  # type: ignore[no-untyped-call]
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield f"http://127.0.0.1:{port}", traces
    finally:
        server.stop(grace=None)


def test_grpc_partial_success_is_counted_for_every_signal(
    capsys: pytest.CaptureFixture[str],
) -> None:
    before = _drops.snapshot()
    with _grpc_receiver() as (endpoint, traces):
        otelkit.configure(endpoint=endpoint, protocol="grpc", log_stdout=False, console=False)
        for n in range(10):
            with otelkit.span("work", n=n):
                otelkit.get_logger("grpc").info("working")
        otelkit.count("Work")
        assert otelkit.flush(10.0) is False
        otelkit.shutdown(5.0)
    rejected = {
        signal: n - before.get((signal, reason), 0)
        for (signal, reason), n in _drops.snapshot().items()
        if reason == "rejected"
    }
    assert rejected["spans"] == 5
    assert rejected["logs"] == 5
    assert rejected["metrics"] >= 1
    assert traces.accepted == 5
    assert f"5 spans (rejected: {MESSAGE})" in capsys.readouterr().err
