"""The one redaction policy: what a secret is, applied wherever data leaves the process.

Two tests decide. A *name* test (``password``, ``api_key``, ``authorization``, ``pwd``,
``auth_header``… plus names added with ``configure(redact_keys=…)`` and the members AWS
service models mark sensitive) redacts a field's whole value, at any depth of any
container. A *value* test (``_secret_patterns``) redacts secrets that sit in texts whose
name says nothing: messages, exception text, URLs, header dumps.

The policy is compiled from the settings (``scrub``, ``redact_keys``) into one
``Redaction`` object that the pipeline carries: ``configure()`` builds a new one with the
pipeline, ``testing.capture()`` swaps it with the pipeline, and nothing here is changed
afterwards. Callers reach it through the active pipeline (``current().redaction``): log
events and OTLP log attributes, span export (``_sdk.redaction``), EMF properties, span
attributes passed to otelkit's own API, what the ``otelkit`` command prints
(``redact_read``). Each policy caches its decisions about names; value patterns run
only on strings long enough to hold a secret.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from typing import Any

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
_CLEAN_DIMENSIONS = 4_096
TOO_DEEP = "<nested too deep>"  # the renderers' markers: one vocabulary for the reader
CYCLE = "<cycle>"

_MODEL_LOGGERS = ("botocore", "boto3", "aiobotocore")
_PRIMITIVES = (str, bool, int, float)
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
#: Ints of fewer digits than a card number: nothing to look for in them.
_SHORT_INT = 10**12


class _LearntMembers:
    """Member names AWS service models mark ``sensitive`` (``SecretString``, SSM's
    ``Value``), learnt as each service is first called (``aws._sensitive``, which holds a
    lock around ``add``), redacted in the texts of the libraries that log those models'
    requests and responses.

    Facts about the models, not settings: what is learnt holds for every policy of the
    process, so a re-configure or a ``capture()`` never forgets a service learnt earlier
    (each is read once per process). ``redact`` is replaced whole, never changed."""

    __slots__ = ("names", "redact")

    def __init__(self) -> None:
        self.names: frozenset[str] = frozenset()
        self.redact: Callable[[str], str] | None = None

    def add(self, names: Iterable[str]) -> None:
        added = frozenset(names)
        if added and not added <= self.names:
            self.names = self.names | added
            self.redact = pair_redactor(self.names)


AWS_MEMBERS = _LearntMembers()


def add_sensitive_members(names: Iterable[str]) -> None:
    """Redact ``name=value`` pairs for these member names in AWS SDK log texts."""
    AWS_MEMBERS.add(names)


def _unchanged(text: str) -> str:
    return text


class Redaction:
    """One compiled redaction policy: the name test (the built-in words plus
    ``redact_keys``), the value patterns, and whether redaction is on (``scrub``).

    Built once per pipeline (``compile_policy``) and never changed: the name verdicts it
    caches are its own, so a policy with other words never reads them.

    Attributes:
        enabled: whether log fields, messages and span attributes are redacted.
        extra_words: the ``redact_keys`` words, as configured.
        verdicts: ``is_secret``'s decisions so far, by name (a dict lookup per name for
            callers that redact many names in a row).
        clean_dimensions: the metric dimensions (name, value) found recordable as they
            are under this policy (no correlation-ID name, no secret), bounded: a set
            lookup per dimension for callers that record the same few on every call.
    """

    __slots__ = (
        "_cache",
        "_redact_text",
        "_secret_name",
        "clean_dimensions",
        "enabled",
        "extra_words",
        "verdicts",
    )

    def __init__(
        self, *, enabled: bool = True, extra_words: Iterable[str] = (), values: bool = True
    ) -> None:
        """``values=False`` leaves out the value patterns (names only): what the
        benchmarks set against the whole policy."""
        extra = tuple(w.strip() for w in extra_words if w.strip())
        alternation = "|".join([NAME_WORDS, *(re.escape(w) for w in extra)])
        self.enabled = enabled
        self.extra_words = extra
        self._secret_name = re.compile(alternation, re.IGNORECASE)
        self._cache: dict[str, bool] = {}
        self.clean_dimensions: set[tuple[str, Any]] = set()
        self.verdicts: Mapping[str, bool] = self._cache
        self._redact_text: Callable[[str], str] = (
            redactor(self.is_secret, alternation, extra) if values else _unchanged
        )

    def is_secret(self, name: str) -> bool:
        """Whether a field called ``name`` must never be shown."""
        try:
            return self._cache[name]
        except KeyError:
            # A dotted attribute name is judged by its last part: ``aws.secretsmanager.
            # rotation_step`` names a step, ``http.request.header.authorization`` a secret.
            if not name.isascii():  # full-width letters read as ASCII
                name = unicodedata.normalize("NFKC", name)
            lowered = name.rsplit(".", 1)[-1].lower()
            secret = (
                lowered not in _SAFE_NAMES
                and not lowered.endswith(_SAFE_SUFFIXES)
                and self._secret_name.search(lowered) is not None
            )
            if len(self._cache) < 4096:  # names come from code: never let it grow unbounded
                self._cache[name] = secret
            return secret

    def shows_as_is(self, name: str, text: str) -> bool:
        """Whether a field ``name`` holding ``text`` is shown unchanged: no secret name, no
        secret the value patterns find. Short pairs found clean are remembered (bounded),
        for callers that check the same few pairs on every call (metric dimensions)."""
        pair = (name, text)
        if pair in self.clean_dimensions:
            return True
        clean = not self.is_secret(name) and self.redact_text(text) is text
        if clean and len(text) <= 256:
            self.remember_clean(pair)
        return clean

    def remember_clean(self, pair: tuple[str, Any]) -> None:
        """Remember a metric dimension recordable as it is (up to 4,096 of them)."""
        if len(self.clean_dimensions) < _CLEAN_DIMENSIONS:
            self.clean_dimensions.add(pair)

    def redact_text(self, text: str) -> str:
        """``text`` with every secret the value patterns recognise replaced by the marker."""
        return self._redact_text(text) if self.enabled else text

    def text_redactor(self) -> Callable[[str], str]:
        """The value-pattern redactor itself, for callers that already checked ``enabled``
        and redact many texts in a row (span export)."""
        return self._redact_text

    def redact_message(self, text: str, logger: str) -> str:
        """A log message (or exception text) of ``logger``, redacted."""
        if not self.enabled:
            return text
        text = self._redact_text(text)
        redact_members = AWS_MEMBERS.redact
        if redact_members is not None and logger.startswith(_MODEL_LOGGERS):
            text = redact_members(text)
        return text

    def scrub_attributes(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        """Return ``fields`` as span attributes: secrets redacted (nested ones too), values
        of types OpenTelemetry accepts."""
        scrubbed = self._scrubbed(fields) if self.enabled else fields
        return {key: attribute_value(value) for key, value in scrubbed.items()}

    def scrub_in_place(self, fields: dict[str, Any]) -> None:
        """Redact the secrets of a dict the caller owns: secret names at any depth, secret
        values in any string. Nested containers are replaced by redacted copies."""
        if self.enabled:
            fields.update(self._scrubbed(fields))

    def scrubbed(self, fields: Mapping[Any, Any]) -> dict[Any, Any]:
        """A copy of ``fields`` with the secrets ``scrub_in_place`` would redact redacted."""
        return self._scrubbed(fields) if self.enabled else dict(fields)

    def _scrubbed(self, fields: Mapping[Any, Any]) -> dict[Any, Any]:
        # The top-level values of a log call are mostly short strings and small numbers:
        # those are handled here, one type check each; only containers, long ints and other
        # objects take the walk (which counts every value looked at, these included).
        is_secret = self.is_secret
        verdicts = self._cache  # a dict lookup per name known already, instead of a call
        redact_text = self._redact_text
        copy: dict[Any, Any] = {}
        walk: _Walk | None = None
        looked = 0
        for key, value in fields.items():
            kind = type(value)
            if value is None or kind is bool:
                copy[key] = value  # ``has_auth_token=True`` says whether, never what
                continue
            secret = verdicts.get(key)
            if secret is None:
                secret = is_secret(key if type(key) is str else str(key))
            if secret:
                copy[key] = REDACTED
            elif kind is str:
                copy[key] = redact_text(value)
                looked += 1
            elif kind is float or (kind is int and -_SHORT_INT < value < _SHORT_INT):
                copy[key] = value
                looked += 1
            else:
                if walk is None:
                    walk = _Walk(self)
                walk.left -= looked
                looked = 0
                copy[key] = _redact(value, 0, walk)
        return copy

    def redacted_settings(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        """Fields from configuration (``OTELKIT_STATIC_FIELDS``, ``OTEL_RESOURCE_ATTRIBUTES``),
        redacted by the policy: they are written on every line and every export."""
        return {
            key: REDACTED if self.is_secret(key) else _redact(value, 0, _Walk(self))
            for key, value in fields.items()
        }

    def redact_value(self, value: Any) -> Any:
        """``value`` (any type) with its secrets redacted, for texts and containers alike."""
        return _redact(value, 0, _Walk(self)) if self.enabled else value

    def redact_read(self, value: Any) -> Any:
        """``value`` read back from a store anyone could write into (a log file, an X-Ray
        annotation, a ``/health`` body), redacted before the ``otelkit`` command prints it:
        always, whatever ``scrub`` says."""
        return _redact(value, 0, _Walk(self))


def compile_policy(scrub: bool, redact_keys: Iterable[str]) -> Redaction:
    """The policy of the ``scrub`` and ``redact_keys`` settings."""
    if scrub and not tuple(redact_keys):
        return DEFAULT
    return Redaction(enabled=scrub, extra_words=redact_keys)


#: The policy with no settings: the built-in words, redaction on.
DEFAULT = Redaction()


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


class _Walk:
    """One redaction pass: how many more values it may look at, and the containers on the
    path from the top (a container met again on its own path is a cycle)."""

    __slots__ = ("is_secret", "left", "path", "redact_text")

    def __init__(self, policy: Redaction) -> None:
        self.left = MAX_ITEMS
        self.path: set[int] = set()
        self.is_secret = policy.is_secret
        self.redact_text = policy._redact_text


def _redact_field(name: str, value: Any, depth: int, walk: _Walk) -> Any:
    if value is None or isinstance(value, bool):
        return value  # ``has_auth_token=True`` says whether, never what: nothing to leak
    if walk.is_secret(name):
        return REDACTED
    return _redact(value, depth, walk)


def _redact(value: Any, depth: int, walk: _Walk) -> Any:
    walk.left -= 1
    if isinstance(value, str):
        return walk.redact_text(value)
    if isinstance(value, (bool, float)) or value is None:
        return value
    if isinstance(value, int):
        # A card number passed as a number: only 13-19 digit integers can be one.
        if 10**12 <= abs(value) < 10**19:
            text = str(value)
            return value if walk.redact_text(text) == text else REDACTED
        return value
    if isinstance(value, (Mapping, list, tuple, set, frozenset)):
        return _redact_container(value, depth, walk)
    if isinstance(value, (bytes, bytearray)):
        text = bytes(value).decode("utf-8", "replace")
        redacted = walk.redact_text(text)
        return value if redacted == text else redacted
    return _redact_object(value, walk)


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
                _redact_key(key, walk): _redact_field(str(key), item, depth + 1, walk)
                for key, item in value.items()
            }
        items = [_redact_pair(item, depth + 1, walk) for item in value]
        return items if isinstance(value, list) else tuple(items)
    finally:
        path.discard(id(value))


def _redact_key(key: Any, walk: _Walk) -> Any:
    """A mapping's key is text too: a token used as a key (``{"ghp_…": "ann"}``) is shown
    as the marker."""
    if isinstance(key, str):
        return walk.redact_text(key)
    return key


def _redact_pair(item: Any, depth: int, walk: _Walk) -> Any:
    """A list item; a ``(name, value)`` pair (headers as a list of tuples or of two-item
    lists) is a field."""
    if isinstance(item, (tuple, list)) and len(item) == 2 and isinstance(item[0], (str, bytes)):
        name = item[0].decode("latin-1") if isinstance(item[0], bytes) else item[0]
        pair = (item[0], _redact_field(name, item[1], depth, walk))
        return pair if isinstance(item, tuple) else list(pair)
    return _redact(item, depth, walk)


def _redact_object(value: Any, walk: _Walk) -> Any:
    """Any other object is shown by its ``str()``: redact that text when it holds a secret
    (a dataclass's ``password='…'`` repr, an exception's message)."""
    try:
        text = str(value)
    except Exception:
        return value  # the renderers' fallback deals with objects that cannot be shown
    redacted = walk.redact_text(text)
    return value if redacted == text else redacted
