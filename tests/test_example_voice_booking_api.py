"""The voice-booking example: one correlation ID per request, one session ID per call, and
the monitoring guide's Logs Insights questions answerable from the JSON lines alone."""

from __future__ import annotations

import json
import re
import subprocess
from collections import Counter
from dataclasses import dataclass
from typing import Any

import pytest

from tests.support.examples import run_example

pytestmark = pytest.mark.slow  # each test runs an example as a program

TWILIO_AUTH_TOKEN = "tw-auth-3b9d0c2e7f1a"
STT_API_KEY = "sk-stt-live-8e41f7c2d9"
CALL_A, CALL_B, CALL_C = "CA" + "a1" * 16, "CA" + "b2" * 16, "CA" + "c3" * 16
QUIET = ("/health", "/metrics")
PRINTED = re.compile(
    r"(GET|POST) (\S+) -> (\d{3}) x-correlation-id=(\S+) "
    r"alb-trace=Root=1-([0-9a-f]{8})-([0-9a-f]{24})"
)
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")

Line = dict[str, Any]


@dataclass(frozen=True)
class Sent:
    """A request the demo made, as it printed it."""

    method: str
    path: str
    status: int
    correlation_id: str
    alb_trace_id: str


@dataclass(frozen=True)
class Demo:
    result: subprocess.CompletedProcess[str]
    lines: list[Line]
    sent: list[Sent]
    summary: dict[str, Any]

    def logged(self) -> list[Sent]:
        """The requests that write request lines (not the health check or the summary)."""
        return [s for s in self.sent if s.path not in QUIET]

    def completed(self) -> list[Line]:
        return [line for line in self.lines if line["message"] == "Request completed"]

    def by_correlation(self, correlation_id: str) -> list[Line]:
        return [line for line in self.lines if line.get("correlation_id") == correlation_id]


@pytest.fixture(scope="module")
def demo() -> Demo:
    result, lines = run_example(
        "voice_booking_api.py",
        "--demo",
        env={"TWILIO_AUTH_TOKEN": TWILIO_AUTH_TOKEN, "STT_API_KEY": STT_API_KEY},
    )
    printed = [text for text in result.stdout.splitlines() if not text.startswith("{")]
    assert printed[0] == "slow-request threshold: 300 ms (production: 2000 ms)"
    assert printed[-1].startswith("metrics: ")
    summary = json.loads(printed[-1].removeprefix("metrics: "))
    sent = []
    for text in printed[1:-1]:
        match = PRINTED.fullmatch(text)
        assert match, text
        method, path, status, correlation_id, high, low = match.groups()
        sent.append(Sent(method, path, int(status), correlation_id, high + low))
    return Demo(result, lines, sent, summary)


def test_each_request_has_one_correlation_id_echoed_and_on_all_its_lines(demo: Demo) -> None:
    assert [(s.method, s.path, s.status) for s in demo.sent] == [
        ("GET", "/health", 200),
        ("POST", "/twilio/voice", 200),
        ("POST", "/twilio/voice", 200),
        ("POST", "/twilio/recording", 200),
        ("POST", "/twilio/recording", 502),
        ("POST", "/twilio/recording", 200),
        ("POST", "/twilio/recording", 502),
        ("POST", "/twilio/status", 204),
        ("POST", "/twilio/status", 204),
        ("POST", "/twilio/voice", 200),
        *[("POST", "/twilio/recording", 502)] * 11,
        ("POST", "/twilio/status", 204),
        ("POST", "/twilio/voice", 403),
        ("GET", "/health", 200),
        ("GET", "/metrics", 200),
    ]
    # a fresh ID per request, echoed in X-Correlation-ID, failures included
    assert all(UUID.fullmatch(s.correlation_id) for s in demo.sent)
    assert len({s.correlation_id for s in demo.sent}) == len(demo.sent)
    for sent in demo.logged():
        mine = demo.by_correlation(sent.correlation_id)
        request_lines = [
            (line["message"], line["path"], line.get("status"))
            for line in mine
            if line["logger"] == "otelkit.http" and line["message"] != "Slow request"
        ]
        assert request_lines == [
            ("Request started", sent.path, None),
            ("Request completed", sent.path, sent.status),
        ]
        assert len({line["trace_id"] for line in mine}) == 1
    # and the other way round: each trace's lines carry one correlation ID, none lacks it
    app_lines = [line for line in demo.lines if "trace_id" in line]
    assert app_lines
    traces: dict[str, set[str]] = {}
    for line in app_lines:
        traces.setdefault(line["trace_id"], set()).add(line["correlation_id"])
    assert all(len(ids) == 1 for ids in traces.values()), traces


