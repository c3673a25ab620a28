"""The one redaction policy: what a secret is, applied wherever data leaves the process.

Two tests decide. A *name* test (``password``, ``api_key``, ``authorization``, ``pwd``,
``auth_header``… plus names added with ``configure(redact_keys=…)`` and the members AWS
service models mark sensitive) redacts a field's whole value, at any depth of any
container. A *value* test (``_secret_patterns``) redacts secrets that sit in texts whose
name says nothing: messages, exception text, URLs, header dumps.

Callers: log events and OTLP log attributes (``_log_event``, ``_logging``), span export
(``_sdk.redaction``: in the OTLP export, and in ``SpanProcessing``), EMF properties, and
span attributes passed to otelkit's own API; what the ``otelkit`` command prints
(``redact_read``). Decisions about names are cached; value
patterns run only on strings long enough to hold a secret.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from otelkit._core.pipeline import current
from otelkit._redaction.secret_patterns import NAME_WORDS, pair_redactor, redactor
from otelkit._redaction.secret_patterns import REDACTED as REDACTED  # re-exported: the one marker
from otelkit._values.safe_values import safe_str, truncate

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
        "authenticated",
    }
)
# Suffixes that name something *about* a secret, never the secret: ``api_key_id``,
# ``secret_arn``, ``token_count``. Redacting those would hide exactly what one searches by.
_SAFE_SUFFIXES = ("_id", "_ids", "_arn", "_count", "_type", "_name", "_expires_at")
#: Nesting deeper than this is replaced by the marker: a bound on cost, never a way past.
MAX_DEPTH = 12
#: At most this many values of one record are looked at; the rest become the marker.
MAX_ITEMS = 2_000
TOO_DEEP = "<nested too deep>"  # the renderers' markers: one vocabulary for the reader
CYCLE = "<cycle>"

_secret_name = re.compile(NAME_WORDS, re.IGNORECASE)
_cache: dict[str, bool] = {}
#: ``is_secret``'s decisions so far, by name (cleared, never replaced, when the words change).
NAME_VERDICTS: Mapping[str, bool] = _cache


def enabled() -> bool:
    """Whether redaction is on (``configure(scrub=...)``, held by the active pipeline)."""
    return current().scrub


def set_extra_words(words: Iterable[str]) -> None:
    """Also treat names containing any of ``words`` (case-insensitive) as secret, in
    fields and in ``name=value`` pairs inside texts (``configure(redact_keys=…)``)."""
    global _secret_name, _redact_text
    extra = tuple(w.strip() for w in words if w.strip())
    alternation = "|".join([NAME_WORDS, *(re.escape(w) for w in extra)])
    _secret_name = re.compile(alternation, re.IGNORECASE)
    _redact_text = redactor(is_secret, alternation, extra)
    _cache.clear()


def is_secret(name: str) -> bool:
    """Whether a field called ``name`` must never be shown."""
    try:
        return _cache[name]
    except KeyError:
        # A dotted attribute name is judged by its last part: ``aws.secretsmanager.
        # rotation_step`` names a step, ``http.request.header.authorization`` a secret.
        if not name.isascii():  # full-width letters read as ASCII
            name = unicodedata.normalize("NFKC", name)
        lowered = name.rsplit(".", 1)[-1].lower()
        secret = (
            lowered not in _SAFE_NAMES
            and not lowered.endswith(_SAFE_SUFFIXES)
            and _secret_name.search(lowered) is not None
        )
        if len(_cache) < 4096:  # names come from code, but never let the cache grow unbounded
            _cache[name] = secret
        return secret


_redact_text = redactor(is_secret)


def redact_text(text: str) -> str:
    """``text`` with every secret the value patterns recognise replaced by the marker."""
    return _redact_text(text) if current().scrub else text


def text_redactor() -> Callable[[str], str]:
    """The value-pattern redactor itself, for callers that already checked ``enabled()``
    and redact many texts in a row (span export)."""
    return _redact_text


scrub_urls = redact_text  # the older name: URLs are texts like any other

# Member names AWS service models mark ``sensitive`` (``SecretString``, SSM's ``Value``),
# redacted in the texts of the libraries that log those models' requests and responses.
_member_names: frozenset[str] = frozenset()
_redact_members: Callable[[str], str] | None = None
_MODEL_LOGGERS = ("botocore", "boto3", "aiobotocore")


def add_sensitive_members(names: Iterable[str]) -> None:
    """Redact ``name=value`` pairs for these member names in AWS SDK log texts."""
    global _member_names, _redact_members
    added = frozenset(names)
    if added and not added <= _member_names:
        _member_names = _member_names | added
        _redact_members = pair_redactor(_member_names)


def redact_message(text: str, logger: str) -> str:
    """A log message (or exception text) of ``logger``, redacted."""
    if not current().scrub:
        return text
    text = _redact_text(text)
    if _redact_members is not None and logger.startswith(_MODEL_LOGGERS):
        text = _redact_members(text)
    return text


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


def scrub_in_place(fields: dict[str, Any]) -> None:
    """Redact the secrets of a dict the caller owns: secret names at any depth, secret
    values in any string. Nested containers are replaced by redacted copies."""
    if current().scrub:
        fields.update(_scrubbed(fields))


def scrubbed(fields: Mapping[Any, Any]) -> dict[Any, Any]:
    """A copy of ``fields`` with the secrets ``scrub_in_place`` would redact redacted."""
    return _scrubbed(fields) if current().scrub else dict(fields)


#: Ints of fewer digits than a card number: nothing to look for in them.
_SHORT_INT = 10**12


def _scrubbed(fields: Mapping[Any, Any]) -> dict[Any, Any]:
    # The top-level values of a log call are mostly short strings and small numbers:
    # those are handled here, one type check each; only containers, long ints and other
    # objects take the walk (which counts every value looked at, these included).
    copy: dict[Any, Any] = {}
    walk: _Walk | None = None
    looked = 0
    for key, value in fields.items():
        kind = type(value)
        if value is None or kind is bool:
            copy[key] = value  # ``has_auth_token=True`` says whether, never what
        elif is_secret(key if type(key) is str else str(key)):
            copy[key] = REDACTED
        elif kind is str:
            copy[key] = _redact_text(value)
            looked += 1
        elif kind is float or (kind is int and -_SHORT_INT < value < _SHORT_INT):
            copy[key] = value
            looked += 1
        else:
            if walk is None:
                walk = _Walk()
            walk.left -= looked
            looked = 0
            copy[key] = _redact(value, 0, walk)
    return copy


def redacted_settings(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Fields from configuration (``OTELKIT_STATIC_FIELDS``, ``OTEL_RESOURCE_ATTRIBUTES``),
    redacted by the one policy: they are written on every line and every export."""
    return {
        key: REDACTED if is_secret(key) else _redact(value, 0, _Walk())
        for key, value in fields.items()
    }


