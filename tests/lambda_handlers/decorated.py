"""A function whose only otelkit line is the decorator (decorator-only mode): an API
Gateway handler with two spans, two lines, a counter and a histogram. The event can ask
for a pause (``sleep_ms``), a failure (``fail``) or a metric value otelkit must reject
(``bad_metric``), or the functions the extension's thread is in (``extension_stack``)."""

from __future__ import annotations

import logging
import sys
import threading
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
    if event.get("extension_stack"):
        log.info("extension stack", functions=_stack_of("otelkit-extension"))
    if event.get("fail"):
        raise RuntimeError("order failed")
    return {"statusCode": 200, "body": "ok"}


def _stack_of(thread_name: str) -> list[str]:
    """The functions ``thread_name`` is in, innermost first."""
    thread = next(t for t in threading.enumerate() if t.name == thread_name)
    frame = sys._current_frames().get(thread.ident or 0)
    names = []
    while frame is not None:
        names.append(frame.f_code.co_name)
        frame = frame.f_back
    return names


# Init work after the handler is defined, as a module's set-up code often is.
logging.getLogger("shop.init").warning("stdlib line at init")
log.info("otelkit line at init", event_type="INIT")
