"""Error aggregation: identical errors are written once in full, then every Nth time.

A failing dependency makes every request log the same error; a thousand identical lines say
no more than one line and a count. With ``error_dedup_every=N`` each ERROR-or-worse record
gets a fingerprint (exception type, message with its numbers, IDs and quoted values
normalised away, and the innermost frame of the application's own code) and:

- the first occurrence is written in full, with ``error_hash``, ``severity`` and ``count``;
- the next N-1 are not written; the Nth after the last line is, with ``count`` = N, the
  occurrences that line stands for;
- a fingerprint not seen for ``FINGERPRINT_TTL`` seconds is forgotten, so its next
  occurrence is written in full again; at most ``MAX_FINGERPRINTS`` are kept.

Records that stand for one unit of work each (``JOB_FAILED`` and other ``event()``
records, and the HTTP middleware's "Request completed") are fingerprinted and counted but
always written: per-request and per-job queries must still see every failure. Only log
lines are aggregated: spans record every exception, and the ``Errors`` counter counts
every occurrence by ``error_type`` (the first ``MAX_ERROR_TYPES`` types by name, later
ones as ``other``) and ``severity``.
"""

from __future__ import annotations

import copy
import logging
import re
import sysconfig
import threading
import time
import traceback
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from otelkit._core.pipeline import current
from otelkit._logs.event import FIELDS_ATTR, ONE_PER_UNIT_ATTR

#: Seconds after its last occurrence that a fingerprint is forgotten.
FINGERPRINT_TTL = 3600.0
#: Most fingerprints remembered at once; the least recently seen make room.
MAX_FINGERPRINTS = 1000
#: Most distinct ``error_type`` values the ``Errors`` counter uses before ``other``.
MAX_ERROR_TYPES = 50
SEVERITIES = ("low", "medium", "high", "critical")

#: Characters of a message the fingerprint looks at, cut before any pattern runs: a
#: fingerprint keeps 300, and outside text (``float(user_input)``'s message) can be any length.
SCANNED_CHARS = 1200
#: Characters of the normalised message kept in the fingerprint.
MESSAGE_CHARS = 300
_DIGITS = frozenset("0123456789")
# Variable parts of a message, most specific first: one error, one fingerprint. Every run is
# possessive (``++``) and starts only at a word boundary, so each character is scanned a
# bounded number of times (the backtracking hex pattern took 13.6 s on 32,000 digits).
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
_HEX_WORD = re.compile(r"\b(?:0x[0-9a-f]++|[0-9a-f]++)\b", re.I)
_QUOTED = re.compile(r"'[^']*+'|\"[^\"]*+\"")
_NUMBER = re.compile(r"\d++(?:\.\d++)?")


def _hex(match: re.Match[str]) -> str:
    """``<hex>`` for ``0x…`` and for hex words with a digit somewhere before a letter
    (``3fa9``, ``deadbeef1`` stays a word); the word itself otherwise."""
    word = match.group(0)
    if word[:2].lower() == "0x":
        return "<hex>"
    first_digit = next((i for i, char in enumerate(word) if char in _DIGITS), None)
    if first_digit is not None and any(c not in _DIGITS for c in word[first_digit + 1 :]):
        return "<hex>"
    return word


# Where library code lives: frames there are not "the application's code".
_LIBRARY_PATHS = tuple({sysconfig.get_paths()[name] for name in ("stdlib", "purelib", "platlib")})


def normalise(message: str) -> str:
    """``message`` with numbers, hex and UUIDs, and quoted values replaced by placeholders.

    The message is cut to ``SCANNED_CHARS`` first: the cost of a call is bounded whatever
    the length of the text it is given."""
    message = message[:SCANNED_CHARS]
    message = _UUID.sub("<id>", message)
    message = _HEX_WORD.sub(_hex, message)
    message = _QUOTED.sub("<str>", message)
    message = _NUMBER.sub("<n>", message)
    return message[:MESSAGE_CHARS]


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    found: dict[str, Any] | None = getattr(record, FIELDS_ATTR, None)
    return found or {}


def _top_frame(record: logging.LogRecord) -> str:
    """``file:function`` of the innermost application frame of the exception, or of the
    logging call when there is none. No line number: a fingerprint outlives a deploy."""
    exc = record.exc_info[1] if record.exc_info else None
    if exc is not None and exc.__traceback__ is not None:
        frames = traceback.extract_tb(exc.__traceback__)
        own = [f for f in frames if not f.filename.startswith(_LIBRARY_PATHS)] or frames
        if own:
            return f"{own[-1].filename}:{own[-1].name}"
    return f"{record.pathname}:{record.funcName}"


def severity_of(record: logging.LogRecord) -> str:
    """A ``severity`` field the caller gave, else the exception class's ``severity``
    attribute, else ``critical`` for CRITICAL records and ``high`` for the rest."""
    given = _fields(record).get("severity", getattr(record, "severity", None))
    if isinstance(given, str) and given.lower() in SEVERITIES:
        return given.lower()
    exc = record.exc_info[1] if record.exc_info else None
    declared = getattr(type(exc), "severity", None) if exc is not None else None
    if isinstance(declared, str) and declared.lower() in SEVERITIES:
        return declared.lower()
    return "critical" if record.levelno >= logging.CRITICAL else "high"


@dataclass
class Fingerprint:
    """What is known about one kind of error."""

    error_hash: str
    error_type: str
    message: str
    severity: str
    total: int = 0
    unwritten: int = 0  # occurrences since the last written line
    last_seen: float = 0.0