def test_the_call_session_id_is_on_every_line_the_call_writes(demo: Demo) -> None:
    for call, opener, outcome in ((CALL_A, 1, "SESSION_ENDED"), (CALL_B, 2, "SESSION_FAILED")):
        lines = [line for line in demo.lines if line.get("session_id") == call]
        # the call's webhooks, found by session_id alone, in order
        requests = list(dict.fromkeys(line["correlation_id"] for line in lines))
        assert [s.path for s in demo.sent if s.correlation_id in requests] == [
            "/twilio/voice",
            "/twilio/recording",
            "/twilio/recording",
            "/twilio/status",
        ]
        # everything the application wrote while handling them carries the call's ID
        # (otelkit's request lines are written outside the handler: they join by
        # correlation_id)
        for correlation_id in requests:
            for line in demo.by_correlation(correlation_id):
                if line["logger"] != "otelkit.http":
                    assert line.get("session_id") == call, line
        lifecycle = [line["event_type"] for line in lines if line["logger"] == "otelkit.session"]
        assert lifecycle == ["SESSION_STARTED", outcome]
        # the session's records belong to the webhook that opened the call
        opened = demo.sent[opener].correlation_id
        assert {
            line["correlation_id"] for line in lines if line["logger"] == "otelkit.session"
        } == {opened}
    ended = next(line for line in demo.lines if line["message"] == "SESSION_ENDED")
    failed = next(line for line in demo.lines if line["message"] == "SESSION_FAILED")
    assert isinstance(ended["duration_ms"], float)
    assert (failed["level"], failed["error_type"]) == ("ERROR", "AbandonedCallError")
    booked = next(line for line in demo.lines if line["message"] == "BOOKING_CONFIRMED")
    assert (booked["session_id"], booked["status"], booked["treatment"]) == (
        CALL_A,
        "confirmed",
        "haircut",
    )
    assert re.fullmatch(r"bkg-[0-9a-f]{32}", booked["booking_id"])
    incoming = [
        line["active_sessions"] for line in demo.lines if line["message"] == "Incoming call"
    ]
    assert incoming == [1, 2, 1]


def test_the_guides_insights_questions_are_answerable(demo: Demo) -> None:
    completed = demo.completed()
    # latency_ms is a number on every request line (Insights' stats need numbers)
    assert all(type(line["latency_ms"]) in (int, float) for line in completed)
    assert all(type(line["status"]) is int for line in completed)
    # filter message = "Request completed" and status >= 500 | stats count(*) by route
    # every failed request is counted, though its error is written once per 10
    errors = Counter(line["route"] for line in completed if line["status"] >= 500)
    assert errors == {"/twilio/recording": 13}
    assert {line["level"] for line in completed if line["status"] >= 500} == {"ERROR"}
    # filter message = "Slow request": the 25-second recording takes 500 ms to transcribe,
    # above the demo's 300 ms (on a loaded machine other requests may join it)
    slow = {
        line["correlation_id"]: line for line in demo.lines if line["message"] == "Slow request"
    }
    haircut = slow[demo.sent[3].correlation_id]
    assert (haircut["level"], haircut["route"], haircut["method"]) == (
        "WARNING",
        "/twilio/recording",
        "POST",
    )
    # ... and its correlation_id leads to the call
    assert CALL_A in {
        line.get("session_id") for line in demo.by_correlation(haircut["correlation_id"])
    }
    assert all(
        type(line["latency_ms"]) is float and line["latency_ms"] > line["threshold_ms"] == 300.0
        for line in slow.values()
    )
    # the same question from the request lines alone: filter latency_ms > 300
    assert demo.sent[3].correlation_id in {
        line["correlation_id"] for line in completed if line["latency_ms"] > 300
    }
    # filter ispresent(error_hash) and logger = "bella.api" | stats sum(count) by error_hash:
    # thirteen failures of one kind, written twice (the 1st; the 11th standing for 10)
    aggregated = [
        line for line in demo.lines if "error_hash" in line and line["logger"] == "bella.api"
    ]
    assert [line["count"] for line in aggregated] == [1, 10]
    first = aggregated[0]
    assert re.fullmatch(r"[0-9a-f]{8}", first["error_hash"])
    assert {line["error_hash"] for line in aggregated} == {first["error_hash"]}
    for line in aggregated:
        assert (line["level"], line["error_type"], line["severity"], line["endpoint"]) == (
            "ERROR",
            "UpstreamError",
            "high",
            "/twilio/recording",
        )
        assert "Traceback" in line["exception"]
    # the upstream's error page is quoted, cut to the guide's 200 characters, visibly
    assert first["message"].startswith("Upstream failed: speech-to-text answered 422")
    assert re.search(r"… \[truncated, \d+ chars\]$", first["message"])
    assert len(first["message"]) == 200
    # filter message = "signature_validation_failed"
    rejected = next(line for line in demo.lines if line["message"] == "signature_validation_failed")
    assert (rejected["level"], rejected["status"], rejected["signed"]) == (
        "WARNING",
        "rejected",
        False,
    )
    # the HTTP server metrics, by route and status class (console metrics on stderr)
    assert re.search(
        r"http\.server\.request\.duration count=13 .* http\.response\.status_class="
        r"5xx http\.route=/twilio/recording",
        demo.result.stderr,
    )
    assert re.search(
        r"http\.server\.slow_requests +\d+ .*http\.route=/twilio/recording", demo.result.stderr
    )
    assert "/twilio/recording/" not in demo.result.stderr  # never a raw path


