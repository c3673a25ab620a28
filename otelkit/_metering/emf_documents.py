"""CloudWatch Embedded Metric Format (EMF) documents, one JSON line each, on stdout.

Where no collector runs (a Lambda function without the ADOT layer, a batch job), stdout
is still collected by CloudWatch Logs, and CloudWatch turns EMF documents found there into
metrics with no API call. Each flush writes one document per dimension set, holding every
metric recorded with exactly those dimensions since the last flush, at most 100 a document.

Dimensions are the metric's own attributes plus ``service``; bound IDs are never among
them. Histograms are written as statistic sets (``{"Min", "Max", "Sum", "Count"}``, the
shape the ADOT collector's ``awsemf`` exporter writes for histograms; a single
observation as its plain value, which CloudWatch reads the same): one object per
series per flush whatever the number of observations, exact min/max/sum/count, and no
percentiles (the other shape, ``Values``/``Counts`` arrays, gives CloudWatch percentiles
but costs up to 100 values per series and more per document; otelkit's spans carry the
durations for latency percentiles).
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any

from otelkit._core import drops as _drops
from otelkit._metering.emf_rules import MAX_DIMENSIONS, MAX_METRICS_PER_DOCUMENT

Dimensions = tuple[tuple[str, str], ...]
#: One instrument's points since the last flush: a number or a statistic set per series.
Points = dict[Dimensions, Any]

# OpenTelemetry (UCUM) units to CloudWatch's unit names.
_UNITS = {
    "1": "Count",
    "": "None",
    "ms": "Milliseconds",
    "s": "Seconds",
    "us": "Microseconds",
    "By": "Bytes",
    "KiBy": "Kilobytes",
    "MiBy": "Megabytes",
    "GiBy": "Gigabytes",
    "bit": "Bits",
    "%": "Percent",
    "By/s": "Bytes/Second",
    "{request}": "Count",
}
# CloudWatch refuses values past +-2**360 (and non-finite ones, which never get here).
_LARGEST = 2.0**360
# ``json.dumps`` with any option builds an encoder per call: one, kept, is the same bytes.
_encode = json.JSONEncoder(separators=(",", ":")).encode


def cloudwatch_unit(unit: str) -> str:
    """The CloudWatch unit for an OpenTelemetry unit; ``None`` when there is no match."""
    if unit in _UNITS:
        return _UNITS[unit]
    return "Count" if unit.startswith("{") and unit.endswith("}") else "None"


class DocumentWriter:
    """Renders points as EMF documents and writes them, one line each.

    Args:
        namespace: the CloudWatch namespace (already checked by the settings).
        service: the ``service`` dimension of every metric.
        storage_resolution: 1 marks every metric high-resolution; 60 is the default and
            is left out of the documents.
        write: where lines go; ``sys.stdout.write`` (looked up at each flush) when None.
        stage: the ``Stage`` dimension of every metric (``emf_stage_dimension``); None:
            no such dimension.
    """

    def __init__(
        self,
        namespace: str,
        service: str,
        storage_resolution: int = 60,
        write: Callable[[str], Any] | None = None,
        stage: str | None = None,
    ) -> None:
        self._namespace = namespace
        self._service = service
        self._own: dict[str, str] = {"service": service}
        if stage is not None:
            self._own["Stage"] = stage
        self._write = write
        self._high_resolution = storage_resolution == 1
        self._definitions: dict[tuple[str, str], dict[str, Any]] = {}
        self._warned: set[str] = set()

    def write(self, metrics: Iterable[tuple[str, str, Points]]) -> None:
        """Write one document per dimension set of ``metrics`` (name, unit, points)."""
        grouped: dict[Dimensions, dict[str, Any]] = {}
        definitions: dict[Dimensions, list[dict[str, Any]]] = {}
        for name, unit, points in metrics:
            definition = self._definition(name, unit)
            for dimensions, value in points.items():
                if not _in_range(value):
                    _drops.add("metrics", "EMF value out of CloudWatch's range")
                    continue
                values = grouped.get(dimensions)
                if values is None:
                    values = grouped[dimensions] = {}
                    definitions[dimensions] = []
                if name not in values:
                    definitions[dimensions].append(definition)
                values[name] = value
        if not grouped:
            return
        write = self._write or sys.stdout.write  # looked up late: tests swap stdout
        timestamp = time.time_ns() // 1_000_000
        for dimensions, values in grouped.items():
            for line in self._lines(timestamp, dimensions, values, definitions[dimensions]):
                write(line)

    def _definition(self, name: str, unit: str) -> dict[str, Any]:
        found = self._definitions.get((name, unit))
        if found is None:
            found = {"Name": name, "Unit": cloudwatch_unit(unit)}
            if self._high_resolution:
                found["StorageResolution"] = 1
            self._definitions[(name, unit)] = found
        return found

    def _lines(
        self,
        timestamp: int,
        dimensions: Dimensions,
        values: dict[str, Any],
        definitions: list[dict[str, Any]],
    ) -> Iterable[str]:
        properties = {**self._own, **dict(dimensions)}
        names = sorted(properties)
        if len(names) > MAX_DIMENSIONS:
            self._too_many_dimensions(definitions[0]["Name"], len(names))
            # CloudWatch takes the first 30 (sorted) as the metric's dimensions; the rest
            # stay fields of the document, which is one per full dimension set: no two
            # series are ever merged.
            names = names[:MAX_DIMENSIONS]
        for definition in definitions:
            if definition["Name"] in properties:  # one JSON key cannot hold both
                _drops.add("metrics", "EMF metric named like a dimension")
        kept = [d for d in definitions if d["Name"] not in properties]
        for start in range(0, len(kept), MAX_METRICS_PER_DOCUMENT):
            chunk = kept[start : start + MAX_METRICS_PER_DOCUMENT]
            document: dict[str, Any] = {
                "_aws": {
                    "Timestamp": timestamp,
                    "CloudWatchMetrics": [
                        {"Namespace": self._namespace, "Dimensions": [names], "Metrics": chunk}
                    ],
                },
                **properties,
            }
            for definition in chunk:
                document[definition["Name"]] = values[definition["Name"]]
            yield _encode(document) + "\n"

    def _too_many_dimensions(self, name: str, count: int) -> None:
        """Say once per metric that CloudWatch cannot take all its dimensions."""
        if name not in self._warned:
            self._warned.add(name)
            logging.getLogger("otelkit.emf").warning(
                "metric %s has %d dimensions; EMF allows %d: the first %d (sorted) are its "
                "dimensions, the rest are fields of its documents",
                name,
                count,
                MAX_DIMENSIONS,
                MAX_DIMENSIONS,
            )


def _in_range(value: Any) -> bool:
    if isinstance(value, dict):  # a statistic set: its sum is the largest in magnitude
        return bool(-_LARGEST <= value["Sum"] <= _LARGEST)
    return bool(-_LARGEST <= value <= _LARGEST)
