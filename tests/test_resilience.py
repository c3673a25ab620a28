"""A dead collector or a bug inside otelkit never slows or breaks the host program."""

from __future__ import annotations

import socket
import time
from dataclasses import replace
from pathlib import Path

import pytest

import otelkit
from otelkit._core import pipeline as _pipeline
from tests.support.examples import run_example

ROOT = Path(__file__).resolve().parents[1]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
def test_closed_collector_costs_no_latency_and_shutdown_is_bounded() -> None:
    otelkit.configure(
        endpoint=f"http://127.0.0.1:{_closed_port()}", log_stdout=False, console=False
    )
    log = otelkit.get_logger("app")
    started = time.perf_counter()
    for n in range(500):
        with otelkit.bind(job_id=f"job-{n}"), otelkit.span("work"):
            log.info("working", n=n)
            otelkit.count("Work")
    hot_loop = time.perf_counter() - started
    assert hot_loop < 2.0, f"500 spans+logs+metrics took {hot_loop:.2f}s with a dead collector"

    started = time.perf_counter()
    assert otelkit.flush(timeout=0.5) is False, "nothing could be delivered"
    otelkit.shutdown(timeout=1.0)
    assert time.perf_counter() - started < 2.5


@pytest.mark.slow
def test_demo_runs_against_a_closed_collector() -> None:
    started = time.perf_counter()
    _, lines = run_example(
        "video_pipeline.py",
        env={
            "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{_closed_port()}",
            "OTELKIT_EXPORT_TIMEOUT": "1",
        },
    )
    assert any(line["message"] == "JOB_COMPLETED" for line in lines)
    assert time.perf_counter() - started < 30


def test_internal_errors_are_reported_once_and_swallowed(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("OTELKIT_STRICT")
    otelkit.configure(log_format="json", console=False)

    def broken_render(event: dict[str, object]) -> str:
        raise RuntimeError("renderer bug")

    # The pipeline is frozen: a changed one is swapped in.
    _pipeline.activate(replace(_pipeline.current(), render=broken_render))
    log = otelkit.get_logger("app")
    log.info("first")
    log.info("second")
    err = capsys.readouterr().err
    assert err.count("otelkit: internal error in log handler") == 1
    assert "RuntimeError: renderer bug" in err


def test_strict_mode_reraises_internal_errors() -> None:
    otelkit.configure(log_format="json", console=False)

    def broken_render(event: dict[str, object]) -> str:
        raise RuntimeError("renderer bug")

    # The pipeline is frozen: a changed one is swapped in.
    _pipeline.activate(replace(_pipeline.current(), render=broken_render))
    with pytest.raises(RuntimeError, match="renderer bug"):
        otelkit.get_logger("app").info("boom")


def test_sdk_disabled_keeps_logs_and_exports_nothing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    otelkit.configure(endpoint=f"http://127.0.0.1:{_closed_port()}", log_format="json")
    otelkit.get_logger("app").info("still logged")
    assert '"message":"still logged"' in capsys.readouterr().out
    assert _pipeline.current().otel_loggers is None


@pytest.mark.slow
def test_a_collector_that_never_answers_bounds_flush_and_shutdown() -> None:
    """It accepts connections and says nothing: flush still returns within its timeout."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)  # connections queue up; no one ever reads them
        otelkit.configure(
            endpoint=f"http://127.0.0.1:{silent.getsockname()[1]}", log_stdout=False, console=False
        )
        with otelkit.span("work"):
            otelkit.get_logger("app").info("queued")
            otelkit.count("Work")
        started = time.perf_counter()
        assert otelkit.flush(timeout=1.0) is False
        assert time.perf_counter() - started < 1.8, "one deadline for all three signals"
        started = time.perf_counter()
        otelkit.shutdown(timeout=1.0)
        assert time.perf_counter() - started < 1.8
