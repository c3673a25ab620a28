"""One Lambda invocation: the span and its FaaS attributes, the record spans of a batch,
the HTTP request line, and how it all ends. Its parent and IDs come from ``_parent``.

``lambda_handler`` (``_lambda``) starts an :class:`Invocation` before the handler runs
and finishes it with the handler's result or exception.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Status, StatusCode

from otelkit._core import pipeline as _pipeline
from otelkit._core import switch as _switch
from otelkit._core.safety import report_internal_error
from otelkit._correlation.propagation import start_span_from
from otelkit._logs import buffer as _log_buffer
from otelkit._logs.event import scope_fields
from otelkit._logs.logger import get_logger
from otelkit._metering import metrics as _metrics
from otelkit._requests.incoming import RESPONSE_HEADER, RequestLog
from otelkit._requests.telemetry import Request
from otelkit._tracing.spans import fail_span
from otelkit.aws import _lambda_lifecycle
from otelkit.aws._detect import detect
from otelkit.aws._parent import Arrival, invocation_context
from otelkit.aws._sources import DIRECT, Source

if TYPE_CHECKING:
    from otelkit.aws import _records
    from otelkit.aws._consume import process_message

_log = get_logger("otelkit.lambda")


def _faas_attributes(context: Any, source: Source, cold: bool) -> dict[str, Any]:
    attributes: dict[str, Any] = {
        "faas.trigger": source.trigger,
        "faas.coldstart": cold,
        "cloud.provider": "aws",
        "cloud.event_source": source.name,
        **source.attributes,
    }
    for attribute, name in (
        ("faas.invocation_id", "aws_request_id"),
        ("faas.name", "function_name"),
        ("faas.version", "function_version"),
        ("aws.lambda.invoked_arn", "invoked_function_arn"),
    ):
        value = getattr(context, name, None)
        if isinstance(value, str) and value:
            attributes[attribute] = value
    arn = attributes.get("aws.lambda.invoked_arn", "")
    parts = arn.split(":") if isinstance(arn, str) else []
    if len(parts) > 4:
        attributes["cloud.region"] = parts[3]
        attributes["cloud.account.id"] = parts[4]
    if len(parts) >= 7:
        # The function's ARN with the version that runs, not the alias it was invoked
        # by: one environment serves every alias of its version (semantic conventions).
        version = attributes.get("faas.version")
        attributes["cloud.resource_id"] = ":".join(parts[:7]) + (
            f":{version}" if isinstance(version, str) and version else ""
        )
    return attributes


#: The LambdaContext attributes Powertools' Logger puts on every line, by field name:
#: the same names keep existing CloudWatch Logs Insights queries working.
_CONTEXT_FIELDS = (
    ("function_name", "function_name"),
    ("function_memory_size", "memory_limit_in_mb"),
    ("function_arn", "invoked_function_arn"),
    ("function_request_id", "aws_request_id"),
)


def _line_fields(context: Any, cold: bool) -> dict[str, Any]:
    """The invocation's fields for every log line written inside the handler."""
    fields: dict[str, Any] = {"cold_start": cold}
    for field_name, attribute in _CONTEXT_FIELDS:
        value = getattr(context, attribute, None)  # memory as the runtime's text, as Powertools
        if (isinstance(value, str) and value) or (
            isinstance(value, int) and not isinstance(value, bool)
        ):
            fields[field_name] = value
    return fields


def _with_correlation_header(result: Any, correlation_id: str) -> Any:
    """The HTTP response with ``X-Correlation-ID`` added (unless the handler set one)."""
    if not isinstance(result, dict) or "statusCode" not in result:
        return result
    multi = result.get("multiValueHeaders")
    if isinstance(multi, dict):  # an ALB with multi-value headers reads only these
        if not any(str(k).lower() == RESPONSE_HEADER.lower() for k in multi):
            return {**result, "multiValueHeaders": {**multi, RESPONSE_HEADER: [correlation_id]}}
        return result
    given = result.get("headers")
    headers: dict[Any, Any] = given if isinstance(given, dict) else {}
    if any(str(k).lower() == RESPONSE_HEADER.lower() for k in headers):
        return result
    return {**result, "headers": {**headers, RESPONSE_HEADER: correlation_id}}


def _failed_item_ids(result: Any) -> set[str]:
    """Message IDs the handler reported in an SQS partial batch response."""
    failures = result.get("batchItemFailures") if isinstance(result, Mapping) else None
    if not isinstance(failures, list):
        return set()
    return {
        f["itemIdentifier"]
        for f in failures
        if isinstance(f, Mapping) and isinstance(f.get("itemIdentifier"), str)
    }


_REQUESTS = RequestLog()  # the default quiet paths: health checks write no request lines


