"""A Lambda invocation end to end, flush included: ``@lambda_handler`` against a bare
handler and against Powertools' Logger + Tracer + Metrics decorators, on the same
one-record SQS event, with the same work inside (one log line with a field, one metric).

Warm rows run in this process with the Lambda environment variables set (so Powertools'
Tracer is on and sends its segment over UDP to the X-Ray daemon address, as on Lambda)
and stdout sent to a null stream. The cold row starts a fresh interpreter per call:
imports, set-up and the first invocation, as a cold start pays them.
"""

from __future__ import annotations

import atexit
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from harness import Clock, Pair

HERE = Path(__file__).resolve().parent
LAMBDA_ENV = {
    "AWS_LAMBDA_FUNCTION_NAME": "orders",
    "AWS_REGION": "eu-west-1",
    "LAMBDA_TASK_ROOT": "/var/task",
    "POWERTOOLS_SERVICE_NAME": "orders",
    "POWERTOOLS_METRICS_NAMESPACE": "Orders",
    "AWS_XRAY_CONTEXT_MISSING": "IGNORE_ERROR",
    "_X_AMZN_TRACE_ID": "Root=1-5759e988-bd862e3fe1be46a994272793;"
    "Parent=53995c3f42cd8ad8;Sampled=1",
    # Lambda puts the role's credentials in the environment; SigV4 signs with them.
    "AWS_ACCESS_KEY_ID": "AKIDBENCH",
    "AWS_SECRET_ACCESS_KEY": "bench-secret",
    "AWS_SESSION_TOKEN": "bench-token",
}
EVENT = {
    "Records": [
        {
            "messageId": "059f36b4-87a3-44ab-83d2-661975830a7d",
            "receiptHandle": "AQEBwJ...",
            "body": json.dumps({"order": "o-1"}),
            "attributes": {"ApproximateReceiveCount": "1"},
            "messageAttributes": {
                "traceparent": {
                    "stringValue": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                    "dataType": "String",
                }
            },
            "md5OfBody": "e4e68fb7bd0e697a0ae8f1bb342846b3",
            "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:eu-west-1:123456789012:orders",
            "awsRegion": "eu-west-1",
        }
    ]
}


class Context:
    aws_request_id = "c6af9ac6-7b61-11e6-9a41-93e812345678"
    function_name = "orders"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:orders"
    memory_limit_in_mb = 512

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


class LambdaEnvironment:
    """The Lambda variables and a null stdout while a pair runs."""

    def __init__(self) -> None:
        self._saved: dict[str, str | None] = {}
        self._stdout = sys.stdout

    def enter(self) -> None:
        self._saved = {name: os.environ.get(name) for name in LAMBDA_ENV}
        os.environ.update(LAMBDA_ENV)
        sys.stdout = io.StringIO()
        sys.stdout.write = lambda text: len(text)  # type: ignore[method-assign]

    def leave(self) -> None:
        sys.stdout = self._stdout
        for name, value in self._saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _bare() -> Any:
    def handler(event: Any, context: Any) -> None:
        for record in event["Records"]:
            sys.stdout.write(
                json.dumps(
                    {
                        "level": "INFO",
                        "message": "Order stored",
                        "order": json.loads(record["body"])["order"],
                    }
                )
                + "\n"
            )

    return handler


def _otelkit(endpoint: str | None, sigv4: bool = False) -> Any:
    """``endpoint``: traces and logs over OTLP/HTTP to it (metrics stay EMF), signed with
    SigV4 when ``sigv4``, as agentless export to the AWS endpoints does."""
    import otelkit

    otelkit.configure(
        service_name="orders",
        emf_namespace="Orders",
        log_format="json",
        resource_detectors="lambda",
        environment="prod",
        traces_endpoint=f"{endpoint}/v1/traces" if endpoint else None,
        logs_endpoint=f"{endpoint}/v1/logs" if endpoint else None,
        aws_sigv4=sigv4,
    )
    log = otelkit.get_logger("orders")

    @otelkit.aws.lambda_handler
    def handler(event: Any, context: Any) -> None:
        for record in event["Records"]:
            log.info("Order stored", order=json.loads(record["body"])["order"])
            otelkit.count("OrdersStored", 1)

    return handler


def _powertools() -> Any:
    from aws_lambda_powertools import Logger, Metrics, Tracer
    from aws_lambda_powertools.metrics import MetricUnit

    logger, tracer, metrics = Logger(), Tracer(), Metrics()

    @logger.inject_lambda_context
    @tracer.capture_lambda_handler
    @metrics.log_metrics
    def handler(event: Any, context: Any) -> None:
        for record in event["Records"]:
            logger.info("Order stored", order=json.loads(record["body"])["order"])
            metrics.add_metric(name="OrdersStored", unit=MetricUnit.Count, value=1)

    return handler


DIRECT_EVENT = {"order": "o-1"}  # a direct invocation: one SERVER span, no request lines


def _otelkit_spans(endpoint: str, spans: int) -> Any:
    """``lambda_handler`` exporting its traces to ``endpoint``; the handler starts
    ``spans - 1`` child spans, so each invocation exports ``spans`` spans."""
    import otelkit

    otelkit.configure(
        service_name="orders",
        log_format="json",
        resource_detectors="lambda",
        environment="prod",
        traces_endpoint=f"{endpoint}/v1/traces",
    )

    @otelkit.aws.lambda_handler
    def handler(event: Any, context: Any) -> None:
        for _ in range(spans - 1):
            with otelkit.span("store order"):
                pass

    return handler


