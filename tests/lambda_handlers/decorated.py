"""A function whose only otelkit line is the decorator (decorator-only mode): an API
Gateway handler with two spans, two lines, a counter and a histogram."""

from __future__ import annotations

import logging
import time
from typing import Any

import otelkit
from otelkit.aws import lambda_handler

log = otelkit.get_logger("shop.orders")
logging.getLogger("shop.init").warning("stdlib line at init")
log.info("otelkit line at init", event_type="INIT")


@lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    with otelkit.span("load order"):
        log.debug("debug line")
        log.info("order loaded")
    otelkit.count("OrdersLoaded", 1)
    otelkit.record("OrderValue", 12.5)
    log.warning("warning line")
    sleep_ms = event.get("sleep_ms") if isinstance(event, dict) else None
    if sleep_ms:
        time.sleep(sleep_ms / 1000)
    return {"statusCode": 200, "body": "ok"}
