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
from dataclasses import replace

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
from otelkit._redaction.scrub import Redaction
from otelkit._sdk.redaction import redact_batch
from otelkit._values.log_formats import render_json

_URL = "https://media.example.com/api/v1/videos/job-8f14e45f/scenes/3?page=2&size=20"
_SPAN_ATTRIBUTES: dict[str, str | int] = {**IDS, "scene": 3, "stage": "render"}


#: The policies set against each other: names only (no value patterns), and off.
_NAMES_ONLY = Redaction(values=False)
_OFF = Redaction(enabled=False)


def _on(chosen: _pipeline.Pipeline, call: Callable[[], None]) -> Callable[[], None]:
    """``call`` with ``chosen`` the active pipeline: both sides of a pair switch to their
    own pipeline before every call (a module attribute store, the same cost on both)."""

    def with_chosen() -> None:
        _pipeline._active = chosen
        call()

    return with_chosen


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

    def pair(name: str, ours: _pipeline.Pipeline) -> Pair:
        ids = BoundIds(install)

        def teardown() -> None:
            ids.teardown()
            activate(on)
            sys.stdout = real_stdout

        return Pair(
            name,
            _on(ours, line),
            "same line, redaction off",
            _on(replace(on, redaction=_OFF), line),
            anchor="otelkit",
            setup=ids.setup,
            teardown=teardown,
        )

    return [
        pair("log line -> JSON, whole redaction policy", on),
        pair("log line -> JSON, field names only", replace(on, redaction=_NAMES_ONLY)),
    ]


def _span_pairs() -> list[Pair]:
    exporter = InMemorySpanExporter()
    on = pipeline(span_processors=[SimpleSpanProcessor(exporter)])

    def span() -> None:
        with otelkit.span("GET /scenes", kind="client", scene=3, stage="render") as current:
            current.set_attribute("http.url", _URL)
        if len(exporter._finished_spans) > 10_000:
            exporter.clear()

    def pair(name: str, ours: _pipeline.Pipeline) -> Pair:
        ids = BoundIds(lambda: activate(on))

        def teardown() -> None:
            ids.teardown()
            activate(on)

        return Pair(
            name,
            _on(ours, span),
            "same span, redaction off",
            _on(replace(on, redaction=_OFF), span),
            anchor="otelkit",
            setup=ids.setup,
            teardown=teardown,
        )

    return [
        pair("span, capture/console path, whole policy", on),
        pair("span, capture/console path, names only", replace(on, redaction=_NAMES_ONLY)),
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
