"""OTLP protobuf bytes for spans and log records, written directly.

The SDK's encoder builds a tree of protobuf message objects (two per attribute) and then
serialises it; on an export thread that is most of the CPU each span costs. This module
writes the same wire bytes straight from the SDK's span and record objects: field by
field in field-number order, defaults left out as proto3 leaves them out, sub-messages the
SDK always sets (a span's status, a key-value's value) written even when empty. The tests
hold it to ``opentelemetry-proto`` byte for byte.

Where the SDK's encoder would raise on a whole batch, this one repairs the single item:
text that is not valid UTF-8 (a lone surrogate) is written with U+FFFD in its place,
and an attribute the wire cannot carry (an int past 64 bits, an unknown type) is left out
as the SDK leaves it out.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from opentelemetry.sdk._logs import ReadableLogRecord
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import SpanKind, Status, StatusCode

from otelkit._values.encodable import text as repaired_text

_Item = TypeVar("_Item", ReadableSpan, ReadableLogRecord)

# Wire types: 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32.
VARINT, FIXED64, BYTES, FIXED32 = 0, 1, 2, 5
_INT64_MIN, _UINT64_MAX = -(1 << 63), (1 << 64) - 1
_pack_double = struct.Struct("<d").pack
_pack_fixed64 = struct.Struct("<Q").pack
_pack_fixed32 = struct.Struct("<I").pack

# SpanFlags: the context-has-is-remote bit always, the is-remote bit for remote parents.
_HAS_IS_REMOTE, _IS_REMOTE = 0x100, 0x200


_ONE_BYTE = [bytes((value,)) for value in range(0x80)]


def varint(value: int) -> bytes:
    if value < 0x80:
        return _ONE_BYTE[value]
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def tag(number: int, wire_type: int) -> bytes:
    return varint(number << 3 | wire_type)


def text(value: str) -> bytes:
    try:
        return value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: U+FFFD in its place, as everywhere else
        return repaired_text(value).encode("utf-8")


LENGTH_TAGS = [tag(field, BYTES) for field in range(16)]


def field(number: int, payload: bytes) -> bytes:
    """A length-delimited field (string, bytes, sub-message), written even when empty."""
    size = len(payload)
    return LENGTH_TAGS[number] + (_ONE_BYTE[size] if size < 0x80 else varint(size)) + payload


def optional_field(number: int, payload: bytes) -> bytes:
    """A proto3 string or bytes field: absent when empty."""
    return field(number, payload) if payload else b""


def uint(number: int, value: int) -> bytes:
    return tag(number, VARINT) + varint(value) if value else b""


def _fixed64(number: int, value: int | None) -> bytes:
    return tag(number, FIXED64) + _pack_fixed64(value) if value else b""


# Tags written for every item: computed once.
_KV_KEY, _KV_VALUE = tag(1, BYTES), tag(2, BYTES)


def _any_value(value: Any) -> bytes:
    """An AnyValue message's bytes; raises ValueError for what the wire cannot carry."""
    if value is None:
        return b""
    if isinstance(value, bool):
        return b"\x10\x01" if value else b"\x10\x00"
    if isinstance(value, str):
        return field(1, text(value))
    if isinstance(value, int):
        if not _INT64_MIN <= value <= _UINT64_MAX >> 1:
            raise ValueError(f"{value} does not fit a 64-bit integer")
        return b"\x18" + varint(value & _UINT64_MAX)
    if isinstance(value, float):
        return b"\x21" + _pack_double(value)
    if isinstance(value, bytes):
        return field(7, value)
    if isinstance(value, Sequence):
        return field(5, b"".join(field(1, _any_value(item)) for item in value))
    if isinstance(value, Mapping):
        pairs = b"".join(field(1, _key_value(str(k), v)) for k, v in value.items())
        return field(6, pairs)
    raise ValueError(f"invalid attribute type {type(value).__name__}")


# A key-value's key field per attribute name seen: the names repeat item after item.
# Bounded, since attribute names can be chosen by callers.
_KEY_FIELDS: dict[str, bytes] = {}
_MAX_KEYS = 4096


def _key_field(key: str) -> bytes:
    key_bytes = text(key)
    encoded = _KV_KEY + varint(len(key_bytes)) + key_bytes if key_bytes else b""
    if len(_KEY_FIELDS) >= _MAX_KEYS:
        _KEY_FIELDS.clear()
    _KEY_FIELDS[key] = encoded
    return encoded