def _bare_otel_spans(endpoint: str, spans: int) -> Any:
    """What a careful hand-written handler does with the SDK alone: a SERVER span per
    invocation with the FaaS attributes, ``spans - 1`` children, and ``force_flush`` of a
    ``BatchSpanProcessor`` before returning (the export otherwise waits for a later
    invocation, or never happens)."""
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor
    from opentelemetry.trace import SpanKind

    provider = TracerProvider(resource=Resource.create({"service.name": "orders"}))
    processor = BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{endpoint}/v1/traces"))
    provider.add_span_processor(processor)
    tracer = provider.get_tracer("orders")

    def handler(event: Any, context: Any) -> None:
        with tracer.start_as_current_span(
            context.function_name,
            kind=SpanKind.SERVER,
            attributes={
                "faas.trigger": "other",
                "faas.invocation_id": context.aws_request_id,
                "faas.name": context.function_name,
                "cloud.resource_id": context.invoked_function_arn,
            },
        ):
            for _ in range(spans - 1):
                with tracer.start_as_current_span("store order"):
                    pass
        provider.force_flush()

    bare_providers.append(provider)
    return handler


bare_providers: list[Any] = []  # shut down with their pair


def _receiver() -> str:
    receiver = subprocess.Popen(
        [sys.executable, str(HERE / "_receiver.py")], stdout=subprocess.PIPE, text=True
    )
    atexit.register(receiver.terminate)
    assert receiver.stdout is not None
    return f"http://127.0.0.1:{receiver.stdout.readline().strip()}"


def _warm(
    name: str,
    make_ours: Any,
    baseline_name: str,
    make_baseline: Any,
    anchor: str,
    *,
    event: Any = EVENT,
    goal: float | None = None,
    clock: Clock = "wall",
) -> Pair:
    environment = LambdaEnvironment()
    handlers: dict[str, Any] = {}
    context = Context()

    def setup() -> None:
        environment.enter()
        handlers["ours"], handlers["baseline"] = make_ours(), make_baseline()

    def teardown() -> None:
        import otelkit

        otelkit.shutdown(2.0)
        while bare_providers:
            bare_providers.pop().shutdown()
        environment.leave()

    return Pair(
        name,
        lambda: handlers["ours"](event, context),
        baseline_name,
        lambda: handlers["baseline"](event, context),
        goal=goal,
        anchor=anchor,
        clock=clock,
        rounds=9,
        setup=setup,
        teardown=teardown,
    )


COLD_SCRIPT = """
import json, sys, time
started = time.perf_counter()
kind = sys.argv[1]
sys.path.insert(0, {here!r})
import bench_lambda as b
handler = {{"otelkit": lambda: b._otelkit(None), "powertools": b._powertools,
            "bare": b._bare}}[kind]()
handler(b.EVENT, b.Context())
sys.stderr.write(f"{{time.perf_counter() - started}}\\n")
"""


def _cold(kind: str) -> Any:
    script = COLD_SCRIPT.format(here=str(HERE))
    env = {**os.environ, **LAMBDA_ENV}

    def run() -> None:
        subprocess.run(
            [sys.executable, "-c", script, kind],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    return run


def pairs() -> list[Pair]:
    endpoint = _receiver()
    return [
        _warm(
            "lambda_handler, warm, flush: lines + EMF",
            lambda: _otelkit(None),
            "bare handler, one JSON line",
            _bare,
            "bare",
        ),
        _warm(
            "lambda_handler, warm, flush: lines + EMF",
            lambda: _otelkit(None),
            "Powertools Logger+Tracer+Metrics",
            _powertools,
            "Powertools",
        ),
        _warm(
            "lambda_handler, warm, flush: + OTLP traces/logs",
            lambda: _otelkit(endpoint),
            "Powertools Logger+Tracer+Metrics",
            _powertools,
            "Powertools",
        ),
        _warm(
            "lambda_handler, warm, flush: SigV4-signed OTLP",
            lambda: _otelkit(endpoint, sigv4=True),
            "the same, unsigned OTLP",
            lambda: _otelkit(endpoint),
            "otelkit",
        ),
        _warm(
            "lambda_handler, 1 span + flush to OTLP, CPU",
            lambda: _otelkit_spans(endpoint, 1),
            "SDK SERVER span + force_flush, CPU",
            lambda: _bare_otel_spans(endpoint, 1),
            "OTel SDK",
            event=DIRECT_EVENT,
            goal=1.0,
            clock="cpu",
        ),
        _warm(
            "lambda_handler, 10 spans + flush to OTLP, wall",
            lambda: _otelkit_spans(endpoint, 10),
            "SDK 10 spans + force_flush, wall",
            lambda: _bare_otel_spans(endpoint, 10),
            "OTel SDK",
            event=DIRECT_EVENT,
        ),
        Pair(
            "cold start: imports, set-up, 1st invocation",
            _cold("otelkit"),
            "Powertools, same",
            _cold("powertools"),
            anchor="Powertools",
            number=1,
            rounds=7,
        ),
        Pair(
            "cold start: imports, set-up, 1st invocation",
            _cold("otelkit"),
            "bare handler, same",
            _cold("bare"),
            anchor="bare",
            number=1,
            rounds=7,
        ),
    ]
