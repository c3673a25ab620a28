"""A handler that leaves work running after it returns: a thread that records a span a
moment later, which only a flush at shutdown can deliver. It can install a SIGTERM
handler of its own (``own_sigterm_handler``)."""

from __future__ import annotations

import signal
import threading
import time
from typing import Any

import otelkit
from otelkit.aws import lambda_handler


def _later() -> None:
    time.sleep(0.3)
    with otelkit.span("background work"):
        pass


def _on_sigterm(signum: int, frame: Any) -> None:
    print("the function's own SIGTERM handler ran", flush=True)


@lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if event.get("own_sigterm_handler"):  # installed after init, as some functions do
        signal.signal(signal.SIGTERM, _on_sigterm)
    threading.Thread(target=_later).start()
    return {"statusCode": 200, "body": "ok"}