def _key_value(key: str, value: Any) -> bytes:
    if type(value) is str:  # the common case, inline: AnyValue{string_value}
        utf8 = text(value)
        encoded = b"\x0a" + varint(len(utf8)) + utf8
    else:
        encoded = _any_value(value)
    head = _KEY_FIELDS.get(key)
    if head is None:
        head = _key_field(key)
    return head + _KV_VALUE + varint(len(encoded)) + encoded


def key_values(values: Mapping[str, Any]) -> list[bytes]:
    """Each attribute as its KeyValue message, length first: what follows the tag of the
    field that holds it. One the wire cannot carry is left out, as the SDK leaves it out."""
    out = []
    for key, value in values.items():
        try:
            pair = _key_value(key, value)
        except ValueError:
            continue
        size = len(pair)
        out.append((_ONE_BYTE[size] if size < 0x80 else varint(size)) + pair)
    return out


def attributes(number: int, values: Mapping[str, Any] | None) -> bytes:
    """Field ``number`` repeated, one KeyValue per attribute."""
    if not values:
        return b""
    length_tag = LENGTH_TAGS[number]
    return b"".join([length_tag + pair for pair in key_values(values)])


# The last resource encoded, and its bytes: a process exports under one resource, and a
# Resource cannot change, so each flush (on Lambda, one per invocation) reuses them.
_last_resource: tuple[Resource, bytes] | None = None


def _resource(resource: Resource) -> bytes:
    global _last_resource
    last = _last_resource
    if last is not None and last[0] is resource:
        return last[1]
    encoded = attributes(1, resource.attributes)
    _last_resource = (resource, encoded)
    return encoded


def _scope(scope: InstrumentationScope | None) -> bytes:
    if scope is None:
        return b""
    return (
        optional_field(1, text(scope.name or ""))
        + optional_field(2, text(scope.version or ""))
        + attributes(3, scope.attributes)
    )


def _grouped(
    items: Iterable[_Item],
    encode: Callable[[_Item], bytes],
    resource_of: Callable[[_Item], Resource],
    scope_of: Callable[[_Item], InstrumentationScope | None],
) -> dict[Resource, dict[InstrumentationScope | None, list[bytes]]]:
    """Items grouped by resource, then scope, in first-seen order, as the SDK groups them."""
    groups: dict[Resource, dict[InstrumentationScope | None, list[bytes]]] = {}
    # A Resource hashes by serialising its attributes: look each object up once.
    by_identity: dict[int, dict[InstrumentationScope | None, list[bytes]]] = {}
    for item in items:
        resource = resource_of(item)
        by_scope = by_identity.get(id(resource))
        if by_scope is None:
            by_scope = by_identity[id(resource)] = groups.setdefault(resource, {})
        by_scope.setdefault(scope_of(item) or None, []).append(encode(item))
    return groups


def request(groups: dict[Resource, dict[InstrumentationScope | None, list[bytes]]]) -> bytes:
    """ExportXServiceRequest bytes: every signal nests resource -> scope -> items alike."""
    out = []
    for resource, by_scope in groups.items():
        scoped = []
        for scope, encoded in by_scope.items():
            scope_url = (scope.schema_url if scope else None) or ""
            scoped.append(
                field(
                    2,
                    field(1, _scope(scope))
                    + b"".join(field(2, item) for item in encoded)
                    + optional_field(3, text(scope_url)),
                )
            )
        body = (
            field(1, _resource(resource))
            + b"".join(scoped)
            + optional_field(3, text(resource.schema_url or ""))
        )
        out.append(field(1, body))
    return b"".join(out)


# A span's fixed-size fields with their tags: trace and span IDs, parent, times, flags.
_TRACE_ID, _SPAN_ID, _PARENT_ID = b"\x0a\x10", b"\x12\x08", b"\x22\x08"
_START, _END = tag(7, FIXED64), tag(8, FIXED64)
_LOCAL_PARENT = tag(16, FIXED32) + _pack_fixed32(_HAS_IS_REMOTE)
_REMOTE_PARENT = tag(16, FIXED32) + _pack_fixed32(_HAS_IS_REMOTE | _IS_REMOTE)
# OTLP's SpanKind counts from UNSPECIFIED = 0, the API's from INTERNAL = 0.
_KINDS = {kind: uint(6, kind.value + 1) for kind in SpanKind}
_EMPTY_STATUS = field(15, b"")


