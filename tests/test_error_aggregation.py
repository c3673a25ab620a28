"""Error aggregation: the first occurrence in full, then every Nth with its count."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import otelkit
from otelkit._core import pipeline as _pipeline
from otelkit._logs import error_aggregation as _error_aggregation
from otelkit._logs.error_aggregation import normalise
from otelkit._redaction.secret_patterns import MAX_SCANNED
from tests.support.otlp_receiver import attributes, otlp_receiver
from tests.support.timing import assert_linear_and_bounded

log = otelkit.get_logger("api")


def _lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    return [
        json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")
    ]


class PhoneError(Exception):
    severity = "low"


def validate(n: int) -> None:
    raise PhoneError(f"Invalid phone number '+1555{n:04d}' in request {n}")


def lookup(n: int) -> None:
    raise PhoneError(f"Invalid phone number '+1555{n:04d}' in request {n}")


def validate_in_a_span(n: int) -> None:
    with otelkit.span("validate"):
        try:
            validate(n)
        except PhoneError:
            log.exception("Validation failed")
            raise


@pytest.fixture(params=["strict", "production"])
def strictness(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "production":
        monkeypatch.delenv("OTELKIT_STRICT")
    return str(request.param)


@pytest.mark.usefixtures("strictness")
def test_first_in_full_then_every_nth_with_the_count(capsys: pytest.CaptureFixture[str]) -> None:
    otelkit.configure(log_format="json", console=False, error_dedup_every=10)
    for n in range(25):
        try:
            validate(n)
        except PhoneError:
            log.exception("Validation failed", endpoint="/api/users")
    lines = _lines(capsys)
    assert [line["count"] for line in lines] == [1, 10, 10]
    assert len({line["error_hash"] for line in lines}) == 1
    first = lines[0]
    assert len(first["error_hash"]) == 8
    assert first["severity"] == "low", "the exception class declares it"
    assert first["error_type"] == "PhoneError"
    assert first["endpoint"] == "/api/users"
    assert "Traceback" in first["exception"], "written in full"
    assert "'+15550000'" in first["error"]


def test_the_fingerprint_separates_types_call_sites_and_messages(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTELKIT_ERROR_DEDUP_EVERY", "100")
    otelkit.configure(log_format="json", console=False)
    for call in (validate, lookup, validate, lookup):  # same type and message, two frames
        try:
            call(7)
        except PhoneError:
            log.exception("Validation failed")
    for text in ("Card declined", "Card declined", "Timeout after 30s"):
        log.error(text)
    hashes = [line["error_hash"] for line in _lines(capsys)]
    assert len(hashes) == 4, "one line per distinct fingerprint"
    assert len(set(hashes)) == 4


def test_normalise_ignores_numbers_ids_and_quoted_values() -> None:
    assert normalise("order 12 of user 'ann' failed after 3.5s (req 0f3a9c21dd)") == normalise(
        "order 9981 of user 'bob' failed after 0.2s (req 77aa01b2c3)"
    )
    assert normalise("job 6f1c2b7e-4a5d-4e8f-9a0b-1c2d3e4f5a6b lost") == "job <id> lost"
    assert normalise("Card declined") != normalise("Card expired")


# Crafted messages, any length: each made the old backtracking patterns quadratic or worse.
_CRAFTED = {
    "digits then a letter": lambda n: "1" * n + "x",
    "float() message": lambda n: f"could not convert string to float: '{'1' * n}x'",
    "hex words": lambda n: "0a" * (n // 2) + "z",
    "unclosed quotes": lambda n: "\"'" + "a1" * (n // 2),
    "uuid prefixes": lambda n: "aaaaaaaa-" * (n // 9),
}


@pytest.mark.parametrize("crafted", list(_CRAFTED.values()), ids=list(_CRAFTED))
def test_normalise_costs_a_bounded_time_on_any_length(crafted: Callable[[int], str]) -> None:
    # The baseline is an ordinary message as long as the longest text a pattern looks at:
    # the crafted ones are cut to that length first, so it is the same amount of text.
    message = "could not convert string to float: '12.5x' for order 6f1c2b7e in 'eu-west-1' "
    ordinary = (message * (MAX_SCANNED // len(message) + 1))[:MAX_SCANNED]
    assert_linear_and_bounded(normalise, crafted, ordinary, ceiling=30)


def test_a_huge_failing_value_does_not_freeze_the_logging_call(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # ``float(user_input)`` failing on a crafted value, then ``log.exception``: the whole call,
    # fingerprint, redaction and rendering included, costs about what an ordinary one does.
    otelkit.configure(log_format="json", console=False, error_dedup_every=1)

    def log_failure(value: str) -> None:
        try:
            float(value)
        except ValueError:
            log.exception("bad amount")

    # The baseline: a value as long as the longest text any pattern looks at.
    at_the_bound = "1" * MAX_SCANNED + "x"
    assert_linear_and_bounded(log_failure, lambda n: "1" * n + "x", at_the_bound, ceiling=4)
    assert '"error_hash"' in capsys.readouterr().out


@given(st.text(alphabet="0123456789abcdefxABCDEF '\"-._g\u00e9", max_size=60))
def test_normalise_matches_the_placeholder_rules(text: str) -> None:
    # The linear patterns give the fingerprints the backtracking ones gave, so an upgrade
    # does not write every known error in full again.
    assert normalise(text) == _reference_normalise(text)


_REFERENCE = (
    (re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I), "<id>"),
    (re.compile(r"\b0x[0-9a-f]+\b|\b[0-9a-f]*\d[0-9a-f]*[a-f][0-9a-f]*\b", re.I), "<hex>"),
    (re.compile(r"'[^']*'|\"[^\"]*\""), "<str>"),
    (re.compile(r"\d+(?:\.\d+)?"), "<n>"),
)


def _reference_normalise(text: str) -> str:
    """The placeholder rules as plain (backtracking) patterns: fine on short texts only."""
    for pattern, placeholder in _REFERENCE:
        text = pattern.sub(placeholder, text)
    return text[:300]


def test_a_fingerprint_expires_and_is_written_in_full_again(
    capsys: pytest.CaptureFixture[str],
) -> None:
    otelkit.configure(log_format="json", console=False, error_dedup_every=5)
    aggregator = _pipeline.current().error_aggregator
    now = [1000.0]
    aggregator._clock = lambda: now[0]
    for _ in range(3):
        log.error("Redis unreachable")
    now[0] += _error_aggregation.FINGERPRINT_TTL + 1
    log.error("Redis unreachable")
    assert [line["count"] for line in _lines(capsys)] == [1, 1]
    assert aggregator.top()[0]["count"] == 1, "the expired history is gone"


def test_remembered_fingerprints_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_error_aggregation, "MAX_FINGERPRINTS", 20)
    otelkit.configure(log_stdout=False, console=False, error_dedup_every=3)
    for n in range(50):
        log.error(f"distinct error kind {'abcdefghijklmnopqrstuvwxyz'[n % 26]}{n // 26}x")
    assert len(_pipeline.current().error_aggregator.top(1000)) == 20


def test_severity_from_a_field_then_the_level(capsys: pytest.CaptureFixture[str]) -> None:
    otelkit.configure(log_format="json", console=False, error_dedup_every=1)
    log.error("Payment provider down", severity="CRITICAL")
    log.error("Something broke")
    log.critical("Disk full")
    logging.getLogger("lib").warning("warnings are not aggregated")
    lines = _lines(capsys)
    assert [line.get("severity") for line in lines] == ["critical", "high", "critical", None]
    assert all(line["count"] == 1 for line in lines[:3]), "every=1 writes all, fingerprinted"


def test_lifecycle_failures_are_always_written(capsys: pytest.CaptureFixture[str]) -> None:
    otelkit.configure(log_format="json", console=False, error_dedup_every=10)
    for n in range(3):
        with pytest.raises(PhoneError), otelkit.job("booking", job_id=f"job-{n}"):
            validate(1)
    failed = [line for line in _lines(capsys) if line["message"] == "JOB_FAILED"]
    assert [line["job_id"] for line in failed] == ["job-0", "job-1", "job-2"]
    assert [line["count"] for line in failed] == [1, 1, 1]
    assert len({line["error_hash"] for line in failed}) == 1


def test_spans_keep_every_error_and_the_counter_counts_all() -> None:
    with otlp_receiver() as (endpoint, received):
        otelkit.configure(endpoint=endpoint, log_stdout=False, console=False, error_dedup_every=10)
        for n in range(25):
            with pytest.raises(PhoneError):
                validate_in_a_span(n)
        assert otelkit.flush(timeout=10)
    spans = [span for span in received.spans() if span["name"] == "validate"]
    assert len(spans) == 25
    assert all(any(e["name"] == "exception" for e in span["events"]) for span in spans)
    logged = [r for r in received.logs() if r["body"]["stringValue"] == "Validation failed"]
    assert [attributes(r["attributes"])["count"] for r in logged] == ["1", "10", "10"]
    errors = {m["name"]: m for m in received.metrics()}["Errors"]
    (point,) = errors["sum"]["dataPoints"]
    assert point["asInt"] == "25"
    assert attributes(point["attributes"]) == {"error_type": "PhoneError", "severity": "low"}


def test_error_types_in_the_counter_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    from otelkit.testing import capture

    monkeypatch.setattr(_error_aggregation, "MAX_ERROR_TYPES", 3)
    with capture() as cap:
        aggregator = _error_aggregation.build(1)
        assert aggregator is not None
        _pipeline.activate(replace(_pipeline.current(), record_controls=(aggregator,)))
        for n in range(6):
            error = type(f"Kind{n}Error", (Exception,), {})
            try:
                raise error("x")
            except Exception:
                log.exception("failed")
    types = sorted(attrs["error_type"] for attrs, _ in cap.metrics["Errors"])
    assert types == ["Kind0Error", "Kind1Error", "Kind2Error", "other"]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    every=st.integers(min_value=1, max_value=7),
    sequence=st.lists(st.sampled_from(["Card declined", "Redis down", "Bad input"]), max_size=60),
)
def test_written_counts_add_up_to_the_occurrences(
    capsys: pytest.CaptureFixture[str], every: int, sequence: list[str]
) -> None:
    otelkit.configure(log_format="json", console=False, error_dedup_every=every)
    capsys.readouterr()
    for message in sequence:
        log.error(message)
    lines = _lines(capsys)
    for message in set(sequence):
        occurrences = sequence.count(message)
        written = [line["count"] for line in lines if line["message"] == message]
        assert len(written) == 1 + (occurrences - 1) // every
        pending = _pipeline.current().error_aggregator.top()
        total = next(item["count"] for item in pending if item["message"] == message)
        assert total == occurrences
        assert sum(written) <= occurrences < sum(written) + every


def test_every_failed_request_keeps_its_request_line(capsys: pytest.CaptureFixture[str]) -> None:
    """The app's repeated error is held back; each 500's "Request completed" is written, so
    ``status >= 500 | stats count(*) by route`` still counts every failure."""
    from fastapi import FastAPI, HTTPException

    from otelkit.middleware.asgi import OtelkitASGIMiddleware
    from tests.support.servers import asgi_server, request

    app = FastAPI()

    @app.get("/book/{n}")
    async def book(n: int) -> dict[str, int]:
        try:
            validate(n)
        except PhoneError:
            log.exception("Booking failed")
            raise HTTPException(status_code=500) from None
        return {"n": n}

    otelkit.configure(log_format="json", console=False, error_dedup_every=10)
    with asgi_server(OtelkitASGIMiddleware(app)) as url:
        for n in range(12):
            assert request("GET", f"{url}/book/{n}", timeout=10).status_code == 500
    lines = _lines(capsys)
    completed = [line for line in lines if line["message"] == "Request completed"]
    assert [line["status"] for line in completed] == [500] * 12
    assert [line["count"] for line in completed] == [1] * 12
    assert len({line["error_hash"] for line in completed}) == 1
    assert "otelkit_one_per_unit" not in completed[0]
    failed = [line for line in lines if line["message"] == "Booking failed"]
    assert [line["count"] for line in failed] == [1, 10]
