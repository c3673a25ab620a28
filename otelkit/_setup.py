"""``configure``, ``flush`` and ``shutdown``: setting up and tearing down the pipeline.

The SDK is imported by the first ``configure()``, not by ``import otelkit``.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
import time
from collections.abc import Iterable, Mapping
from typing import Any

from otelkit._config.settings import Settings, resolve
from otelkit._core import pipeline as _pipeline
from otelkit._logs import handler as _logging
from otelkit._process import sigterm as _sigterm

#: The longest the interpreter's exit waits for the last export, unless the
#: ``exit_timeout`` setting says otherwise. A collector on the same host answers in
#: milliseconds; a dead one must not hold every exit.
EXIT_TIMEOUT = 0.5

_lock = threading.RLock()
_configured: _pipeline.Pipeline | None = None
_atexit_registered = False
_closing: list[threading.Thread] = []  # replaced pipelines still delivering what they held


def configure(
    *,
    service_name: str | None = None,
    service_version: str | None = None,
    environment: str | None = None,
    endpoint: str | None = None,
    traces_endpoint: str | None = None,
    logs_endpoint: str | None = None,
    aws_sigv4: bool | None = None,
    protocol: str | None = None,
    console: bool | None = None,
    log_level: str | int | None = None,
    log_format: str | None = None,
    log_stdout: bool | None = None,
    log_buffer: bool | None = None,
    emf_namespace: str | None = None,
    emf_storage_resolution: int | None = None,
    emf_stage_dimension: bool | None = None,
    instrument: Iterable[str] | str | None = None,
    sample_rate: float | None = None,
    sample_min_per_second: float | None = None,
    slow_request_ms: float | None = None,
    request_field_aliases: bool | None = None,
    resource_detectors: Iterable[str] | str | None = None,
    propagate_to: Iterable[str] | str | None = None,
    private_ids: Iterable[str] | str | None = None,
    static_fields: Mapping[str, str] | str | None = None,
    scrub: bool | None = None,
    redact_keys: Iterable[str] | str | None = None,
    trusted_callers: Iterable[str] | str | None = None,
    trusted_proxies: Iterable[str] | str | None = None,
    untrusted_correlation_ids: str | None = None,
    export_timeout: float | None = None,
    on_full: str | None = None,
    on_full_timeout: float | None = None,
    exit_timeout: float | None = None,
    max_message_chars: int | None = None,
    max_field_chars: int | None = None,
    max_line_chars: int | None = None,
    error_dedup_every: int | None = None,
    lambda_single_record: str | None = None,
    log_sample_rate: float | None = None,
    platform_fields: bool | None = None,
    resource_fields: bool | None = None,
    metrics_port: int | None = None,
    metrics_host: str | None = None,
    prometheus: bool | None = None,
    system_metrics: bool | None = None,
) -> None:
    """Set up traces, metrics and logs for this process. Safe to call again: it re-configures.

    Every keyword is a setting of ``otelkit._config.settings.Settings`` and has environment
    variables (see the configuration reference); an argument other than None wins over the
    environment. With no endpoint nothing touches the network: logs go to stdout, spans
    and metrics to the console.

    Raises:
        ValueError: an option or environment variable has an invalid value.
        ImportError: an explicitly requested integration or protocol is not installed.
    """
    options = dict(locals())
    settings = resolve(options)  # the keywords, by name: exactly the table's settings
    with _lock:
        _activate(settings)
    if settings.metrics_port is not None:
        from otelkit.runtime import serve_configured

        serve_configured(settings.metrics_port, settings.metrics_host)


def _activate(settings: Settings, resource: Any = None) -> None:
    """Build the pipeline for ``settings`` and switch to it (under ``_lock``)."""
    global _configured, _atexit_registered
    # Imported here, not at the top: ``import otelkit`` must stay cheap for libraries.
    from opentelemetry import propagate

    from otelkit import _integrations
    from otelkit._correlation import propagation as _propagation
    from otelkit._metering import system_metrics as _system_metrics
    from otelkit._sdk import providers
    from otelkit._values import semconv as _semconv

    pipeline = providers.build(settings, resource)
    propagate.set_global_textmap(_propagation.OtelkitPropagator(settings.propagators))
    previous, _configured = _configured, pipeline
    _pipeline.activate(pipeline)
    _logging.install(pipeline.handler_level, owns_stdout=pipeline.render is not None)
    _semconv.prefer_stable()  # before an upstream instrumentation starts
    _integrations.enable(settings.instrument)
    _system_metrics.enable(settings.system_metrics, pipeline.meter_provider)
    if previous is not None:  # drain it in the background: re-configuring never waits
        closing = threading.Thread(
            target=previous.close,
            args=(settings.export_timeout,),
            name="otelkit-close",
            daemon=True,
        )
        closing.start()
        # shutdown() waits for it: what the old pipeline held counts as much as the new.
        _closing[:] = [*(t for t in _closing if t.is_alive()), closing]
    if not _atexit_registered:
        atexit.register(_shutdown_at_exit)
        _atexit_registered = True
    _sigterm.install(shutdown, _exit_timeout)


def _exit_timeout() -> float:
    """The ``exit_timeout`` setting of the pipeline configured now."""
    configured = _configured
    settings = configured.settings if configured is not None else None
    return settings.exit_timeout if settings is not None else EXIT_TIMEOUT


def _shutdown_at_exit() -> None:
    shutdown(_exit_timeout())


class _ForkedWorker:
    """A key for multiprocessing's after-fork registry (it holds its keys weakly)."""


