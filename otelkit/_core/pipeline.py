"""The active pipeline: where spans, log records and metrics go right now, and the
settings every signal obeys on the way (redaction, propagation, debug-log buffering).

It is otelkit's one piece of configuration state: the frozen settings and everything
compiled from them (the redaction policy, the propagation policy, the log steps), built
once and never changed. ``configure()`` builds one from settings and
``testing.capture()`` builds an in-memory one; both hand it to ``activate``, which
switches everything at once, and ``capture()`` restores the previous one whole. A change
while running (``/metrics`` added by ``start_http_server``) is a new pipeline, swapped in
whole. Hot paths read ``current()`` once per call and never lock.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from otelkit._core import switch as _switch
from otelkit._redaction.scrub import DEFAULT as DEFAULT_REDACTION
from otelkit._redaction.scrub import Redaction
from otelkit._values.propagation_policy import Policy

if TYPE_CHECKING:  # the settings table loads with the first configure(), not on import
    from otelkit._config.settings import Settings

LogSink = Callable[[dict[str, Any]], None]
# A step every record passes before it is prepared: returns the record to write (the same
# one, or a copy with fields added) or None to write nothing (error aggregation).
RecordControl = Callable[[logging.LogRecord], "logging.LogRecord | None"]
# A step that adjusts a prepared record's event and OTLP attributes in place (line caps).
EventShaper = Callable[[dict[str, Any] | None, dict[str, Any] | None], None]
# One of the log steps (``_logs.steps``): adds its part to the line being made.
LogStep = Callable[[Any], None]
# One of the log outputs (``_logs.steps.OUTPUTS``): writes a made line somewhere.
LogOutput = Callable[[Any, "Pipeline"], None]


# Compared by identity (swapped whole) and never printed whole: no ``__eq__`` or
# ``__repr__`` to compile at a cold start.
@dataclass(frozen=True, eq=False, repr=False)
class Pipeline:
    """Everything a signal needs to know to leave the process.

    Attributes:
        settings: the settings it was built from; None before any ``configure()``.
        service: ``service.name``, repeated on every log line.
        environment: ``deployment.environment``, repeated on every log line.
        static_fields: deployment facts (hostname, region…) on every log line.
        line_fields: returns fields that change while the process runs (its memory_mb…),
            put on every log line after the static fields; None: no such fields.
        level: the root log level.
        render: turns a log event into one line for stdout, or None for no stdout lines.
        otel_loggers: returns the OTel logger for a stdlib logger name, or None when log
            records are not exported over OTLP.
        sinks: extra receivers of every log event (``testing.capture`` uses one).
        tracer_provider / meter_provider: SDK providers switched in behind the globals;
            None for a logs-only pipeline, whose spans and metrics go nowhere.
        flush / close: force-flush and shut down the providers; return success.
        record_controls: steps each record passes first, in order (may drop it).
        shape_event: adjusts each prepared event and OTLP attributes (line caps).
        log_steps: the steps that make a log line, in order (``_logs.steps.STEPS``, those
            this pipeline's outputs need); none: no line is made.
        log_outputs: where a made line is written, in order (``_logs.steps.OUTPUTS``:
            stdout, the sinks, OTLP, those this pipeline has).
        max_message_chars: the cap on the OTLP LogRecord body, as on the line's message.
        error_aggregator: the ``ErrorAggregator`` among the record controls, if any
            (``/stats`` lists its top errors).
        redaction: the redaction policy (``scrub``, ``redact_keys``), compiled.
        propagation: where trace context and IDs may go, which IDs never leave.
        log_buffer_capacity: DEBUG records held back per unit of work; 0: no buffering.
        prometheus_text: renders the metrics in the Prometheus text format (``/metrics``);
            None without the Prometheus reader.
        service_version: ``service.version``, shown by ``/health``.
        lambda_single_record: ``link`` or ``continue``: whether a Lambda invocation for
            one SQS/SNS record starts a new trace linked to the producer, or continues it.
        log_sample_rate: share of units of work whose INFO-and-below lines are written
            as they happen; the others hold them back until an error.
        slow_request_ms: HTTP requests slower than this write a "Slow request" line.
        request_field_aliases: "Request completed" also carries ``endpoint``,
            ``status_code``, ``duration`` and ``event``.
    """

    settings: Settings | None = None
    service: str = "unknown_service"
    environment: str = "dev"
    static_fields: Mapping[str, str] = field(default_factory=dict)
    line_fields: Callable[[], Mapping[str, Any]] | None = None
    level: int = logging.INFO
    render: Callable[[dict[str, Any]], str] | None = None
    otel_loggers: Callable[[str], Any] | None = None
    sinks: tuple[LogSink, ...] = ()
    tracer_provider: Any = None
    meter_provider: Any = None
    flush: Callable[[float], bool] = lambda timeout: True
    close: Callable[[float], None] = lambda timeout: None
    record_controls: tuple[RecordControl, ...] = ()
    shape_event: EventShaper | None = None
    log_steps: tuple[LogStep, ...] = ()
    log_outputs: tuple[LogOutput, ...] = ()
    max_message_chars: int | None = None
    error_aggregator: Any = None
    redaction: Redaction = DEFAULT_REDACTION
    propagation: Policy = field(default_factory=Policy)
    log_buffer_capacity: int = 0
    lambda_single_record: str = "link"
    log_sample_rate: float = 1.0
    slow_request_ms: float | None = None
    request_field_aliases: bool = False
    prometheus_text: Callable[[], bytes] | None = None
    service_version: str | None = None
    #: Whether anything leaves over the network (OTLP): on Lambda only then is the
    #: post-response extension worth registering.
    exports: bool = False
    #: Whether a Lambda HTTP invocation writes the request lines and HTTP metrics.
    lambda_request_telemetry: bool = True

    @property
    def handler_level(self) -> int:
        """The root logger's level: DEBUG while buffering, so the handler can hold those
        records back; else ``level``."""
        return logging.DEBUG if self.log_buffer_capacity else self.level

    def without_exports(self) -> Pipeline:
        """This pipeline's log lines and settings, with no providers: after ``shutdown()``."""
        plain = Pipeline()
        return replace(
            self,
            otel_loggers=None,
            tracer_provider=None,
            meter_provider=None,
            flush=plain.flush,
            close=plain.close,
        )


_active = Pipeline()
#: The pipeline before any ``configure()``: stdlib defaults, nothing exported.
UNCONFIGURED = _active


def current() -> Pipeline:
    """The pipeline signals go to now."""
    return _active


def activate(pipeline: Pipeline) -> Pipeline:
    """Route every signal to ``pipeline``; return the one it replaces."""
    global _active
    previous, _active = _active, pipeline
    if (
        pipeline.tracer_provider is not None
        and pipeline.tracer_provider is previous.tracer_provider
        and pipeline.meter_provider is previous.meter_provider
    ):
        return previous  # the same providers (a pipeline swapped for its successor)
    if pipeline.tracer_provider is not None:
        _switch.connect(pipeline.tracer_provider, pipeline.meter_provider)
    else:  # logs only (before configure, after shutdown): spans and metrics go nowhere
        _switch.disconnect()
    return previous


def swap(old: Pipeline, new: Pipeline) -> bool:
    """Activate ``new`` in place of ``old`` if ``old`` is still the active pipeline (a
    change made while running); False when another took its place meanwhile."""
    if _active is not old:
        return False
    activate(new)
    return True
