"""A function doing one job step per invocation: the job's ID bound, a child span, a
failed upload it recovers from, a log line (the chain test through the collector)."""

from __future__ import annotations

from typing import Any

import otelkit
from otelkit.aws import lambda_handler

log = otelkit.get_logger("render.worker")


@lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    with otelkit.bind(job_id=event["job_id"]), otelkit.span("render scene", scene=1):
        log.info("Scene rendered")
        try:
            with otelkit.span("upload"):
                raise ConnectionError("upload refused")
        except ConnectionError:
            log.warning("upload will be retried")
    return {"ok": True}
