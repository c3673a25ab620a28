"""The one span processor otelkit puts in front of the exporting processors that take
spans as they end (the console tree, ``capture()``): redaction, then those processors.
(The bound IDs are stamped before, by the sampler: ``sampling``; the OTLP outbox takes
spans as they are and its export redacts them: ``redaction``.)

One processor rather than a redacting wrapper per exporter: the SDK calls every
processor of a provider at every span's start, ending and end, so each extra one cost
every span a few calls (a tenth of an SQS record's processing), and a span sent to two
exporters was redacted twice.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor

from otelkit._core.pipeline import current
from otelkit._sdk.redaction import checked


class SpanProcessing(SpanProcessor):
    """Hands ``exporting`` only redacted spans when they end."""

    def __init__(self, exporting: Sequence[SpanProcessor] = ()) -> None:
        self._exporting = tuple(exporting)
        # Most exporting processors act only at the end: the others are called at start.
        self._starting = _overriding(self._exporting, "on_start")
        self._ending = _overriding(self._exporting, "_on_ending")

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        for processor in self._starting:
            processor.on_start(span, parent_context)

    def _on_ending(self, span: Span) -> None:
        for processor in self._ending:
            processor._on_ending(span)

    def on_end(self, span: ReadableSpan) -> None:
        if not self._exporting:
            return
        redaction = current().redaction
        if redaction.enabled:
            redacted = checked(span, redaction)
            if redacted is None:  # never export what could not be checked
                return
            span = redacted
        for processor in self._exporting:
            processor.on_end(span)

    def shutdown(self) -> None:
        for processor in self._exporting:
            processor.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        """Flush each exporting processor in turn within one deadline, as the SDK does."""
        deadline = time.monotonic() + timeout_millis / 1000.0
        flushed = True
        for processor in self._exporting:
            left_ms = int((deadline - time.monotonic()) * 1000)
            if left_ms <= 0:
                return False
            flushed = processor.force_flush(left_ms) and flushed
        return flushed


def _overriding(processors: tuple[SpanProcessor, ...], hook: str) -> tuple[SpanProcessor, ...]:
    base = getattr(SpanProcessor, hook, None)
    return tuple(p for p in processors if getattr(type(p), hook, None) is not base)
