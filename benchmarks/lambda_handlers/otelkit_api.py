"""The benchmark's API Gateway v2 handler with otelkit: two spans, two lines, a counter
and a histogram (decorator-only mode, configured from the environment)."""

from __future__ import annotations

from typing import Any

import otelkit
from otelkit.aws import lambda_handler

log = otelkit.get_logger("orders")


@lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    with otelkit.span("load order", order_id="o-1"):
        log.info("order loaded", order_id="o-1")
    otelkit.count("OrdersLoaded", 1)
    otelkit.record("OrderValue", 12.5, unit="None")
    log.info("order returned")
    return {"statusCode": 200, "body": '{"ok":true}'}