def _status(status: Status) -> bytes:
    if status.status_code is StatusCode.UNSET and not status.description:
        return _EMPTY_STATUS
    return field(
        15, optional_field(2, text(status.description or "")) + uint(3, status.status_code.value)
    )


def _span(span: ReadableSpan) -> bytes:
    context = span.get_span_context()
    assert context is not None  # the SDK's spans always have one
    parent = span.parent
    state = context.trace_state
    parts = [
        _TRACE_ID + context.trace_id.to_bytes(16, "big"),
        _SPAN_ID + context.span_id.to_bytes(8, "big"),
    ]
    if state:
        parts.append(optional_field(3, text(",".join(f"{k}={v}" for k, v in state.items()))))
    if parent:
        parts.append(_PARENT_ID + parent.span_id.to_bytes(8, "big"))
    if span.name:
        parts.append(field(5, text(span.name)))
    parts.append(_KINDS[span.kind])
    if span.start_time:
        parts.append(_START + _pack_fixed64(span.start_time))
    if span.end_time:
        parts.append(_END + _pack_fixed64(span.end_time))
    parts.append(attributes(9, span.attributes))
    if span.dropped_attributes:
        parts.append(uint(10, span.dropped_attributes))
    parts.extend(field(11, _event(event)) for event in span.events)
    if span.dropped_events:
        parts.append(uint(12, span.dropped_events))
    parts.extend(field(13, _link(link)) for link in span.links)
    if span.dropped_links:
        parts.append(uint(14, span.dropped_links))
    parts.append(_status(span.status))
    parts.append(_REMOTE_PARENT if parent is not None and parent.is_remote else _LOCAL_PARENT)
    return b"".join(parts)


def _event(event: Any) -> bytes:
    return (
        _fixed64(1, event.timestamp)
        + optional_field(2, text(event.name))
        + attributes(3, event.attributes)
        + uint(4, event.dropped_attributes)
    )


_LINK_LOCAL = tag(6, FIXED32) + _pack_fixed32(_HAS_IS_REMOTE)
_LINK_REMOTE = tag(6, FIXED32) + _pack_fixed32(_HAS_IS_REMOTE | _IS_REMOTE)


def _link(link: Any) -> bytes:
    context = link.context
    return (
        field(1, context.trace_id.to_bytes(16, "big"))
        + field(2, context.span_id.to_bytes(8, "big"))
        + attributes(4, link.attributes)
        + uint(5, link.dropped_attributes)
        + tag(6, FIXED32)
        + _pack_fixed32(_HAS_IS_REMOTE | (_IS_REMOTE if context.is_remote else 0))
    )


def encode_spans(spans: Sequence[ReadableSpan]) -> bytes:
    """An ExportTraceServiceRequest's bytes for ``spans``."""
    return request(_grouped(spans, _span, lambda s: s.resource, lambda s: s.instrumentation_scope))


def _log(readable: ReadableLogRecord) -> bytes:
    record = readable.log_record
    severity = record.severity_number
    return b"".join(
        (
            _fixed64(1, record.timestamp),
            uint(2, severity.value if severity is not None else 0),
            optional_field(3, text(record.severity_text or "")),
            field(5, _safe_value(record.body)),  # the SDK sets it even when empty
            attributes(6, record.attributes),
            uint(7, readable.dropped_attributes),
            tag(8, FIXED32) + _pack_fixed32(int(record.trace_flags or 0))
            if int(record.trace_flags or 0)
            else b"",
            field(9, record.trace_id.to_bytes(16, "big")) if record.trace_id else b"",
            field(10, record.span_id.to_bytes(8, "big")) if record.span_id else b"",
            _fixed64(11, record.observed_timestamp),
            optional_field(12, text(record.event_name or "")),
        )
    )


def _safe_value(value: Any) -> bytes:
    try:
        return _any_value(value)
    except ValueError:
        return _any_value(str(value))


def encode_logs(records: Sequence[ReadableLogRecord]) -> bytes:
    """An ExportLogsServiceRequest's bytes for ``records``."""
    return request(_grouped(records, _log, lambda r: r.resource, lambda r: r.instrumentation_scope))
