"""A handler that leaves work running after it returns: a thread that records a span a
moment later, which only a flush at shutdown can deliver."""

from __future__ import annotations

import threading
import time
from typing import Any

import otelkit
from otelkit.aws import lambda_handler


def _later() -> None:
    time.sleep(0.3)
    with otelkit.span("background work"):
        pass


@lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    threading.Thread(target=_later).start()
    return {"statusCode": 200, "body": "ok"}
