"""OTLP protobuf bytes for metric points, written directly: the span and log record
writer's (``otlp_encoding``) counterpart for sums, gauges and histograms.

The SDK's encoder builds a protobuf object per point, per attribute and per exemplar,
then serialises the tree. This writes the same wire bytes from the SDK's ``MetricsData``
field by field, in field-number order: defaults left out as proto3 leaves them out, the
fields with presence (a point's ``as_int``/``as_double``, a histogram's ``sum``, ``min``
and ``max``) written whenever the SDK sets them, even at zero. It keeps the SDK
encoder's quirks too: a metric with no points carries no data field, a gauge point no
start time, and a resource or scope repeated in one batch keeps its first place and its
last metrics. The tests hold it to ``opentelemetry-proto`` byte for byte.

Raises ValueError for what the wire cannot carry (an integer point past 64 bits, an
exemplar value that is not a number), where the SDK's encoder fails the batch too.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from typing import Any

from opentelemetry.sdk.metrics.export import (
    ExponentialHistogram,
    Gauge,
    Histogram,
    MetricsData,
    Sum,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.util.instrumentation import InstrumentationScope

from otelkit._sdk.otlp_encoding import (
    FIXED64,
    LENGTH_TAGS,
    attributes,
    field,
    key_values,
    optional_field,
    request,
    tag,
    text,
    uint,
    varint,
)

_pack_double = struct.Struct("<d").pack
_pack_fixed64 = struct.Struct("<Q").pack
_pack_sfixed64 = struct.Struct("<q").pack
# The 8-byte fields' tags, by field number (every message here numbers them below 16).
_FIXED64_TAGS = [tag(number, FIXED64) for number in range(16)]


def _fixed64(number: int, value: int) -> bytes:
    return _FIXED64_TAGS[number] + _pack_fixed64(value) if value else b""


def _double(number: int, value: float | None) -> bytes:
    """A double with presence: written whenever set, zero included."""
    return b"" if value is None else _FIXED64_TAGS[number] + _pack_double(value)


def _sfixed64(number: int, value: int) -> bytes:
    try:
        return _FIXED64_TAGS[number] + _pack_sfixed64(value)
    except struct.error:
        raise ValueError(f"{value} does not fit a 64-bit integer") from None


def _packed_fixed(number: int, kind: str, values: Sequence[float]) -> bytes:
    """A packed repeated fixed64 (``Q``) or double (``d``) field; absent when empty."""
    if not values:
        return b""
    return field(number, struct.pack(f"<{len(values)}{kind}", *values))


def _sint(number: int, value: int) -> bytes:
    return uint(number, value * 2 if value >= 0 else -value * 2 - 1)  # zigzag


Labels = Callable[[int, Any], bytes]


def _labels() -> Labels:
    """A batch's point attributes, each label set encoded once: a service's metrics
    repeat the same sets (a route and a status) metric after metric. A set holding a
    float is encoded each time (``0.0`` and ``-0.0`` are equal keys, not equal bytes);
    so is one holding a value that cannot be a key (a list)."""
    seen: dict[tuple[Any, ...], list[bytes]] = {}

    def encoded(number: int, values: Any) -> bytes:
        if not values:
            return b""
        key = tuple([(k, v.__class__, v) for k, v in values.items()])
        try:
            pairs = seen.get(key)
        except TypeError:  # an unhashable value
            return attributes(number, values)
        if pairs is None:
            pairs = key_values(values)
            if not any(kind is float for _, kind, _ in key):
                seen[key] = pairs
        length_tag = LENGTH_TAGS[number]
        return b"".join([length_tag + pair for pair in pairs])

    return encoded


def _exemplar(exemplar: Any) -> bytes:
    value = exemplar.value
    if not isinstance(value, (int, float)):
        raise ValueError("an exemplar's value must be an int or a float")
    traced = exemplar.span_id is not None and exemplar.trace_id is not None
    return b"".join(
        (
            _fixed64(2, exemplar.time_unix_nano),
            _double(3, value) if isinstance(value, float) else b"",
            field(4, exemplar.span_id.to_bytes(8, "big")) if traced else b"",
            field(5, exemplar.trace_id.to_bytes(16, "big")) if traced else b"",
            _sfixed64(6, value) if not isinstance(value, float) else b"",
            attributes(7, exemplar.filtered_attributes),
        )
    )


def _exemplars(number: int, exemplars: Sequence[Any]) -> bytes:
    if not exemplars:  # most points have none
        return b""
    return b"".join([field(number, _exemplar(exemplar)) for exemplar in exemplars])


def _number_point(point: Any, labels: Labels, *, with_start: bool) -> bytes:
    """A NumberDataPoint: ``as_double`` (4) comes before the exemplars (5), ``as_int``
    (6) after them; an int (a bool too, as the SDK's ``isinstance`` has it) is ``as_int``."""
    value = point.value
    whole = isinstance(value, int)
    return (
        (_fixed64(2, point.start_time_unix_nano) if with_start else b"")
        + _fixed64(3, point.time_unix_nano)
        + (b"" if whole else _double(4, value))
        + _exemplars(5, point.exemplars)
        + (_sfixed64(6, value) if whole else b"")
        + labels(7, point.attributes)
    )


def _histogram_point(point: Any, labels: Labels) -> bytes:
    return b"".join(
        (
            _fixed64(2, point.start_time_unix_nano),
            _fixed64(3, point.time_unix_nano),
            _fixed64(4, point.count),
            _double(5, point.sum),
            _packed_fixed(6, "Q", point.bucket_counts),
            _packed_fixed(7, "d", point.explicit_bounds),
            _exemplars(8, point.exemplars),
            labels(9, point.attributes),
            _double(11, point.min),
            _double(12, point.max),
        )
    )


def _buckets(number: int, buckets: Any) -> bytes:
    if not buckets.bucket_counts:  # the SDK leaves an empty side out
        return b""
    counts = b"".join(map(varint, buckets.bucket_counts))
    return field(number, _sint(1, buckets.offset) + field(2, counts))


def _exponential_point(point: Any, labels: Labels) -> bytes:
    return b"".join(
        (
            labels(1, point.attributes),
            _fixed64(2, point.start_time_unix_nano),
            _fixed64(3, point.time_unix_nano),
            _fixed64(4, point.count),
            _double(5, point.sum),
            _sint(6, point.scale),
            _fixed64(7, point.zero_count),
            _buckets(8, point.positive),
            _buckets(9, point.negative),
            uint(10, point.flags),
            _exemplars(11, point.exemplars),
            _double(12, point.min),
            _double(13, point.max),
        )
    )


def _temporality(data: Any) -> bytes:
    return uint(2, int(data.aggregation_temporality))


#: Each kind of data: its Metric field, how a point is written, what follows the points.
_KINDS: tuple[tuple[type, int, Callable[[Any, Labels], bytes], Callable[[Any], bytes]], ...] = (
    (Gauge, 5, lambda p, labels: _number_point(p, labels, with_start=False), lambda _d: b""),
    (Histogram, 9, _histogram_point, _temporality),
    (
        Sum,
        7,
        lambda p, labels: _number_point(p, labels, with_start=True),
        lambda d: _temporality(d) + (b"\x18\x01" if d.is_monotonic else b""),
    ),
    (ExponentialHistogram, 10, _exponential_point, _temporality),
)


def _metric(metric: Any, labels: Labels) -> bytes:
    head = (
        optional_field(1, text(metric.name or ""))
        + optional_field(2, text(metric.description or ""))
        + optional_field(3, text(metric.unit or ""))
    )
    data = metric.data
    points = data.data_points
    if not points:  # the SDK's encoder never touches the data field then
        return head
    for kind, number, point, tail in _KINDS:
        if isinstance(data, kind):
            body = b"".join([field(1, point(p, labels)) for p in points])
            return head + field(number, body + tail(data))
    return head  # a kind the SDK's encoder does not know either


def encode_metrics(data: MetricsData) -> bytes:
    """An ExportMetricsServiceRequest's bytes for ``data``."""
    groups: dict[Resource, dict[InstrumentationScope | None, list[bytes]]] = {}
    labels = _labels()
    for resource_metrics in data.resource_metrics:
        by_scope: dict[InstrumentationScope | None, list[bytes]] = {}
        groups[resource_metrics.resource] = by_scope
        for scope_metrics in resource_metrics.scope_metrics:
            by_scope[scope_metrics.scope] = [_metric(m, labels) for m in scope_metrics.metrics]
    return request(groups)