_FORKED_WORKER = _ForkedWorker()


def _start_afresh_in_forked_child() -> None:
    """A forked child (a gunicorn or uvicorn worker, a multiprocessing worker) gets its
    own pipeline. The parent's queued items, metric sums and export threads are the
    parent's: exporting them again would report the parent's counts twice, and its
    threads do not exist here. The child builds the same pipeline from the same settings,
    with the parent's resource (the platform has not changed)."""
    global _lock, _configured
    _lock = threading.RLock()  # another thread may have held it at the fork
    _closing.clear()  # the parent's to finish
    inherited, _configured = _configured, None
    if inherited is None or inherited.settings is None:
        return
    from otelkit._core import drops as _drops

    _drops.reset()  # the parent's drops are the parent's to report
    try:
        provider = inherited.tracer_provider
        # The parent's resource if it made one; not made now (detection may wait on the
        # network): a child whose spans go nowhere makes its own only if it needs one.
        resource = (
            provider.made_resource
            if hasattr(type(provider), "made_resource")
            else getattr(provider, "resource", None)
        )
        with _lock:
            _activate(inherited.settings, resource)
    except Exception as exc:  # the child must run even if its telemetry cannot
        from otelkit._core.safety import report_internal_error

        report_internal_error("otelkit in a forked child", exc)
        return
    workers = sys.modules.get("multiprocessing.util")
    if workers is not None:
        # Fork-started multiprocessing workers leave through os._exit: no atexit. Their
        # finalizers do run, but the registry is cleared when the worker starts, so the
        # flush is registered from an after-fork hook, which runs after that.
        workers.register_after_fork(_FORKED_WORKER, _flush_when_worker_ends)


def _flush_when_worker_ends(_: object) -> None:
    from multiprocessing import util

    util.Finalize(None, _shutdown_at_exit, exitpriority=0)  # the ``exit_timeout`` setting


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_start_afresh_in_forked_child)


def flush(timeout: float = 5.0) -> bool:
    """Export everything buffered in traces, metrics and logs; False if it did not finish."""
    sys.stdout.flush()
    return _pipeline.current().flush(timeout)


def shutdown(timeout: float = 5.0) -> None:
    """Flush and stop every signal; returns within ``timeout`` even if the collector is down."""
    with _sigterm.shutting_down():  # a SIGTERM meanwhile must not start a second one
        _shut_down(timeout)


def _shut_down(timeout: float) -> None:
    global _configured
    servers = sys.modules.get("otelkit.runtime")  # loaded only if one was started
    if servers is not None:
        servers.stop_all()
    system_metrics = sys.modules.get("otelkit._metering.system_metrics")
    if system_metrics is not None:
        system_metrics.disable()
    deadline = time.monotonic() + timeout
    with _lock:
        pipeline, _configured = _configured, None
        if pipeline is not None:
            # The active pipeline is this one, or its successor with the same providers
            # (``/metrics`` added while running): either way, not through closed ones.
            if _pipeline.current().tracer_provider is pipeline.tracer_provider:
                _pipeline.activate(_pipeline.current().without_exports())
            pipeline.close(timeout)
        closing, _closing[:] = list(_closing), []
    for thread in closing:  # pipelines replaced by a re-configure, within the same budget
        thread.join(max(0.0, deadline - time.monotonic()))
    sys.stdout.flush()