def redact_value(value: Any) -> Any:
    """``value`` (any type) with its secrets redacted, for texts and containers alike."""
    return _redact(value, 0, _Walk()) if current().scrub else value


def redact_read(value: Any) -> Any:
    """``value`` read back from a store anyone could write into (a log file, an X-Ray
    annotation, a ``/health`` body), redacted before the ``otelkit`` command prints it:
    always, whatever the reading process configured."""
    return _redact(value, 0, _Walk())


class _Walk:
    """One redaction pass: how many more values it may look at, and the containers on the
    path from the top (a container met again on its own path is a cycle)."""

    __slots__ = ("left", "path")

    def __init__(self) -> None:
        self.left = MAX_ITEMS
        self.path: set[int] = set()


def _redact_field(name: str, value: Any, depth: int, walk: _Walk) -> Any:
    if value is None or isinstance(value, bool):
        return value  # ``has_auth_token=True`` says whether, never what: nothing to leak
    if is_secret(name):
        return REDACTED
    return _redact(value, depth, walk)


def _redact(value: Any, depth: int, walk: _Walk) -> Any:
    walk.left -= 1
    if isinstance(value, str):
        return _redact_text(value)
    if isinstance(value, (bool, float)) or value is None:
        return value
    if isinstance(value, int):
        # A card number passed as a number: only 13-19 digit integers can be one.
        if 10**12 <= abs(value) < 10**19:
            text = str(value)
            return value if _redact_text(text) == text else REDACTED
        return value
    if isinstance(value, (Mapping, list, tuple, set, frozenset)):
        return _redact_container(value, depth, walk)
    if isinstance(value, (bytes, bytearray)):
        text = bytes(value).decode("utf-8", "replace")
        redacted = _redact_text(text)
        return value if redacted == text else redacted
    return _redact_object(value)


def _redact_container(value: Any, depth: int, walk: _Walk) -> Any:
    if walk.left < 0 or depth >= MAX_DEPTH:
        return TOO_DEEP
    path = walk.path
    if id(value) in path:
        return CYCLE
    path.add(id(value))
    try:
        if isinstance(value, Mapping):
            return {
                _redact_key(key): _redact_field(str(key), item, depth + 1, walk)
                for key, item in value.items()
            }
        items = [_redact_pair(item, depth + 1, walk) for item in value]
        return items if isinstance(value, list) else tuple(items)
    finally:
        path.discard(id(value))


def _redact_key(key: Any) -> Any:
    """A mapping's key is text too: a token used as a key (``{"ghp_…": "ann"}``) is shown
    as the marker."""
    if isinstance(key, str):
        return _redact_text(key)
    return key


def _redact_pair(item: Any, depth: int, walk: _Walk) -> Any:
    """A list item; a ``(name, value)`` pair (headers as a list of tuples or of two-item
    lists) is a field."""
    if isinstance(item, (tuple, list)) and len(item) == 2 and isinstance(item[0], (str, bytes)):
        name = item[0].decode("latin-1") if isinstance(item[0], bytes) else item[0]
        pair = (item[0], _redact_field(name, item[1], depth, walk))
        return pair if isinstance(item, tuple) else list(pair)
    return _redact(item, depth, walk)


def _redact_object(value: Any) -> Any:
    """Any other object is shown by its ``str()``: redact that text when it holds a secret
    (a dataclass's ``password='…'`` repr, an exception's message)."""
    try:
        text = str(value)
    except Exception:
        return value  # the renderers' fallback deals with objects that cannot be shown
    redacted = _redact_text(text)
    return value if redacted == text else redacted
