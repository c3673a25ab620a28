"""One state object: the active pipeline carries every setting signals obey on the way, so
``capture()`` swaps and restores all of it at once."""

from __future__ import annotations

import pytest

import otelkit
from otelkit._core import pipeline as _pipeline
from otelkit._correlation.propagation import OtelkitPropagator
from otelkit._logs import buffer as _log_buffer
from otelkit._redaction.scrub import REDACTED
from otelkit.testing import capture


def _baggage_sent() -> str:
    carrier: dict[str, str] = {}
    with otelkit.bind(job_id="job-1", user_id="u-1"), otelkit.span("send"):
        OtelkitPropagator().inject_unfiltered(carrier)
    return carrier.get("baggage", "")


def test_capture_restores_scrub_and_propagation_that_configure_changed_inside_it() -> None:
    assert _pipeline.current().redaction.redact_text("/x?token=abc").endswith(REDACTED)
    assert _baggage_sent() == "job_id=job-1"
    with capture():
        otelkit.configure(
            scrub=False,
            private_ids="job_id",
            log_format="json",
            console=False,
            resource_detectors="none",
        )
        assert _pipeline.current().redaction.redact_text("/x?token=abc") == "/x?token=abc"
        assert _baggage_sent() == "user_id=u-1"
    otelkit.shutdown()
    assert _pipeline.current().redaction.redact_text("/x?token=abc").endswith(REDACTED), (
        "scrubbing is back on"
    )
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
    assert not _pipeline.current().redaction.enabled, "the configured pipeline is active again"
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
    assert not after.redaction.enabled
    otelkit.get_logger("app").info("after shutdown")
    assert '"region":"eu-west-1"' in capsys.readouterr().out


def _line(out: str, message: str) -> dict[str, object]:
    import json

    found: list[dict[str, object]] = [
        json.loads(line) for line in out.splitlines() if f'"{message}"' in line
    ]
    assert len(found) == 1, out
    return found[0]


def test_redact_keys_live_on_the_pipeline_capture_swaps(
    capsys: pytest.CaptureFixture[str],
) -> None:
    otelkit.configure(redact_keys="ssn", log_format="json", console=False)
    log = otelkit.get_logger("app")
    with capture() as cap:  # the configured words: a test sees what production redacts
        log.info("inside", ssn="123-45-6789")
        otelkit.configure(redact_keys="iban", log_format="json", console=False)
        log.info("configured inside", ssn="123-45-6789", iban="DE89")
    assert cap.logs[0]["ssn"] == REDACTED
    log.info("after", ssn="123-45-6789", iban="DE89")
    out = capsys.readouterr().out
    inside = _line(out, "configured inside")
    assert (inside["ssn"], inside["iban"]) == ("123-45-6789", REDACTED)
    # The capture restored the pipeline that was active before it, words and all.
    after = _line(out, "after")
    assert (after["ssn"], after["iban"]) == (REDACTED, "DE89")


def test_the_first_configure_redacts_static_fields_with_its_own_words(
    capsys: pytest.CaptureFixture[str],
) -> None:
    otelkit.configure(
        redact_keys="badge",
        static_fields={"badge_code": "B-7781", "region": "eu-west-1"},
        log_format="json",
        console=False,
        resource_detectors="none",
    )
    otelkit.get_logger("app").info("hello")
    line = _line(capsys.readouterr().out, "hello")
    assert (line["badge_code"], line["region"]) == (REDACTED, "eu-west-1")


def test_a_pipeline_is_never_changed_after_it_is_built() -> None:
    import dataclasses

    otelkit.configure(log_format="json", console=False)
    with pytest.raises(dataclasses.FrozenInstanceError):
        _pipeline.current().sinks = ()  # type: ignore[misc]
    assert isinstance(_pipeline.current().sinks, tuple)
