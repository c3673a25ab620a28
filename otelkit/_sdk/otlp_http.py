"""OTLP/HTTP exporters of otelkit's own: encode a batch, post it, read the answer.

The SDK's exporters never read an answer's body, so a collector's partial success (a 200
whose body says how many items it refused, and why) went unnoticed: every refused item
counted as delivered. Here each 2xx answer's ``partial_success`` is read (protobuf, or
JSON when the collector answers JSON), and the refused items come back in the
``Outcome`` for the caller to count. Spans, log records and metric points are encoded by
otelkit's direct writers (``otlp_encoding``, ``otlp_metrics``: the SDK's bytes, over twice
as cheap; one bad string costs only its own characters).
"""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from google.protobuf.message import DecodeError, Message

from otelkit._sdk.collector_link import CollectorClient, Outcome
from otelkit._sdk.http_outcome import Answer

#: The longest collector message kept with a count of rejected items.
MAX_MESSAGE_CHARS = 300
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f]+")


@dataclass(frozen=True, slots=True)
class Signal:
    """One signal's OTLP shapes: how a batch is encoded and how its answer reads."""

    name: str  # spans, logs, metrics: the drop accounts' name
    encode: Callable[[Any], bytes]  # a batch as its ExportXServiceRequest's bytes
    answer: Callable[[], Message]
    rejected_field: str

    @property
    def json_rejected_field(self) -> str:
        head, *rest = self.rejected_field.split("_")
        return head + "".join(word.title() for word in rest)


def _answer(module: str, name: str) -> Callable[[], Message]:
    """What makes an empty answer message ``name`` of ``module``, imported by its first
    call: protobuf's generated modules are ~14 ms of a Lambda function's cold start, and
    an answer has a body to parse only when the collector refused something."""

    def empty() -> Message:
        kind: type[Message] = getattr(importlib.import_module(module), name)
        return kind()

    return empty


_SERVICES = "opentelemetry.proto.collector"


def spans_signal() -> Signal:
    from otelkit._sdk.otlp_encoding import encode_spans

    answer = _answer(f"{_SERVICES}.trace.v1.trace_service_pb2", "ExportTraceServiceResponse")
    return Signal("spans", encode_spans, answer, "rejected_spans")


def logs_signal() -> Signal:
    from otelkit._sdk.otlp_encoding import encode_logs

    answer = _answer(f"{_SERVICES}.logs.v1.logs_service_pb2", "ExportLogsServiceResponse")
    return Signal("logs", encode_logs, answer, "rejected_log_records")


def metrics_signal() -> Signal:
    from otelkit._sdk.otlp_metrics import encode_metrics

    answer = _answer(f"{_SERVICES}.metrics.v1.metrics_service_pb2", "ExportMetricsServiceResponse")
    return Signal("metrics", encode_metrics, answer, "rejected_data_points")


class OtlpHttpExporter:
    """Exports one signal's batches through ``client``; ``export`` says what became of them.

    Args:
        signal: the signal's shapes (``spans_signal()``…).
        client: the collector client for the signal's URL.
    """

    def __init__(self, signal: Signal, client: CollectorClient) -> None:
        self.signal = signal
        self.client = client

    def export(self, batch: Any, items: int | None = None) -> Outcome:
        """Encode and send ``batch`` (``items`` in it: ``len(batch)`` when not given)."""
        try:
            payload = self.signal.encode(batch)
        except Exception as exc:  # one unencodable value: the batch cannot leave
            return Outcome(dropped=f"unencodable batch ({type(exc).__name__})")
        outcome, answer = self.client.post(payload)
        if outcome.delivered and answer is not None and answer.body:
            total = len(batch) if items is None else items
            return partial_success(self.signal, answer, total)
        return outcome

    def shutdown(self) -> None:
        self.client.close()


def partial_success(signal: Signal, answer: Answer, items: int) -> Outcome:
    """The outcome of a 2xx ``answer`` to a batch of ``items``: delivered, or delivered
    less the items its ``partial_success`` rejected. An unreadable body rejects nothing:
    the collector said 2xx."""
    rejected, message = 0, ""
    if "json" in answer.headers.get("content-type", ""):
        try:
            found = json.loads(answer.body).get("partialSuccess") or {}
            rejected = int(found.get(signal.json_rejected_field, 0))
            message = str(found.get("errorMessage", ""))
        except (ValueError, TypeError, AttributeError):
            return Outcome()
    else:
        parsed = signal.answer()
        try:
            parsed.ParseFromString(answer.body)
        except (DecodeError, ValueError):
            return Outcome()
        part: Any = getattr(parsed, "partial_success", None)
        rejected = int(getattr(part, signal.rejected_field, 0))
        message = str(getattr(part, "error_message", ""))
    rejected = min(max(rejected, 0), items)
    if not rejected:
        return Outcome()
    return Outcome(rejected=rejected, message=printable(message))


def printable(message: str) -> str:
    """A collector's message as one short printable line."""
    text = _UNPRINTABLE.sub(" ", message).strip()
    return text if len(text) <= MAX_MESSAGE_CHARS else text[: MAX_MESSAGE_CHARS - 1] + "…"