def _http_request(source: Source, event: Any) -> Request:
    """The request telemetry of an HTTP invocation (API Gateway, function URL, ALB…)."""
    attributes = source.attributes
    body = event.get("body") if isinstance(event, Mapping) else None
    request = _REQUESTS.begin(
        str(attributes.get("http.request.method", "")),
        str(attributes.get("url.path", "")),
        attributes.get("client.address"),
        len(body) if isinstance(body, str) else None,
    )
    route = attributes.get("http.route")
    request.route = route if isinstance(route, str) and route else None
    return request


def _body_size(result: Any) -> int:
    body = result.get("body") if isinstance(result, Mapping) else result
    return len(body) if isinstance(body, (str, bytes)) else 0


class Invocation:
    """Everything one invocation sets up around the handler, and how to tear it down."""

    def __init__(
        self, handler_name: str, event: Any, context: Any, path: tuple[str | int, ...] | None
    ) -> None:
        self.echo: str | None = None
        self.batch: _records.Batch | None = None
        self.span: trace.Span = trace.INVALID_SPAN
        self.context_token: Any = None
        self.batch_token: Any = None
        self.single: process_message | None = None
        self.single_record: _records.RecordSpan | None = None
        self.single_token: Any = None
        self.fields_token: Any = None
        self.line_fields: dict[str, Any] | None = None

        self.request: Request | None = None
        try:
            self._start(handler_name, event, context, path)
        except Exception as exc:
            report_internal_error("lambda_handler (invocation start)", exc)

    def _start(
        self, handler_name: str, event: Any, context: Any, path: tuple[str | int, ...] | None
    ) -> None:
        try:
            source = detect(event)
        except Exception as exc:  # a shape no one foresaw: trace it as a direct call
            report_internal_error("lambda_handler (event source)", exc)
            source = Source(*DIRECT)
        cold = _lambda_lifecycle.take_cold_start()
        self.line_fields = _line_fields(context, cold)
        self.fields_token = scope_fields.set(self.line_fields)
        parent, self.echo = invocation_context(Arrival(source, event, context), path)
        parent = _log_buffer.scoped(parent)
        name = getattr(context, "function_name", None)
        self.span = start_span_from(
            _switch.TRACER.delegate,
            name if isinstance(name, str) and name else handler_name,
            parent,
            kind=source.kind,
            attributes=_faas_attributes(context, source, cold),
        )
        self.context_token = otel_context.attach(trace.set_span_in_context(self.span, parent))
        if cold:
            _metrics.count(
                _lambda_lifecycle.COLD_START_METRIC, 1, function_name=str(name or handler_name)
            )
        if source.http_request and _pipeline.current().lambda_request_telemetry:
            self.request = _http_request(source, event)
        if source.records or source.record_views:
            # Record batches' machinery loads with the first batch: an HTTP or direct
            # function's cold start does not pay for it.
            from otelkit.aws import _records
            from otelkit.aws._consume import process_message

            self.batch = _records.Batch(
                source.records, source.attributes.get("messaging.system"), source.record_views
            )
            self.batch_token = _records.set_batch(self.batch)
            if len(source.records) == 1:
                self.single = process_message(source.records[0])
                self.single.__enter__()
            elif len(source.record_views) == 1:  # the whole handler works on that record
                self.single_record = self.batch.spans[0]
                self.single_token = otel_context.attach(self.single_record.context)

    def finish(self, result: Any, error: BaseException | None) -> Any:
        """End the spans (recording ``error`` or the HTTP status) and return the result."""
        try:
            if self.single is not None:
                self.single.__exit__(type(error) if error else None, error, None)
            if self.single_record is not None:
                otel_context.detach(self.single_token)
                self.single_record.outcome = "failed" if error is not None else "ok"
                if error is not None:
                    fail_span(self.single_record.span, error)
            if error is not None:
                fail_span(self.span, error)
                # One structured line per failed invocation: findable by its IDs, and the
                # moment held-back DEBUG lines are written (log_buffer).
                _log.error(
                    "Invocation failed",
                    exc_info=error,
                    event_type="INVOCATION_FAILED",
                    status="failed",
                )
            status = result.get("statusCode") if isinstance(result, Mapping) else None
            if isinstance(status, int) and not isinstance(status, bool):
                self.span.set_attribute("http.response.status_code", status)
                if status >= 500:
                    self.span.set_status(Status(StatusCode.ERROR, f"HTTP {status}"))
            if self.request is not None:
                self.request.status = (
                    status if isinstance(status, int) else (500 if error is not None else 200)
                )
                self.request.completed(_body_size(result), error)
            if self.batch is not None:
                self.batch.finish(error, _failed_item_ids(result))
            if self.echo is not None and error is None:
                result = _with_correlation_header(result, self.echo)
        except Exception as exc:
            report_internal_error("lambda_handler (invocation end)", exc)
        finally:
            if self.batch_token is not None:
                from otelkit.aws import _records

                _records.reset_batch(self.batch_token)
            if self.context_token is not None:
                otel_context.detach(self.context_token)
            if self.fields_token is not None:
                scope_fields.reset(self.fields_token)
            self.span.end()
        return result
