"""CloudWatch's rules for what an EMF document may name, and otelkit's policy past them.

The rules (CloudWatch ``PutMetricData``, ``Dimension`` and the EMF specification):

- a namespace is 1-255 ASCII characters from ``0-9A-Za-z . - _ / # :`` and space, holds
  at least one non-space character, does not start with ``:`` and never with ``AWS/``
  (reserved for AWS services);
- a metric name is 1-255 ASCII characters, not all whitespace;
- a dimension name is 1-255 ASCII characters, not all whitespace, no control character,
  not starting with ``:``, and not ``_aws`` (the member that holds the document's
  metadata: a dimension of that name replaced it, and the line was no longer EMF); a
  dimension value is 1-1,024 such characters;
- a document holds at most 30 dimensions in a set and 100 metrics;
- ``StorageResolution`` is 1 (high resolution) or 60 (the default).

The policy, the same for every call and every run:

- a bad namespace is the caller's error: ``configure()`` raises ``ValueError`` (the
  setting parsers are in ``otelkit._config.emf_parsers``);
- a metric name CloudWatch refuses (only an instrumentation's can be: ``count()`` and the
  others refuse them at the call) keeps the instrument's points out of EMF;
- a dimension *name* CloudWatch refuses drops the point (a name is code, and inventing
  another one would file the value under a dimension nobody asked for);
- a dimension *value* is coerced: characters outside printable ASCII become ``\\x..`` /
  ``\\u....`` escapes, a blank value becomes ``(blank)``, and it is cut at 1,024 characters.

Each drop or coercion is reported once per kind on stderr and counted in the drop
accounts; under ``OTELKIT_STRICT=1`` it raises ``ValueError`` instead.
"""

from __future__ import annotations

import re

from otelkit._core import safety as _safety

MAX_NAME = 255
MAX_DIMENSION_VALUE = 1024
MAX_DIMENSIONS = 30
MAX_METRICS_PER_DOCUMENT = 100
BLANK_VALUE = "(blank)"
#: Members of an EMF document's root that no dimension (or metric) may be named.
RESERVED_ROOT_MEMBERS = frozenset({"_aws"})

# Printable ASCII: what a dimension name or value may hold as it is.
_PRINTABLE = re.compile(r"[ -~]*")


def metric_name_ok(name: str) -> bool:
    """Whether CloudWatch takes ``name`` as a metric name (``otelkit.count`` and friends
    check their stricter grammar at the call; this covers instruments an instrumentation
    makes through the API). If not, says so (a ``ValueError`` when strict) and the
    instrument's points are not written as EMF."""
    fits = 0 < len(name) <= MAX_NAME and name.strip() and name not in RESERVED_ROOT_MEMBERS
    if fits and _PRINTABLE.fullmatch(name):
        return True
    _safety.reject(
        "EMF metric name",
        f"metric name {name[:80]!r} is not one CloudWatch takes (1-{MAX_NAME} printable "
        "ASCII characters, not blank); its points are not written as EMF",
        "metrics",
    )
    return False


def dimension_name_ok(metric: str, name: str) -> bool:
    """Whether CloudWatch takes ``name`` as a dimension name; if not, says so (a
    ``ValueError`` when strict) and the caller drops the point."""
    fits = 0 < len(name) <= MAX_NAME and name.strip() and not name.startswith(":")
    if fits and name not in RESERVED_ROOT_MEMBERS and _PRINTABLE.fullmatch(name):
        return True
    _safety.reject(
        "EMF dimension name",
        f"metric {metric!r} has dimension name {name[:80]!r}, which CloudWatch refuses "
        f"(1-{MAX_NAME} printable ASCII characters, not blank, not starting with ':', "
        "not '_aws'); the point is not written as EMF",
        "metrics",
    )
    return False


def dimension_value(metric: str, name: str, value: str) -> str:
    """``value`` as CloudWatch takes it: printable ASCII, not blank, at most 1,024
    characters. A coerced value is reported (a ``ValueError`` when strict)."""
    if value.strip() and len(value) <= MAX_DIMENSION_VALUE and _PRINTABLE.fullmatch(value):
        return value  # the common case, decided by one regex
    if not value.strip():
        _safety.reject(
            "EMF dimension value (blank)",
            f"metric {metric!r} dimension {name} is blank; written as {BLANK_VALUE!r}",
            "metrics",
        )
        return BLANK_VALUE
    coerced = value
    if not _PRINTABLE.fullmatch(coerced):
        coerced = "".join(map(_printable, coerced))
        _safety.reject(
            "EMF dimension value (not printable ASCII)",
            f"metric {metric!r} dimension {name} holds characters CloudWatch refuses; "
            "they are written as \\x.. / \\u.... escapes",
            "metrics",
        )
    if len(coerced) > MAX_DIMENSION_VALUE:
        _safety.reject(
            "EMF dimension value (too long)",
            f"metric {metric!r} dimension {name} has {len(coerced)} characters; "
            f"cut at {MAX_DIMENSION_VALUE}",
            "metrics",
        )
        coerced = coerced[:MAX_DIMENSION_VALUE]
    return coerced


def _printable(char: str) -> str:
    """``char`` if printable ASCII, else its Python escape (``\\xe9``, ``\\u20ac``), which
    says what the character was."""
    if " " <= char <= "~":
        return char
    return (
        char.encode("ascii", "backslashreplace").decode()
        if ord(char) > 127
        else f"\\x{ord(char):02x}"
    )
