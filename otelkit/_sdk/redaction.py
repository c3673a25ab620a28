"""Span redaction at the point of export: nothing set on a span can bypass it.

Instrumentations write attributes at any moment of a span's life (the ASGI middleware
writes the raw URL after the span started), and users call ``set_attribute``,
``add_event``, ``set_status`` and ``record_exception`` on the span object directly. So
redaction happens once the span has ended, in the processor in front of every exporting
one (``span_processing``): the span it passes on is a redacted copy, or the original when
nothing in it needed redacting (the common case, which allocates nothing).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.trace import Status

from otelkit import _scrub
from otelkit._sdk.span_attributes import attribute_dict, has_events


def _attributes(
    attributes: Mapping[str, Any] | None, redact: Callable[[str], str]
) -> dict[str, Any] | None:
    """Redacted attributes, or None when none needed it."""
    if not attributes:
        return None
    is_secret = _scrub.is_secret
    verdicts = _scrub.NAME_VERDICTS  # a dict lookup per name instead of a call
    changed: dict[str, Any] | None = None
    redacted: Any
    for key, value in attributes.items():
        secret = verdicts.get(key)
        if secret is None:
            secret = is_secret(key)
        if secret and value.__class__ is not bool:
            redacted = _scrub.REDACTED
        elif isinstance(value, str):  # str subclasses (enums) too
            redacted = redact(value)
        elif isinstance(value, tuple):  # attribute sequences hold primitives only
            redacted = tuple(redact(v) if isinstance(v, str) else v for v in value)
        else:
            redacted = value
        if redacted is not value and redacted != value:
            if changed is None:
                changed = dict(attributes)
            changed[key] = redacted
    return changed


def redact_span(span: ReadableSpan) -> ReadableSpan:
    """``span``, or a copy of it with every secret in its name, attributes, events, links
    and status description replaced by the marker. Call it only with redaction on."""
    redact = _scrub.text_redactor()  # once per span, not once per text
    name = redact(span.name)
    attributes = _attributes(attribute_dict(span), redact)
    events: list[Event] | None = None
    original_events = span.events if has_events(span) else ()
    for index, event in enumerate(original_events):
        event_attributes = _attributes(event.attributes, redact)
        event_name = redact(event.name)
        if event_attributes is not None or event_name != event.name:
            if events is None:
                events = list(original_events)
            events[index] = Event(event_name, event_attributes or event.attributes, event.timestamp)
    status = span.status
    description = status.description
    if description:
        redacted = redact(description)
        if redacted != description:
            status = Status(status.status_code, redacted)
    if attributes is None and events is None and status is span.status and name == span.name:
        return span
    return ReadableSpan(
        name=name,
        context=span.context,
        parent=span.parent,
        resource=span.resource,
        attributes=attributes if attributes is not None else span.attributes,
        events=events if events is not None else span.events,
        links=span.links,
        kind=span.kind,
        status=status,
        start_time=span.start_time,
        end_time=span.end_time,
        instrumentation_scope=span.instrumentation_scope,
    )