class ErrorAggregator:
    """The record control that fingerprints errors and holds back repeats.

    Args:
        every: write one line per ``every`` occurrences of a fingerprint (1: all of them,
            still fingerprinted and counted).
        count_error: records one occurrence in the ``Errors`` counter.
        clock: seconds, for expiry (tests pass a fake one).
    """

    def __init__(
        self,
        every: int,
        count_error: Callable[[str, str], None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.every = every
        self._count_error = count_error
        self._clock = clock
        self._lock = threading.Lock()
        self._known: OrderedDict[str, Fingerprint] = OrderedDict()
        self._types: set[str] = set()
        self._next_sweep = 0.0

    def __call__(self, record: logging.LogRecord) -> logging.LogRecord | None:
        if record.levelno < logging.ERROR:
            return record
        exc = record.exc_info[1] if record.exc_info else None
        fields = _fields(record)
        error_type = (
            type(exc).__name__
            if exc is not None
            else str(fields.get("error_type", record.levelname))
        )
        template = record.msg if isinstance(record.msg, str) else str(record.msg)
        template = template[:SCANNED_CHARS]  # never join or copy more than is looked at
        text = f"{template} {str(exc)[:SCANNED_CHARS]}" if exc is not None else template
        # Redacted before it is kept: ``/stats`` serves it, and two errors that differ only
        # by a secret are one error.
        message = normalise(current().redaction.redact_text(text))
        key = f"{error_type}|{message}|{_top_frame(record)}"
        import hashlib  # 2.5 ms (OpenSSL) at the first error line, not at every cold start

        error_hash = hashlib.blake2s(key.encode(), digest_size=4).hexdigest()
        severity = severity_of(record)
        lifecycle = "event_type" in fields or getattr(record, ONE_PER_UNIT_ATTR, False) is True
        write, count = self._note(error_hash, error_type, message, severity, lifecycle)
        self._count_error(self._type_dimension(error_type), severity)
        if not write:
            return None
        stamped = copy.copy(record)  # other handlers see the record unchanged
        stamped.error_hash = error_hash
        stamped.severity = severity
        stamped.count = count
        if "severity" in fields:  # the caller's spelling, normalised as in the counter
            setattr(stamped, FIELDS_ATTR, {**fields, "severity": severity})
        return stamped

    def _note(
        self, error_hash: str, error_type: str, message: str, severity: str, lifecycle: bool
    ) -> tuple[bool, int]:
        """Count one occurrence; return whether to write it and the count it carries.

        A lifecycle record is always written, standing for itself alone.
        """
        now = self._clock()
        with self._lock:
            if now >= self._next_sweep:
                self._forget_before(now - FINGERPRINT_TTL)
                self._next_sweep = now + min(60.0, FINGERPRINT_TTL)
            known = self._known.get(error_hash)
            if known is None or now - known.last_seen > FINGERPRINT_TTL:
                known = Fingerprint(error_hash, error_type, message, severity)
                self._known[error_hash] = known
                if len(self._known) > MAX_FINGERPRINTS:
                    self._known.popitem(last=False)
                first = True
            else:
                self._known.move_to_end(error_hash)
                first = False
            known.total += 1
            known.last_seen = now
            if lifecycle:
                return True, 1
            known.unwritten += 1
            if first or known.unwritten >= self.every:
                count, known.unwritten = known.unwritten, 0
                return True, count
            return False, known.unwritten

    def _forget_before(self, cutoff: float) -> None:
        while self._known:
            oldest = next(iter(self._known.values()))
            if oldest.last_seen >= cutoff:
                break
            self._known.popitem(last=False)

    def _type_dimension(self, error_type: str) -> str:
        if error_type in self._types:
            return error_type
        with self._lock:
            if len(self._types) < MAX_ERROR_TYPES:
                self._types.add(error_type)
                return error_type
        return "other"

    def top(self, limit: int = 10) -> list[dict[str, Any]]:
        """The most frequent live fingerprints, most frequent first (for ``/stats``)."""
        now = self._clock()
        with self._lock:
            live = [f for f in self._known.values() if now - f.last_seen <= FINGERPRINT_TTL]
        live.sort(key=lambda f: f.total, reverse=True)
        return [
            {
                "error_hash": f.error_hash,
                "error_type": f.error_type,
                "message": f.message,
                "severity": f.severity,
                "count": f.total,
                "seconds_since_last": round(now - f.last_seen, 3),
            }
            for f in live[:limit]
        ]

    def summary(self) -> dict[str, Any]:
        """Totals over the live fingerprints, by severity (the seed's ``errors`` block)."""
        live = self.top(MAX_FINGERPRINTS)
        by_severity: dict[str, int] = {}
        for item in live:
            by_severity[item["severity"]] = by_severity.get(item["severity"], 0) + item["count"]
        return {
            "total_unique_errors": len(live),
            "total_error_count": sum(by_severity.values()),
            "by_severity": by_severity,
        }


def build(every: int | None) -> ErrorAggregator | None:
    """The aggregator for ``error_dedup_every``, or None when aggregation is off."""
    if every is None:
        return None
    from otelkit._metering.metrics import count

    def count_error(error_type: str, severity: str) -> None:
        count("Errors", 1, error_type=error_type, severity=severity)

    return ErrorAggregator(every, count_error)
