"""Telemetry never breaks the host program.

An internal failure (a renderer choking on a field, an exporter misbehaving) is reported
once per place on stderr and swallowed. Under ``OTELKIT_STRICT=1``, which otelkit's own
test suite sets, it is re-raised instead, so a bug cannot hide behind the safety net.
"""

from __future__ import annotations

import threading

from otelkit._config.settings import from_environ
from otelkit._core.report_lines import write_report

_reported: set[str] = set()
_lock = threading.Lock()


def strict() -> bool:
    """Whether internal errors are re-raised (``OTELKIT_STRICT=1``), read each time: a test
    may turn it off for one test without re-configuring."""
    try:
        return bool(from_environ("strict"))
    except ValueError:  # a typo in a debugging switch must not turn into a new failure
        return False


def report_internal_error(where: str, exc: BaseException) -> None:
    """Report ``exc`` raised inside otelkit at ``where``: once on stderr, or re-raise if strict.

    stderr, not logging: the logging path may be the part that is failing.
    """
    if strict():
        raise exc
    with _lock:
        first = where not in _reported
        _reported.add(where)
    if first:
        write_report(
            f"internal error in {where} (reported once, telemetry continues): "
            f"{type(exc).__name__}: {exc}"  # write_report redacts every line
        )


def report_bad_input(where: str, detail: str) -> None:
    """Report input otelkit cannot use (a malformed message, a bad metric value) that it
    skipped: once per place on stderr, counted in the drop accounts, never raised.

    Unlike an internal error this is not otelkit's bug, so strict mode does not raise:
    the host program's data must never make its telemetry calls fail.
    """
    from otelkit._core import drops as _drops  # late: _drops reports through this module

    _drops.add("input", where)
    _once(where, f"skipped {where} (reported once): {detail}")


def reject(where: str, message: str, signal: str) -> None:
    """A call got a value it cannot record (a NaN metric value, a ``None`` dimension).

    Under strict mode a ``ValueError`` with ``message``; otherwise reported once per
    place on stderr, counted as dropped for ``signal``, and the caller drops or coerces.
    """
    if strict():
        raise ValueError(message)
    from otelkit._core import drops as _drops

    _drops.add(signal, where)
    _once(where, f"{message} (reported once per kind; dropped or coerced)")


def report_once(where: str, detail: str) -> None:
    """Report a problem outside otelkit (a full disk, a closed stdout) once on stderr;
    the caller counts what it cost in the drop accounts."""
    _once(where, f"{where} (reported once): {detail}")


def _once(where: str, message: str) -> None:
    with _lock:
        first = where not in _reported
        _reported.add(where)
    if first:
        write_report(message)
