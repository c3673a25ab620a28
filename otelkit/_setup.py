"""``configure``, ``flush`` and ``shutdown``: setting up and tearing down the pipeline.

The SDK is imported by the first ``configure()``, not by ``import otelkit``.
"""

from __future__ import annotations

import atexit
import dataclasses
import logging
import os
import sys
import threading
from collections.abc import Iterable
from typing import Any

from otelkit import _log_buffer, _logging, _pipeline, _scrub
from otelkit._settings import flag_from_env, resolve

#: The most DEBUG records one unit of work holds back when ``log_buffer`` is on.
LOG_BUFFER_CAPACITY = 200

_lock = threading.RLock()
_configured: _pipeline.Pipeline | None = None
_atexit_registered = False


def configure(
    *,
    service_name: str | None = None,
    service_version: str | None = None,
    environment: str | None = None,
    endpoint: str | None = None,
    console: bool | None = None,
    log_level: str | None = None,
    log_format: str | None = None,
    instrument: Iterable[str] | None = None,
    sample_rate: float | None = None,
    **options: Any,
) -> None:
    """Set up traces, metrics and logs for this process. Safe to call again: it re-configures.

    Every argument has an environment variable (see the configuration reference); an
    argument wins over the environment. With no endpoint nothing touches the network:
    logs go to stdout, spans and metrics to the console.

    Raises:
        ValueError: an option or environment variable has an invalid value.
        ImportError: an explicitly requested integration or protocol is not installed.
    """
    given = dict(service_name=service_name, service_version=service_version,
                 environment=environment, endpoint=endpoint, console=console,
                 log_level=log_level, log_format=log_format, sample_rate=sample_rate,
                 instrument=instrument, **options)
    settings = resolve(given)
    global _configured, _atexit_registered
    with _lock:
        if flag_from_env("OTEL_SDK_DISABLED", os.environ, default=False):
            settings = dataclasses.replace(settings, endpoint=None, console=False)
        # Imported here, not at the top: ``import otelkit`` must stay cheap for libraries.
        from opentelemetry import propagate

        from otelkit import _integrations, _propagation, _providers

        pipeline = _providers.build(settings)
        _scrub.set_enabled(settings.scrub)
        _scrub.set_extra_words(settings.redact_keys)
        _propagation.set_policy(_propagation.build_policy(
            settings.propagate_to, settings.private_ids, settings.trusted_callers))
        propagate.set_global_textmap(_propagation.OtelkitPropagator())
        previous, _configured = _configured, pipeline
        _pipeline.activate(pipeline)
        # Buffering needs DEBUG records to reach the handler, which holds them back.
        buffering = settings.log_buffer and pipeline.level > logging.DEBUG
        _log_buffer.configure(buffering, LOG_BUFFER_CAPACITY)
        _logging.install(logging.DEBUG if buffering else pipeline.level,
                         owns_stdout=pipeline.render is not None)
        _integrations.enable(settings.instrument)
        if previous is not None:  # drain it in the background: re-configuring never waits
            threading.Thread(target=previous.close, args=(settings.export_timeout,),
                             name="otelkit-close", daemon=True).start()
        if not _atexit_registered:
            atexit.register(shutdown)
            _atexit_registered = True


def flush(timeout: float = 5.0) -> bool:
    """Export everything buffered in traces, metrics and logs; False if it did not finish."""
    sys.stdout.flush()
    return _pipeline.current().flush(timeout)


def shutdown(timeout: float = 5.0) -> None:
    """Flush and stop every signal; returns within ``timeout`` even if the collector is down."""
    global _configured
    with _lock:
        pipeline, _configured = _configured, None
        if pipeline is None:
            return
        if _pipeline.current() is pipeline:
            _pipeline.activate(_pipeline.Pipeline(render=pipeline.render,
                                                  service=pipeline.service,
                                                  environment=pipeline.environment,
                                                  level=pipeline.level))
        pipeline.close(timeout)
        sys.stdout.flush()
