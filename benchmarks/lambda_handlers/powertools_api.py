"""The same handler with Powertools' Logger and Metrics (and Tracer when
``BENCH_POWERTOOLS_TRACER=1``), as a Lambda team would write it. With
``BENCH_POWERTOOLS_CORRELATION=1`` the Logger binds the request's ``X-Correlation-ID``
header as ``correlation_id``, as otelkit's decorator does by itself."""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

logger = Logger(service="orders")
metrics = Metrics(namespace="Orders", service="orders")
TRACED = os.environ.get("BENCH_POWERTOOLS_TRACER") == "1"
CORRELATION = (
    'headers."x-correlation-id"' if os.environ.get("BENCH_POWERTOOLS_CORRELATION") else None
)
if TRACED:
    from aws_lambda_powertools import Tracer

    tracer = Tracer(service="orders")


def _work() -> None:
    logger.info("order loaded", order_id="o-1")


def _handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if TRACED:
        with tracer.provider.in_subsegment("load order"):
            _work()
    else:
        _work()
    metrics.add_metric(name="OrdersLoaded", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="OrderValue", unit=MetricUnit.NoUnit, value=12.5)
    logger.info("order returned")
    return {"statusCode": 200, "body": '{"ok":true}'}


_decorated = logger.inject_lambda_context(correlation_id_path=CORRELATION)(
    metrics.log_metrics(_handle)
)
handler = tracer.capture_lambda_handler(_decorated) if TRACED else _decorated
