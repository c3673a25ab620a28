"""OTLP over gRPC: the SDK's exporters, with each answer's partial success read.

The SDK's gRPC exporters call ``Export`` on their stub and drop the answer, so items a
collector rejected in a partial success counted as delivered. Each exporter here wraps
its stub (also when the SDK makes a new one after an UNAVAILABLE answer) to keep the
answer's ``partial_success`` for the thread that exported; ``export`` then returns an
``Outcome`` with the rejected items, which the outbox counts as for OTLP/HTTP.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from otelkit._sdk.collector_link import Outcome
from otelkit._sdk.otlp_http import printable

_answer = threading.local()

#: The rejected-items field of each signal's partial success.
REJECTED_FIELDS = ("rejected_spans", "rejected_log_records", "rejected_data_points")


class _ReadingStub:
    """A gRPC stub whose ``Export`` keeps its answer's partial success for this thread."""

    def __init__(self, stub: Any) -> None:
        self._stub = stub

    def Export(self, *args: Any, **kwargs: Any) -> Any:  # noqa: N802 - the gRPC method name
        response = self._stub.Export(*args, **kwargs)
        part = getattr(response, "partial_success", None)
        rejected = max((int(getattr(part, name, 0) or 0) for name in REJECTED_FIELDS), default=0)
        _answer.rejected = rejected
        _answer.message = str(getattr(part, "error_message", "") or "")
        return response

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stub, name)


def take_rejected() -> tuple[int, str]:
    """Items the last gRPC answer in this thread rejected, and the collector's message;
    forgotten once taken."""
    rejected, message = getattr(_answer, "rejected", 0), getattr(_answer, "message", "")
    _answer.rejected, _answer.message = 0, ""
    return rejected, printable(message)


def reading_answers(exporter_class: type) -> type:
    """A subclass of an SDK gRPC exporter whose stub keeps each answer (see the module)."""

    def get_client(self: Any) -> Any:
        return self.__dict__.get("_otelkit_client")

    def set_client(self: Any, stub: Any) -> None:
        self.__dict__["_otelkit_client"] = None if stub is None else _ReadingStub(stub)

    return type(
        f"Reading{exporter_class.__name__}",
        (exporter_class,),
        {"_client": property(get_client, set_client)},
    )


class GrpcOutcomes:
    """An SDK gRPC span or log exporter whose ``export`` says what became of the batch."""

    def __init__(self, exporter: Any) -> None:
        self._exporter = exporter

    def export(self, batch: Sequence[Any]) -> Outcome:
        take_rejected()
        result = self._exporter.export(batch)
        if getattr(result, "name", None) != "SUCCESS":
            return Outcome(dropped="export failed")
        rejected, message = take_rejected()
        return Outcome(rejected=min(rejected, len(batch)), message=message)

    def shutdown(self) -> None:
        self._exporter.shutdown()
