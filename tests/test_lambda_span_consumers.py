"""An invocation span nothing consumes (EMF-only, lines only) is built without its
FaaS attributes; a processor added at any time gets them again, and the lines keep
their trace IDs either way."""

from __future__ import annotations

import json
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import otelkit
from otelkit._core import pipeline as _pipeline
from otelkit._tracing.spans import spans_leave
from otelkit.aws import _lambda_lifecycle
from tests.support.lambda_context import FakeContext

API_EVENT: dict[str, Any] = {
    "version": "2.0",
    "rawPath": "/orders",
    "headers": {"x-correlation-id": "corr-42"},
    "requestContext": {"http": {"method": "GET", "path": "/orders"}, "requestId": "api-1"},
}


@otelkit.aws.lambda_handler
def handler(event: Any, context: Any) -> dict[str, Any]:
    otelkit.get_logger("orders").info("order loaded")
    return {"statusCode": 200, "body": "ok"}


@pytest.fixture(autouse=True)
def emf_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "video-worker")
    monkeypatch.setattr(_lambda_lifecycle, "_cold_start", False)
    otelkit.configure(
        emf_namespace="Shop", sample_rate=1.0, console=False, resource_detectors="none"
    )


def test_a_tracer_says_whether_its_spans_reach_a_processor() -> None:
    provider = TracerProvider()
    tracer = provider.get_tracer("t")
    assert spans_leave(tracer) is False
    provider.add_span_processor(SimpleSpanProcessor(InMemorySpanExporter()))
    assert spans_leave(tracer) is True  # the same tracer: asked at each span
    assert spans_leave(trace.NoOpTracer()) is True  # cannot tell: attributes are built


def test_a_processor_added_after_configure_gets_the_invocation_spans_attributes() -> None:
    exporter = InMemorySpanExporter()
    provider = _pipeline.current().tracer_provider
    assert isinstance(provider, TracerProvider)
    handler(API_EVENT, FakeContext(aws_request_id="before"))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    handler(API_EVENT, FakeContext(aws_request_id="after"))
    (span,) = exporter.get_finished_spans()
    assert span.attributes is not None
    assert span.attributes["faas.invocation_id"] == "after"
    assert span.attributes["http.request.method"] == "GET"


def test_lines_of_an_emf_only_invocation_keep_their_trace_ids(
    capsys: pytest.CaptureFixture[str],
) -> None:
    handler(API_EVENT, FakeContext(aws_request_id="r-7"))
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    (line,) = [line for line in lines if line.get("message") == "order loaded"]
    assert len(line["trace_id"]) == 32, line
    assert len(line["span_id"]) == 16, line
    assert (line["function_request_id"], line["correlation_id"]) == ("r-7", "corr-42")
