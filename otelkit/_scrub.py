"""Redaction of secret-looking fields before they reach a log line or a span attribute.

Matching is by field name only (``password``, ``api_key``, ``authorization``…): it is
cheap enough for every log call, and a name is the one signal that never false-positives
on an ID. Decisions are cached per name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from otelkit._pipeline import current
from otelkit._safe_values import safe_str, truncate

REDACTED = "[REDACTED]"

_SECRET_NAME = re.compile(
    r"pass(word|wd|phrase)?|secret|token|api[_-]?key|apikey|auth(orization)?$|cookie|"
    r"credential|private[_-]?key|session[_-]?key|signature|jwt|bearer",
    re.IGNORECASE,
)
# Names that contain a secret-looking word but are safe and common in telemetry.
_SAFE_NAMES = frozenset(
    {
        "tokens",
        "prompt_tokens",
        "completion_tokens",
        "total_tokens",
        "max_tokens",
        "auth_method",
        "auth_result",
    }
)
# Suffixes that name something *about* a secret, never the secret: ``api_key_id``,
# ``secret_arn``, ``token_count``. Redacting those would hide exactly what one searches by.
_SAFE_SUFFIXES = ("_id", "_ids", "_arn", "_count", "_type", "_name", "_expires_at")
_MAX_DEPTH = 4
_cache: dict[str, bool] = {}


def is_secret(name: str) -> bool:
    """Whether a field called ``name`` must never be shown."""
    try:
        return _cache[name]
    except KeyError:
        lowered = name.lower()
        secret = (
            lowered not in _SAFE_NAMES
            and not lowered.endswith(_SAFE_SUFFIXES)
            and _SECRET_NAME.search(name) is not None
        )
        if len(_cache) < 4096:  # names come from code, but never let the cache grow unbounded
            _cache[name] = secret
        return secret


_PRIMITIVES = (str, bool, int, float)


def attribute_value(value: Any) -> Any:
    """Coerce ``value`` to a type OpenTelemetry attributes accept (else the SDK drops it),
    which the OTLP encoder can always encode: one bad value must not fail a whole batch."""
    if isinstance(value, str):
        return truncate(value)
    if isinstance(value, _PRIMITIVES):
        if isinstance(value, int) and not _INT64_MIN <= value <= _INT64_MAX:
            return safe_str(value)  # past int64: OTLP cannot carry it as an int
        return value
    if isinstance(value, (list, tuple)) and all(isinstance(v, _PRIMITIVES) for v in value):
        return tuple(attribute_value(v) for v in value)
    return safe_str(value)  # never raises: a broken __str__ must not lose the record


_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def scrub_attributes(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Return ``fields`` as span attributes: secrets redacted (nested ones too), values of
    types OpenTelemetry accepts."""
    scrubbed = dict(fields)
    scrub_in_place(scrubbed)
    return {key: attribute_value(value) for key, value in scrubbed.items()}


# A query parameter inside a URL anywhere in a text: ``?api_key=…`` or ``&token=…``.
_QUERY_PARAMETER = re.compile(r"([?&;])([^=&;?#\s\"']+)=([^&;#\s\"']*)")


def scrub_urls(text: str) -> str:
    """``text`` with the values of secret-looking URL query parameters redacted.

    Libraries log and record URLs verbatim (``HTTP Request: GET https://…?api_key=…``),
    so a key in a query string would otherwise reach log lines and span attributes.
    """
    if "=" not in text or ("?" not in text and "&" not in text) or not current().scrub:
        return text  # the common case costs two substring checks
    return _QUERY_PARAMETER.sub(_redact_parameter, text)


def _redact_parameter(match: re.Match[str]) -> str:
    separator, name, value = match.groups()
    return f"{separator}{name}={REDACTED}" if value and is_secret(name) else match.group(0)


def scrub_in_place(fields: dict[str, Any]) -> None:
    """Redact secret-looking values of a dict the caller owns, nested dicts included."""
    if current().scrub:
        _scrub_level(fields, 0)


def _scrub_level(fields: dict[str, Any], depth: int) -> None:
    for key, value in fields.items():
        if isinstance(value, bool) or value is None:
            continue  # ``has_auth_token=True`` says whether, never what: nothing to leak
        if is_secret(str(key)):
            fields[key] = REDACTED
        elif depth < _MAX_DEPTH and isinstance(value, (dict, list, tuple)):
            fields[key] = _scrubbed_copy(value, depth + 1)


def _scrubbed_copy(value: Any, depth: int) -> Any:
    """A copy of a nested dict or list with secrets redacted: the caller's is untouched."""
    if isinstance(value, dict):
        nested = dict(value)
        _scrub_level(nested, depth)
        return nested
    if isinstance(value, (list, tuple)) and depth < _MAX_DEPTH:
        return type(value)(_scrubbed_copy(item, depth + 1) for item in value)
    return value
