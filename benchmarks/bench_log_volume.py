"""The log-volume controls on the hot log path: each against the same JSON line without it.

Both sides write through otelkit's handler to an in-memory sink; each call switches the
active pipeline to its own side's (a module attribute store, the same on both sides).
"""

from __future__ import annotations

import io
import logging
import sys
import tempfile
from typing import Any

from _pipelines import BoundIds
from harness import Pair
from opentelemetry import context
from opentelemetry.sdk.resources import Resource

import otelkit
from otelkit._config.settings import resolve
from otelkit._core import pipeline as _pipeline
from otelkit._logs import buffer as _log_buffer
from otelkit._logs import handler as _logging
from otelkit._logs.files import file_sink
from otelkit._logs.steps import with_sink
from otelkit._sdk.providers import assemble
from otelkit._values.log_formats import render_json

log = otelkit.get_logger("bench.volume")


def _json_pipeline(**options: Any) -> _pipeline.Pipeline:
    settings = resolve(
        {"console": False, "resource_detectors": "none", "log_level": "INFO", **options},
        environ={},
    )
    return assemble(
        settings=settings,
        span_processors=[],
        metric_readers=[],
        logger_provider=None,
        render=render_json,
        resource=Resource.get_empty,
    )


class _Stdout:
    """stdout swapped for a sink that is emptied after every call."""

    def __init__(self) -> None:
        self.sink = io.StringIO()
        self._real = sys.stdout

    def drain(self) -> None:
        self.sink.seek(0)
        self.sink.truncate()

    def install(self) -> None:
        _logging.install(logging.INFO)
        sys.stdout = self.sink

    def restore(self) -> None:
        sys.stdout = self._real


def _pair(
    name: str,
    ours_pipeline: _pipeline.Pipeline,
    write: Any,
    baseline_name: str,
    baseline_write: Any = None,
    extra_setup: Any = None,
) -> Pair:
    plain = _json_pipeline()
    out = _Stdout()
    baseline_write = baseline_write or write

    def ours() -> None:
        _pipeline._active = ours_pipeline
        write()
        out.drain()

    def baseline() -> None:
        _pipeline._active = plain
        baseline_write()
        out.drain()

    ids = BoundIds(out.install)

    def setup() -> None:
        ids.setup()
        if extra_setup is not None:
            extra_setup()

    def teardown() -> None:
        ids.teardown()
        out.restore()

    return Pair(
        name,
        ours,
        baseline_name,
        baseline,
        goal=None,
        anchor="otelkit JSON line",
        setup=setup,
        teardown=teardown,
    )


def _info() -> None:
    log.info("Scene generated", scene=1)


def caps_pair() -> Pair:
    return _pair(
        "JSON line, max_message_chars + max_field_chars (nothing cut)",
        _json_pipeline(max_message_chars=200, max_field_chars=2000),
        _info,
        "JSON line, no caps",
    )


def dedup_info_pair() -> Pair:
    return _pair(
        "INFO line with error_dedup_every=10",
        _json_pipeline(error_dedup_every=10),
        _info,
        "INFO line, no aggregation",
    )


def dedup_error_pair() -> Pair:
    def error() -> None:
        log.error("Card declined for order 1234")

    return _pair(
        "repeated ERROR, error_dedup_every=10 (9 in 10 not written)",
        _json_pipeline(error_dedup_every=10),
        error,
        "ERROR line written",
    )


def sampled_out_pair() -> Pair:
    sampled = _json_pipeline(log_sample_rate=0.0)
    holder: list[object] = []

    def enter_work() -> None:  # a unit of work whose lines are held back
        _pipeline._active = sampled
        holder.append(context.attach(_log_buffer.scoped(context.get_current())))

    def held() -> None:
        log.info("Scene generated", scene=1)
        buffer = _log_buffer.current()
        if buffer is not None and len(buffer._items) > 150:
            buffer.drain()

    return _pair(
        "INFO line of sampled-out work (log_sample_rate, held back)",
        sampled,
        held,
        "INFO line written",
        _info,
        extra_setup=enter_work,
    )


def file_pair() -> Pair:
    directory = tempfile.mkdtemp(prefix="otelkit-bench-")
    made = file_sink(directory, "bench", max_bytes=20_000_000, backups=2, rotate_seconds=None)
    assert made is not None, f"cannot write log files under {directory}"
    sink, _target = made
    with_file = with_sink(_json_pipeline(), sink)
    return _pair(
        "JSON line + LOG_TO_FILE (locked append)", with_file, _info, "JSON line, stdout only"
    )


def throttled_pair() -> Pair:
    polling = otelkit.throttled(log, every=12)

    def through_throttle() -> None:
        polling.info("Still processing", attempt=1)

    return _pair(
        "throttled(every=12) call site",
        _json_pipeline(),
        through_throttle,
        "every call written",
        _info,
    )


def resource_fields_pair() -> Pair:
    return _pair(
        "JSON line + resource_fields (memory_mb…, cached 1 s)",
        _json_pipeline(resource_fields=True),
        _info,
        "JSON line, no resource fields",
    )


def pairs() -> list[Pair]:
    return [
        caps_pair(),
        resource_fields_pair(),
        dedup_info_pair(),
        dedup_error_pair(),
        sampled_out_pair(),
        file_pair(),
        throttled_pair(),
    ]
