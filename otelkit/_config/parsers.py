"""Parsers for settings: each turns an argument or an environment variable's text into a
typed value, or raises ``ValueError`` naming where the value came from.

A parser is called as ``parse(source, value)``: ``source`` is ``"LOG_LEVEL"`` or
``"configure(log_level=...)"``; ``value`` is the variable's text or the argument as given.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from otelkit._values.keys import ID_KEY_PATTERN, RESERVED_FIELD_NAMES

T = TypeVar("T")
Parser = Callable[[str, Any], T]

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def text(source: str, value: Any) -> str:
    """Any value, as text."""
    return str(value)


def nonblank(source: str, value: Any) -> str:
    """Text that names something (a service, an environment): not empty or blank, since
    an empty ``service.name`` makes nameless X-Ray segments and an empty Loki label."""
    found = str(value).strip()
    if not found:
        raise ValueError(f"{source}={value!r} must not be empty")
    return found


def url(source: str, value: Any) -> str:
    """An ``http://`` or ``https://`` URL, without a trailing slash."""
    found = str(value).strip()
    if not found.startswith(("http://", "https://")):
        raise ValueError(
            f"{source}={found!r} must be a URL starting with http:// or "
            "https:// (for example http://localhost:4318)"
        )
    return found.rstrip("/")


def flag(source: str, value: Any) -> bool:
    """A bool, or the text ``true/false``, ``1/0``, ``yes/no``, ``on/off``."""
    if isinstance(value, bool):
        return value
    lowered = str(value).strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(f"{source}={value!r} is not a boolean (use true or false)")


def choice(choices: tuple[str, ...], *, upper: bool = False) -> Parser[str]:
    """A parser for one of ``choices``, compared without regard to case."""

    def parse(source: str, value: Any) -> str:
        normal = str(value).strip()
        normal = normal.upper() if upper else normal.lower()
        if normal not in choices:
            raise ValueError(f"{source}={value!r} is not one of {', '.join(choices)}")
        return normal

    return parse


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_level_name = choice(LOG_LEVELS, upper=True)


def level(source: str, value: Any) -> str:
    """A level name (``WARN`` too) or a ``logging`` constant such as ``logging.DEBUG``."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = logging.getLevelName(value)
    if isinstance(value, str) and value.strip().upper() == "WARN":
        value = "WARNING"
    return _level_name(source, value)


def _number(source: str, value: Any, check: Callable[[float], bool], expected: str) -> float:
    if isinstance(value, bool):
        raise ValueError(f"{source}={value!r} is not a number")
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: an int past 1e308
        raise ValueError(f"{source}={value!r:.80} is not a number") from None
    if not check(number):
        raise ValueError(f"{source}={value!r} must be {expected}")
    return number


def ratio(source: str, value: Any) -> float:
    """A number from 0.0 to 1.0."""
    return _number(source, value, lambda n: 0.0 <= n <= 1.0, "between 0.0 and 1.0")


def positive(source: str, value: Any) -> float:
    """A number greater than 0."""
    return _number(source, value, lambda n: n > 0, "greater than 0")


def whole(minimum: int) -> Parser[int]:
    """A parser of whole numbers of at least ``minimum``."""

    def parse(source: str, value: Any) -> int:
        return int(
            _number(
                source,
                value,
                lambda n: n.is_integer() and n >= minimum,
                f"a whole number of at least {minimum}",
            )
        )

    return parse


def rate(source: str, value: Any) -> float:
    """A finite number of at least 0 (a rate per second)."""
    return _number(
        source, value, lambda n: 0.0 <= n < float("inf"), "a finite number of at least 0"
    )


def port(source: str, value: Any) -> int:
    """A TCP port, 0-65535 (0: any free port)."""
    return int(
        _number(
            source,
            value,
            lambda n: n.is_integer() and 0 <= n <= 65535,
            "a port number from 0 to 65535",
        )
    )


def _split(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


def names(source: str, value: Any) -> tuple[str, ...]:
    """A comma-separated string or a list of strings."""
    if isinstance(value, str):
        return _split(value)
    if not isinstance(value, (list, tuple, set, frozenset)) or not all(
        isinstance(item, str) for item in value
    ):
        raise ValueError(
            f"{source}={value!r} must be a comma-separated string or a list of strings"
        )
    return tuple(value)


def trusted_callers(source: str, value: Any) -> tuple[str, ...]:
    """``private``, ``all``, ``none`` or addresses and networks: checked now, so a typo
    fails ``configure()`` rather than trusting everyone."""
    from otelkit._values.trust import build_trust

    entries = names(source, value)
    try:
        build_trust(entries)
    except ValueError as exc:
        raise ValueError(f"{source}={value!r}: {exc}") from None
    return entries


def lowercase_names(source: str, value: Any) -> tuple[str, ...]:
    """Like ``names``, lower-cased."""
    return tuple(name.lower() for name in names(source, value))


def fields(source: str, value: Any) -> dict[str, str]:
    """``k=v,k=v`` text or a mapping of snake_case keys to strings (static log fields)."""
    if isinstance(value, Mapping):
        pairs = [(str(k), v) for k, v in value.items()]
    else:
        pairs = []
        for item in _split(str(value)):
            key, sep, found = item.partition("=")
            if not sep:
                raise ValueError(f"{source}: {item!r} is not key=value")
            pairs.append((key.strip(), found.strip()))
    result: dict[str, str] = {}
    for key, found in pairs:
        if not ID_KEY_PATTERN.match(key) or not isinstance(found, str):
            raise ValueError(
                f"{source}: field {key}={found!r} needs a snake_case key and a string value"
            )
        if key in RESERVED_FIELD_NAMES:
            raise ValueError(f"{source}: {key!r} names a field every log line has")
        result[key] = found
    return result


def resource_attribute(key: str, *also: str) -> Callable[[str, str], str | None]:
    """An ``EnvAlias`` translation: the value of ``key`` (or, failing it, of ``also``) in
    ``OTEL_RESOURCE_ATTRIBUTES`` text (``k=v,k=v``, values percent-encoded), or None."""
    from urllib.parse import unquote

    def translate(source: str, value: str) -> str | None:
        found: dict[str, str] = {}
        for item in value.split(","):
            name, sep, text_value = item.partition("=")
            if sep:
                found[name.strip()] = unquote(text_value.strip())
        for wanted in (key, *also):
            if found.get(wanted):
                return found[wanted]
        return None

    return translate


def millis_as_seconds(source: str, value: str) -> float:
    """An ``EnvAlias`` translation: OpenTelemetry's timeouts are milliseconds."""
    return _number(source, value, lambda n: n > 0, "greater than 0 (milliseconds)") / 1000


def choices(allowed: tuple[str, ...]) -> Parser[tuple[str, ...]]:
    """A parser for a comma-separated list (or a list) of names from ``allowed``."""

    def parse(source: str, value: Any) -> tuple[str, ...]:
        found = lowercase_names(source, value)
        unknown = [name for name in found if name not in allowed]
        if unknown or not found:
            raise ValueError(
                f"{source}={value!r}: {', '.join(unknown) or 'nothing'} is not one of "
                f"{', '.join(allowed)}"
            )
        return found

    return parse
