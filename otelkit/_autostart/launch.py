"""Setting otelkit up in a program started by ``otelkit run``, before its first line."""

from __future__ import annotations

import sys


def launch() -> None:
    """With ``opentelemetry-instrumentation`` installed, the upstream auto-instrumentation
    with otelkit as distro and configurator (every installed instrumentor); without it,
    otelkit's pipeline and its own integrations. A failure is said, never fatal."""
    try:
        try:
            from otelkit._distro import start
        except ImportError:  # no opentelemetry-instrumentation: otelkit alone
            from otelkit import configure
            from otelkit._values import semconv as _semconv

            _semconv.prefer_stable()
            configure()
            return
        start()
    except Exception as exc:  # the program runs anyway, as with opentelemetry-instrument
        from otelkit._core.report_lines import redacted  # late: only when it failed

        sys.stderr.write(f"otelkit run: telemetry not set up: {redacted(exc)}\n")
