"""The Celery application of the celery integration test: the test process sends its
task, a worker process started with ``celery -A tests.support.celery_app worker`` runs it.

The worker sets otelkit up when it starts (``worker_init``), exporting to the receiver
named by ``OTLP_TEST_ENDPOINT``; the broker and result backend come from
``CELERY_BROKER_URL`` and ``CELERY_RESULT_BACKEND``, which Celery reads itself.
"""

from __future__ import annotations

import os
from typing import Any

from celery import Celery, signals

import otelkit

app = Celery("otelkit_test")
# The test is the only user of this broker: fewer chatty worker-to-worker features.
app.conf.update(worker_hijack_root_logger=False, broker_connection_retry_on_startup=True)


@signals.worker_init.connect  # type: ignore[untyped-decorator]
def _configure_otelkit(**_: Any) -> None:
    otelkit.configure(
        service_name="celery-worker",
        endpoint=os.environ["OTLP_TEST_ENDPOINT"],
        instrument=["celery"],
    )


@app.task(name="render")  # type: ignore[untyped-decorator]
def render(scene: str) -> dict[str, Any]:
    """What the worker sees: the scene and the IDs bound while the task runs."""
    otelkit.get_logger("render").info("Rendering", scene=scene)
    return {"scene": scene, "ids": otelkit.ids()}
