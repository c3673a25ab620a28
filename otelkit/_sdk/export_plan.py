"""Where each signal goes, from the settings: the OpenTelemetry SDK specification's rules.

Per signal, ``OTEL_<SIGNAL>_EXPORTER`` picks the exporters (unset: otelkit's default, OTLP
when there is an endpoint and the console otherwise); a signal's own endpoint wins over
the shared one, which gets ``/v1/<signal>`` appended for OTLP/HTTP; each signal has its own
protocol and timeout. Headers and compression the SDK exporters read from the
``OTEL_EXPORTER_OTLP_*`` variables themselves.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, NamedTuple

from otelkit._config.settings import Settings

if TYPE_CHECKING:  # the metrics SDK loads only for an exporter that asks (not for EMF)
    from opentelemetry.sdk.metrics.export import AggregationTemporality
    from opentelemetry.sdk.metrics.view import Aggregation

SIGNALS = ("traces", "metrics", "logs")
#: The specification's default collector address when ``otlp`` is asked for without one.
DEFAULT_ENDPOINTS = {"http/protobuf": "http://localhost:4318", "grpc": "http://localhost:4317"}


class SignalPlan(NamedTuple):  # not a dataclass: defined at every cold start
    """What one signal is exported to.

    Attributes:
        url: the OTLP destination (the full URL for HTTP, the collector for gRPC), or None.
        protocol: ``http/protobuf`` or ``grpc``.
        timeout: seconds one export may take.
        console: printed for humans too (span trees, a metrics summary).
    """

    url: str | None
    protocol: str
    timeout: float
    console: bool


def plan(settings: Settings) -> dict[str, SignalPlan]:
    """Each signal's plan; under ``OTEL_SDK_DISABLED`` nothing goes anywhere."""
    return {signal: _signal(settings, signal) for signal in SIGNALS}


def _signal(settings: Settings, signal: str) -> SignalPlan:
    protocol: str = getattr(settings, f"{signal}_protocol")
    timeout: float = getattr(settings, f"{signal}_timeout")
    if settings.sdk_disabled:
        return SignalPlan(None, protocol, timeout, console=False)
    chosen: tuple[str, ...] | None = getattr(settings, f"{signal}_exporter")
    own: str | None = getattr(settings, f"{signal}_endpoint")
    shared = settings.endpoint
    otlp = "otlp" in chosen if chosen is not None else bool(own or shared)
    url = None
    if otlp:
        if own:
            url = own
        else:
            base = shared or DEFAULT_ENDPOINTS[protocol]
            url = base if protocol == "grpc" else f"{base}/v1/{signal}"
    console = "console" in chosen if chosen is not None else settings.console
    return SignalPlan(url, protocol, timeout, console=console and signal != "logs")


@functools.cache
def _preferences() -> dict[str, dict[type, AggregationTemporality]]:
    """``OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE``: the specification's tables."""
    from opentelemetry.sdk.metrics import (
        Counter,
        Histogram,
        ObservableCounter,
        ObservableGauge,
        ObservableUpDownCounter,
        UpDownCounter,
        _Gauge,
    )
    from opentelemetry.sdk.metrics.export import AggregationTemporality

    cumulative, delta = AggregationTemporality.CUMULATIVE, AggregationTemporality.DELTA
    every = (
        Counter,
        UpDownCounter,
        Histogram,
        _Gauge,
        ObservableCounter,
        ObservableUpDownCounter,
        ObservableGauge,
    )
    return {
        "cumulative": dict.fromkeys(every, cumulative),
        "delta": {
            **dict.fromkeys(every, cumulative),
            Counter: delta,
            ObservableCounter: delta,
            Histogram: delta,
        },
        "lowmemory": {
            **dict.fromkeys(every, cumulative),
            Counter: delta,
            Histogram: delta,
        },
    }


def temporality(preference: str | None) -> dict[type, AggregationTemporality] | None:
    """The exporter's temporality for the parsed preference; None leaves otelkit's default."""
    if preference is None:
        return None
    return dict(_preferences()[preference])


HISTOGRAM_AGGREGATION = "OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION"


def histogram_aggregation(environ: Mapping[str, str] = os.environ) -> dict[type, Aggregation]:
    """``OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION``, read as the SDK's OTLP
    exporters read it: ``base2_exponential_bucket_histogram`` or, by default and for any
    other value (with a warning), explicit buckets."""
    from opentelemetry.sdk.metrics import Histogram
    from opentelemetry.sdk.metrics.view import (
        ExplicitBucketHistogramAggregation,
        ExponentialBucketHistogramAggregation,
    )

    chosen = environ.get(HISTOGRAM_AGGREGATION, "explicit_bucket_histogram")
    if chosen == "base2_exponential_bucket_histogram":
        return {Histogram: ExponentialBucketHistogramAggregation()}
    if chosen != "explicit_bucket_histogram":
        logging.getLogger(__name__).warning(
            "invalid %s %r: explicit bucket histograms are used", HISTOGRAM_AGGREGATION, chosen
        )
    return {Histogram: ExplicitBucketHistogramAggregation()}
