"""Text OTLP can always encode: lone surrogates replaced before an item is queued.

Python strings may hold lone surrogates (``"x\\ud800"``: a request body decoded with
``surrogateescape``, a broken JSON escape, a file name). UTF-8 cannot carry them, and
protobuf encodes a whole request at once: one such string in one span, record or
metric dimension made the encoding of the batch raise, and every other item in the
batch was lost with it. Each item is repaired where it is handed to the export
(``U+FFFD`` for every lone surrogate, valid pairs joined), so it alone carries the mark.

ASCII text, the common case, is recognised by one C call and never copied.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from opentelemetry.context import Context
from opentelemetry.sdk.trace import Event, ReadableSpan, Span, SpanProcessor
from opentelemetry.trace import Link, Status

from otelkit._sdk.span_attributes import attribute_dict, has_events, has_links, with_changes
from otelkit._values.encodable import attributes, text


def _events(events: Sequence[Event]) -> list[Event] | None:
    changed: list[Event] | None = None
    for index, event in enumerate(events):
        name, fixed = text(event.name), attributes(event.attributes)
        if name is not event.name or fixed is not None:
            changed = changed if changed is not None else list(events)
            changed[index] = Event(name, fixed or event.attributes, event.timestamp)
    return changed


def _links(links: Sequence[Link]) -> list[Link] | None:
    changed: list[Link] | None = None
    for index, link in enumerate(links):
        fixed = attributes(link.attributes)
        if fixed is not None:
            changed = changed if changed is not None else list(links)
            changed[index] = Link(link.context, fixed)
    return changed


_PLAIN_VALUES = frozenset({int, float, bool})


def _ascii_attributes(found: Mapping[str, Any]) -> bool:
    """Whether every key and value is ASCII text or a number: nothing to repair."""
    for key, item in found.items():
        if not key.isascii():
            return False
        kind = item.__class__
        if kind is str:
            if not item.isascii():
                return False
        elif kind not in _PLAIN_VALUES:
            return False
    return True


def span(item: ReadableSpan) -> ReadableSpan:
    """``item``, or a copy with the text of its name, attributes, events, links and
    status description repaired. A span of ASCII text and numbers (most) is recognised in
    the thread that ended it in about a microsecond, and passed on as it is."""
    description = item.status.description
    if (
        item.name.isascii()
        and not has_events(item)
        and not has_links(item)
        and (not description or description.isascii())
        and _ascii_attributes(attribute_dict(item))
    ):
        return item
    return _repaired(item)


def _repaired(item: ReadableSpan) -> ReadableSpan:
    name = text(item.name)
    fixed = attributes(attribute_dict(item))
    events = _events(item.events) if has_events(item) else None
    links = _links(item.links) if has_links(item) else None
    status = item.status
    if status.description and text(status.description) is not status.description:
        status = Status(status.status_code, text(status.description))
    return with_changes(
        item, name=name, attributes=fixed, events=events, links=links, status=status
    )


class RepairingSpanProcessor(SpanProcessor):
    """Hands ``inner`` (the OTLP outbox's processor) spans whose text encodes."""

    def __init__(self, inner: SpanProcessor) -> None:
        self.inner = inner

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        return None

    def on_end(self, item: ReadableSpan) -> None:
        self.inner.on_end(span(item))

    def shutdown(self) -> None:
        self.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return self.inner.force_flush(timeout_millis)