def test_every_message_fits_the_guides_200_characters(demo: Demo) -> None:
    assert max(len(line["message"]) for line in demo.lines) <= 200
    cut = [line for line in demo.lines if "[truncated," in line["message"]]
    assert len(cut) == 2  # the two error lines; nothing else was that long


def test_the_metrics_json_summary_has_the_guides_shape(demo: Demo) -> None:
    summary = demo.summary
    assert summary["status"] == "healthy"
    performance = summary["performance"]
    logged = demo.logged()
    failed = [s for s in logged if s.status >= 500]
    assert performance["active_sessions"] == 0  # every call has ended
    assert performance["total_requests"] == len(logged)  # quiet paths are not counted
    assert performance["error_rate"] == round(100 * len(failed) / len(logged), 2)
    assert performance["slow_requests"] >= 1  # the haircut recording
    completed = demo.completed()
    average_s = sum(line["latency_ms"] for line in completed) / len(completed) / 1000
    assert performance["avg_response_time"] == pytest.approx(average_s, rel=0.05, abs=0.002)
    errors = summary["errors"]
    top = errors["top_errors"][0]
    assert (top["error_type"], top["count"], top["severity"]) == ("UpstreamError", 13, "high")
    aggregated = next(line for line in demo.lines if line.get("error_type") == "UpstreamError")
    assert top["error_hash"] == aggregated["error_hash"]  # the summary leads to the lines
    assert errors["total_unique_errors"] == len(errors["top_errors"])
    assert errors["total_error_count"] == sum(errors["by_severity"].values())
    assert errors["by_severity"]["high"] >= 13


def test_no_secret_or_phone_number_reaches_any_line(demo: Demo) -> None:
    everything = demo.result.stdout + demo.result.stderr
    phones = ("+14165550123", "+16475550199", "+12505550142")
    for secret in (TWILIO_AUTH_TOKEN, STT_API_KEY, "Bearer", *phones):
        assert secret not in everything
    assert "x-twilio-signature" not in everything.lower()
    assert not [line for line in demo.lines if any("authorization" in key.lower() for key in line)]


def test_health_checks_write_no_request_logs(demo: Demo) -> None:
    health = [s for s in demo.sent if s.path == "/health"]
    assert [s.status for s in health] == [200, 200]
    assert not [line for line in demo.lines if line.get("path") in QUIET]
    for sent in [s for s in demo.sent if s.path in QUIET]:
        assert not demo.by_correlation(sent.correlation_id)
    # measured like any route (one bounded series), but never logged
    assert "http.route=/health" in demo.result.stderr
    # their spans are still made, for the collector to keep or drop
    assert demo.result.stderr.count("• GET /health") == 2


def test_the_albs_trace_id_is_the_requests_trace_id(demo: Demo) -> None:
    for sent in demo.logged():
        started = demo.by_correlation(sent.correlation_id)[0]
        assert started["trace_id"] == sent.alb_trace_id
