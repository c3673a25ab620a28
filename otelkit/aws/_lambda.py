"""``lambda_handler``: a span per invocation, the trigger's trace context and IDs, a
cold-start flag and metric, and every signal flushed before the function freezes.

The invocation itself (span, context, record spans, result) is ``_invocation``; the
cold-start flag and the bounded flush are ``_lambda_lifecycle``.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any, TypeVar, overload

from otelkit._core import pipeline as _pipeline
from otelkit._core.safety import report_internal_error
from otelkit._logs.event import scope_fields
from otelkit._setup import configure
from otelkit.aws import _extension
from otelkit.aws._invocation import Invocation
from otelkit.aws._lambda_lifecycle import flush_within
from otelkit.aws._paths import compile_path

F = TypeVar("F", bound=Callable[..., Any])


def _configure_if_needed() -> None:
    """Configure from the environment when nothing else did: a function whose only
    otelkit line is the decorator still writes JSON lines and exports (``capture()``
    and an explicit ``configure()`` both count as configured)."""
    if _pipeline.current().tracer_provider is not None:
        return
    try:
        configure()
    except Exception as exc:  # a bad variable must not fail the function: say so, go on
        report_internal_error("lambda_handler (configure from the environment)", exc)


def _flush(invocation: Invocation, context: Any, extended: object) -> None:
    """Hand the invocation to the extension, which flushes after the response (when it
    was told of the start of ``extended``, a request ID); without one, flush now. Either
    way with the invocation's line fields bound: a drop report names the request."""
    if extended is not None and _extension.hand_over(extended, invocation.line_fields):
        return
    token = scope_fields.set(invocation.line_fields)
    try:
        flush_within(context)
    finally:
        scope_fields.reset(token)


@overload
def lambda_handler(func: F, /) -> F: ...


@overload
def lambda_handler(*, correlation_id_path: str | None = None) -> Callable[[F], F]: ...


def lambda_handler(func: F | None = None, /, *, correlation_id_path: str | None = None) -> Any:
    """Trace an AWS Lambda handler: ``@lambda_handler`` or ``@lambda_handler(...)``.

    Each invocation gets one span named after the function, with the FaaS semantic
    conventions (``faas.trigger``, ``faas.invocation_id``, ``faas.coldstart``,
    ``cloud.resource_id``, ``cloud.account.id``…), the event source in
    ``cloud.event_source`` (the sources ``_detect`` lists) and the
    source's own attributes (HTTP, messaging, ``faas.document.*``). Its parent and bound
    IDs come from the event: HTTP ``traceparent`` / ``X-Amzn-Trace-Id`` / ``baggage``
    headers, ``X-Correlation-ID`` or ``X-Request-ID`` as ``correlation_id`` (echoed in
    the response's ``X-Correlation-ID`` header); for ``lambda.invoke`` the client
    context or the payload's ``headers``. Each record of an SQS, SNS, Kinesis, DynamoDB,
    Kafka or MQ batch gets a span of its own, linked to its producer's span when the
    record carries it, binding the producer's IDs (see ``process_message``). The first
    invocation of an environment counts a ``ColdStart`` metric. Traces, metrics and
    logs are flushed bounded by ``flush_bound`` of the invocation's remaining time: in
    the Lambda runtime after the response is returned, by an internal extension
    (``_extension``; ``OTELKIT_LAMBDA_EXTENSION=false`` turns it off), elsewhere before
    the handler returns.

    Without a ``configure()`` call, otelkit configures itself from the environment when
    the handler is decorated in the Lambda runtime (at init, so lines written at init
    after that are kept), else at the first invocation (``OTEL_SERVICE_NAME``,
    ``OTEL_EXPORTER_OTLP_ENDPOINT``…; the service name defaults to the function's).
    Every log line written inside the handler carries the fields Powertools' Logger
    adds: ``function_request_id``, ``cold_start``, ``function_name``, ``function_arn``
    and ``function_memory_size`` (the runtime's text, as Powertools writes it).

    An exception is recorded on the span with ERROR status and re-raised. An event of
    unknown shape is traced as a direct invocation; telemetry never fails the handler.

    Args:
        func: the handler, when used bare.
        correlation_id_path: where to find ``correlation_id`` in the event, e.g.
            ``correlation_paths.API_GATEWAY_REST`` or ``'headers."x-correlation-id"'``
            (dotted names, quoted names and ``[n]`` indexes). It wins over the headers.

    Raises:
        ValueError: ``correlation_id_path`` uses syntax outside the supported subset.
    """
    path = compile_path(correlation_id_path) if correlation_id_path is not None else None

    def decorate(handler: F) -> F:
        handler_name = getattr(handler, "__qualname__", None) or repr(handler)

        if os.environ.get("AWS_LAMBDA_RUNTIME_API"):
            # In the runtime the handler module is imported at init: configuring now keeps
            # the lines written at init and takes configure() out of the first invocation;
            # the extension must register at init too, when there is an export to wait
            # for: EMF and lines are written to stdout within the invocation.
            _extension.prepare()
            _configure_if_needed()
            if _pipeline.current().exports:
                _extension.start()

        @functools.wraps(handler)
        def wrapper(event: Any, context: Any) -> Any:
            _configure_if_needed()
            request_id = getattr(context, "aws_request_id", None)
            extended = _extension.invocation_started(request_id)
            invocation = Invocation(handler_name, event, context, path)
            try:
                result = handler(event, context)
            except BaseException as exc:
                invocation.finish(None, exc)
                _flush(invocation, context, request_id if extended else None)
                raise
            result = invocation.finish(result, None)
            _flush(invocation, context, request_id if extended else None)
            return result

        return wrapper  # type: ignore[return-value]

    return decorate(func) if func is not None else decorate
