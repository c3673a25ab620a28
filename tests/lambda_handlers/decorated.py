"""A function whose only otelkit line is the decorator (decorator-only mode): an API
Gateway handler with two spans, two lines, a counter and a histogram. The event can ask
for a pause (``sleep_ms``), a failure (``fail``) or a metric value otelkit must reject
(``bad_metric``)."""

from __future__ import annotations

import logging
import time
from typing import Any

import otelkit
from otelkit.aws import lambda_handler

log = otelkit.get_logger("shop.orders")


@lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    with otelkit.span("load order"):
        log.debug("debug line")
        log.info("order loaded")
    otelkit.count("OrdersLoaded", 1)
    otelkit.record("OrderValue", 12.5)
    if event.get("bad_metric"):
        otelkit.count("OrdersLoaded", -1)  # rejected: counted as dropped input
    log.warning("warning line")
    if event.get("sleep_ms"):
        time.sleep(event["sleep_ms"] / 1000)
    if event.get("fail"):
        raise RuntimeError("order failed")
    return {"statusCode": 200, "body": "ok"}


# Init work after the handler is defined, as a module's set-up code often is.
logging.getLogger("shop.init").warning("stdlib line at init")
log.info("otelkit line at init", event_type="INIT")
