"""What redaction costs per call: a log line and a span, with the whole policy (names and
value patterns), with field names only, and with redaction off.

Every pair runs the same otelkit path; only redaction differs, so the difference of the
two per-call times is the cost of redaction. The log line carries a URL and a message of
typical length; the span three attributes plus an ``http.url``, as a client span has. The
span rows measure the path where redaction runs as the span ends (``capture()``, the
console tree); spans leaving over OTLP are redacted in the exporting thread, and the last
row sets that cost next to encoding the same spans.
"""

from __future__ import annotations

import io
import logging
import sys
from collections.abc import Callable

from _pipelines import IDS, BoundIds, activate, pipeline
from harness import Pair
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

import otelkit
from otelkit._core import pipeline as _pipeline
from otelkit._logs import handler as _logging
from otelkit._redaction import scrub as _scrub
from otelkit._sdk.redaction import redact_batch
from otelkit._values.log_formats import render_json

_URL = "https://media.example.com/api/v1/videos/job-8f14e45f/scenes/3?page=2&size=20"
_SPAN_ATTRIBUTES: dict[str, str | int] = {**IDS, "scene": 3, "stage": "render"}


def _names_only(call: Callable[[], None]) -> Callable[[], None]:
    """``call`` with the value patterns switched off for its duration: names only."""
    full = _scrub._redact_text

    def names_only() -> None:
        _scrub._redact_text = _unchanged
        try:
            call()
        finally:
            _scrub._redact_text = full

    return names_only


def _unchanged(text: str) -> str:
    return text


def _scrub_off(on: _pipeline.Pipeline, call: Callable[[], None]) -> Callable[[], None]:
    """``call`` with the pipeline's ``scrub`` flag off for its duration (a field write, so
    switching costs next to nothing next to the call)."""

    def without_redaction() -> None:
        object.__setattr__(on, "scrub", False)
        try:
            call()
        finally:
            object.__setattr__(on, "scrub", True)

    return without_redaction


def _log_pairs() -> list[Pair]:
    sink = io.StringIO()
    on = pipeline(render=render_json)
    log = otelkit.get_logger("bench.redaction")
    real_stdout = sys.stdout

    def line() -> None:
        log.info("Scene rendered for the current job", scene=3, video_url=_URL)
        sink.seek(0)
        sink.truncate()

    def install() -> None:
        _logging.install(logging.INFO)
        activate(on)
        sys.stdout = sink

    def pair(name: str, ours: Callable[[], None]) -> Pair:
        ids = BoundIds(install)

        def teardown() -> None:
            ids.teardown()
            sys.stdout = real_stdout

        return Pair(
            name,
            ours,
            "same line, redaction off",
            _scrub_off(on, line),
            anchor="otelkit",
            setup=ids.setup,
            teardown=teardown,
        )

    return [
        pair("log line -> JSON, whole redaction policy", line),
        pair("log line -> JSON, field names only", _names_only(line)),
    ]


def _span_pairs() -> list[Pair]:
    exporter = InMemorySpanExporter()
    on = pipeline(span_processors=[SimpleSpanProcessor(exporter)])

    def span() -> None:
        with otelkit.span("GET /scenes", kind="client", scene=3, stage="render") as current:
            current.set_attribute("http.url", _URL)
        if len(exporter._finished_spans) > 10_000:
            exporter.clear()

    def pair(name: str, ours: Callable[[], None]) -> Pair:
        ids = BoundIds(lambda: activate(on))
        return Pair(
            name,
            ours,
            "same span, redaction off",
            _scrub_off(on, span),
            anchor="otelkit",
            setup=ids.setup,
            teardown=ids.teardown,
        )

    return [
        pair("span, capture/console path, whole policy", span),
        pair("span, capture/console path, names only", _names_only(span)),
    ]


def _export_pair() -> Pair:
    """Over OTLP, spans are redacted by the export, in the exporting thread: what that
    adds next to what the export does to the same spans anyway (encode them)."""
    tracer = TracerProvider(resource=Resource.create({"service.name": "bench"})).get_tracer("b")
    spans: list[ReadableSpan] = []
    for _ in range(100):
        current = tracer.start_span(
            "GET /scenes", kind=SpanKind.CLIENT, attributes=_SPAN_ATTRIBUTES
        )
        current.set_attribute("http.url", _URL)
        current.end()
        assert isinstance(current, ReadableSpan)  # the SDK's span, as the export sees it
        spans.append(current)
    return Pair(
        "100 spans redacted for export (export thread)",
        lambda: redact_batch(spans),
        "the same spans OTLP-encoded",
        lambda: encode_spans(spans),
        anchor="OTel SDK",
        setup=lambda: activate(pipeline()),
    )


def pairs() -> list[Pair]:
    return [*_log_pairs(), *_span_pairs(), _export_pair()]
