"""The attributes of an SDK span as the plain dict they are stored in, for the per-span
processors (ID stamping, redaction) that read every attribute of every span.

``span.attributes`` is a read-only proxy over the SDK's ``BoundedAttributes``, a generic
``Mapping`` whose ``get`` and ``items`` run Python code per key: on a span of ten
attributes that was a quarter of what redaction cost. Its plain dict is read instead, and
only read: writes still go through the span. Should an SDK release store attributes
differently, the public proxy is used.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan

_EMPTY: Mapping[str, Any] = {}


def attribute_dict(span: ReadableSpan) -> Mapping[str, Any]:
    """``span``'s attributes, without copying; never written through."""
    stored = getattr(span, "_attributes", None)
    inner = getattr(stored, "_dict", None)
    if type(inner) is dict:
        return inner
    return span.attributes or _EMPTY
