"""One state object: the active pipeline carries every setting signals obey on the way, so
``capture()`` swaps and restores all of it at once."""

from __future__ import annotations

import pytest

import otelkit
from otelkit._core import pipeline as _pipeline
from otelkit._correlation.propagation import OtelkitPropagator
from otelkit._logs import buffer as _log_buffer
from otelkit._redaction.scrub import REDACTED, scrub_urls
from otelkit.testing import capture


def _baggage_sent() -> str:
    carrier: dict[str, str] = {}
    with otelkit.bind(job_id="job-1", user_id="u-1"), otelkit.span("send"):
        OtelkitPropagator().inject_unfiltered(carrier)
    return carrier.get("baggage", "")


def test_capture_restores_scrub_and_propagation_that_configure_changed_inside_it() -> None:
    assert scrub_urls("/x?token=abc").endswith(REDACTED)
    assert _baggage_sent() == "job_id=job-1"
    with capture():
        otelkit.configure(
            scrub=False,
            private_ids="job_id",
            log_format="json",
            console=False,
            resource_detectors="none",
        )
        assert scrub_urls("/x?token=abc") == "/x?token=abc"
        assert _baggage_sent() == "user_id=u-1"
    otelkit.shutdown()
    assert scrub_urls("/x?token=abc").endswith(REDACTED), "scrubbing is back on"
    assert _baggage_sent() == "job_id=job-1", "the default private IDs are back"


def test_capture_has_its_own_settings_whatever_configure_said() -> None:
    otelkit.configure(
        scrub=False,
        log_buffer=True,
        log_level="INFO",
        log_format="json",
        console=False,
        resource_detectors="none",
    )
    assert _pipeline.current().log_buffer_capacity == _log_buffer.CAPACITY
    with capture() as cap:
        otelkit.get_logger("app").info("login", password="hunter2")
        assert _pipeline.current().log_buffer_capacity == 0
    assert cap.logs[-1]["password"] == REDACTED
    assert not _pipeline.current().scrub, "the configured pipeline is active again"
    assert _pipeline.current().log_buffer_capacity == _log_buffer.CAPACITY


def test_shutdown_keeps_the_log_settings_but_not_the_exports(
    capsys: pytest.CaptureFixture[str],
) -> None:
    otelkit.configure(
        scrub=False,
        static_fields={"region": "eu-west-1"},
        log_format="json",
        console=False,
        resource_detectors="none",
    )
    otelkit.shutdown()
    after = _pipeline.current()
    assert after.tracer_provider is None
    assert after.otel_loggers is None
    assert not after.scrub
    otelkit.get_logger("app").info("after shutdown")
    assert '"region":"eu-west-1"' in capsys.readouterr().out
