"""The attributes of an SDK span as the plain dict they are stored in, and whether it has
events or links, for the redaction and text repair that read every span; and the copy
of a span with the parts they changed.

``span.attributes`` is a read-only proxy over the SDK's ``BoundedAttributes``, a generic
``Mapping`` whose ``get`` and ``items`` run Python code per key: on a span of ten
attributes that was a quarter of what redaction cost. Its plain dict is read instead, and
only read: writes still go through the span. ``span.events`` takes a lock and copies
the events into a new tuple, which for the usual span without events is the whole cost
of asking. Should an SDK release store either differently, the public API is used.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.trace import Link, Status

_EMPTY: Mapping[str, Any] = {}


def attribute_dict(span: ReadableSpan) -> Mapping[str, Any]:
    """``span``'s attributes, without copying; never written through."""
    stored = getattr(span, "_attributes", None)
    inner = getattr(stored, "_dict", None)
    if type(inner) is dict:
        return inner
    return span.attributes or _EMPTY


def has_events(span: ReadableSpan) -> bool:
    """Whether ``span`` has events, without copying them."""
    stored = getattr(span, "_events", None)
    try:
        return len(stored) > 0  # type: ignore[arg-type]
    except TypeError:  # stored some other way: ask the public API
        return bool(span.events)


def has_links(span: ReadableSpan) -> bool:
    """Whether ``span`` has links, without copying them."""
    stored = getattr(span, "_links", None)
    try:
        return len(stored) > 0  # type: ignore[arg-type]
    except TypeError:  # stored some other way: ask the public API
        return bool(span.links)


def with_changes(
    span: ReadableSpan,
    *,
    name: str,
    attributes: Mapping[str, Any] | None,
    events: Sequence[Event] | None,
    links: Sequence[Link] | None,
    status: Status,
) -> ReadableSpan:
    """``span`` itself when nothing changed, else a copy with the parts that did (None:
    that part unchanged)."""
    if (
        attributes is None
        and events is None
        and links is None
        and status is span.status
        and name == span.name
    ):
        return span
    return ReadableSpan(
        name=name,
        context=span.context,
        parent=span.parent,
        resource=span.resource,
        attributes=attributes if attributes is not None else span.attributes,
        events=events if events is not None else span.events,
        links=links if links is not None else span.links,
        kind=span.kind,
        status=status,
        start_time=span.start_time,
        end_time=span.end_time,
        instrumentation_scope=span.instrumentation_scope,
    )
