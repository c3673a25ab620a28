"""Span redaction once a span has ended: nothing set on a span can bypass it.

Instrumentations write attributes at any moment of a span's life (the ASGI middleware
writes the raw URL after the span started), and users call ``set_attribute``,
``add_event``, ``set_status`` and ``record_exception`` on the span object directly, so a
span is redacted only once it has ended (it is immutable from then on). Where:

* spans leaving over OTLP are redacted by the export itself (``redacting``), in the
  thread that exports — the outbox's worker, or the flush that asked — so the thread
  that ran the traced code pays nothing for it;
* any other exporting processor (the console tree, a test's in-memory capture) sits
  behind the one processor in front of them (``span_processing``), which redacts each
  span once in ``on_end``.

Either way the span passed on is a redacted copy, or the span itself when nothing in it
needed redacting (the common case, which allocates nothing). A span that cannot be
checked is never passed on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.sdk.trace.export import SpanExportResult
from opentelemetry.trace import Link, Status

from otelkit._core import drops as _drops
from otelkit._core.pipeline import current
from otelkit._core.safety import report_internal_error
from otelkit._redaction.scrub import REDACTED, Redaction
from otelkit._redaction.secret_patterns import MAX_SCANNED, keep_the_end
from otelkit._sdk.span_attributes import attribute_dict, has_events, has_links, with_changes

Redact = Callable[[str], str]
ExportSpans = Callable[[Sequence[ReadableSpan]], SpanExportResult]
_CARD = 10**12  # the smallest 13-digit number
_STACKTRACE = "exception.stacktrace"  # the attribute record_exception() writes


def _attributes(
    attributes: Mapping[str, Any], policy: Redaction, redact: Redact
) -> dict[str, Any] | None:
    """Redacted attributes, or None when none needed it."""
    changed: dict[str, Any] | None = None
    is_secret = policy.is_secret
    verdicts = policy.verdicts  # a dict lookup per name instead of a call
    for key, value in attributes.items():
        if value.__class__ is bool:
            continue  # ``has_auth_token=True`` says whether, never what
        secret = verdicts.get(key)
        if secret is None:
            secret = is_secret(key)
        if secret:
            redacted: Any = REDACTED
        elif isinstance(value, str):
            if key == _STACKTRACE and len(value) > MAX_SCANNED:
                redacted = redact(keep_the_end(value))  # its last lines say what failed
            else:
                redacted = redact(value)
        elif value.__class__ is float or (value.__class__ is int and -_CARD < value < _CARD):
            continue  # too short for a card number, the one secret a number can be
        else:  # sequences, maps and bytes (OTLP's AnyValue), long numbers
            redacted = policy.redact_value(value)
        if redacted is not value and redacted != value:
            if changed is None:
                changed = dict(attributes)
            changed[key] = redacted
    return changed


def _events(events: Sequence[Event], policy: Redaction, redact: Redact) -> list[Event] | None:
    changed: list[Event] | None = None
    for index, event in enumerate(events):
        attributes = _attributes(event.attributes or {}, policy, redact)
        name = redact(event.name)
        if attributes is not None or name != event.name:
            if changed is None:
                changed = list(events)
            changed[index] = Event(name, attributes or event.attributes, event.timestamp)
    return changed


def _links(links: Sequence[Link], policy: Redaction, redact: Redact) -> list[Link] | None:
    changed: list[Link] | None = None
    for index, link in enumerate(links):
        attributes = _attributes(link.attributes or {}, policy, redact)
        if attributes is not None:
            if changed is None:
                changed = list(links)
            changed[index] = Link(link.context, attributes)
    return changed


def redact_span(span: ReadableSpan, policy: Redaction | None = None) -> ReadableSpan:
    """``span``, or a copy of it with every secret in its name, attributes, events, links
    and status description replaced by the marker (by ``policy``, else the active
    pipeline's)."""
    policy = policy or current().redaction
    redact = policy.text_redactor()
    name = redact(span.name)
    attributes = _attributes(attribute_dict(span), policy, redact)
    events = _events(span.events, policy, redact) if has_events(span) else None
    links = _links(span.links, policy, redact) if has_links(span) else None
    status = span.status
    description = status.description
    if description:
        redacted = redact(description)
        if redacted != description:
            status = Status(status.status_code, redacted)
    return with_changes(
        span, name=name, attributes=attributes, events=events, links=links, status=status
    )


def checked(span: ReadableSpan, policy: Redaction) -> ReadableSpan | None:
    """``redact_span(span)``, or None (reported, counted as dropped) when the span could
    not be checked: it must not be exported as it is."""
    try:
        return redact_span(span, policy)
    except Exception as exc:  # never export what could not be checked
        report_internal_error("span redaction", exc)
        _drops.add("spans", "redaction failed")
        return None


def redact_batch(
    spans: Sequence[ReadableSpan], policy: Redaction | None = None
) -> list[ReadableSpan]:
    """``spans`` redacted (by ``policy``, else the active pipeline's), leaving out any
    span that could not be checked."""
    policy = policy or current().redaction
    return [s for s in (checked(span, policy) for span in spans) if s is not None]


def redacting(export: ExportSpans, policy: Redaction) -> ExportSpans:
    """``export``, handed only spans redacted by ``policy`` (the policy of the pipeline
    the export belongs to, even while a newer one is active): redaction runs in the
    exporting thread. (A pipeline built with ``scrub`` off exports through the bare
    ``export``.)"""

    def export_redacted(spans: Sequence[ReadableSpan]) -> SpanExportResult:
        batch = redact_batch(spans, policy)
        return export(batch) if batch else SpanExportResult.SUCCESS

    return export_redacted
