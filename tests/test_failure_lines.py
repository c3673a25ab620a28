"""``auth_failure`` and ``api_error``: the lines seed 003's auth middleware and adapters
write, found by the seed's own Logs Insights filters."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import otelkit

TOKEN = (
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyLXh5eiIsImV4cCI6MTcwMDAwMDAwMH0."
    "c2lnbmF0dXJlLXRoYXQtZmFpbGVk"
)


def _lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    out = capsys.readouterr().out
    return [json.loads(line) for line in out.split("\n") if line.startswith("{")]


def _insights_like(line: dict[str, Any], pattern: str) -> bool:
    """Logs Insights' ``@message like /pattern/``: @message is the whole JSON line."""
    return re.search(pattern, json.dumps(line)) is not None


@pytest.mark.parametrize(
    ("reason", "words"),
    [
        ("invalid_token", "invalid token"),
        ("expired_token", "expired token"),
        ("missing_authorization", "missing authorization header"),
        ("verification_failed", "verification failed"),
    ],
)
def test_each_seed_auth_event_is_one_warning_line(
    capsys: pytest.CaptureFixture[str], reason: str, words: str
) -> None:
    otelkit.configure(service_name="video-api", log_format="json", console=False)
    otelkit.auth_failure(
        reason, scheme="Bearer", client_ip="192.168.1.100", route="/api/v1/generate"
    )
    (line,) = _lines(capsys)
    assert line["level"] == "WARNING"
    assert line["message"] == f"Authentication failed: {words}"
    assert line["reason"] == reason
    assert line["scheme"] == "Bearer"
    assert line["client_ip"] == "192.168.1.100"
    assert line["route"] == "/api/v1/generate"
    assert line["logger"] == "otelkit.auth"


def test_the_request_span_supplies_client_ip_and_route(
    capsys: pytest.CaptureFixture[str],
) -> None:
    otelkit.configure(service_name="video-api", log_format="json", console=False)
    request = {"client.address": "10.0.0.7", "http.route": "/api/v1/generate"}
    with otelkit.span("POST /api/v1/generate", kind="server", **request):
        otelkit.auth_failure("missing_authorization")
    (line,) = _lines(capsys)
    assert (line["client_ip"], line["route"]) == ("10.0.0.7", "/api/v1/generate")
    assert "scheme" not in line
    assert "detail" not in line


def test_the_token_never_reaches_the_line_even_with_redaction_off(
    capsys: pytest.CaptureFixture[str],
) -> None:
    otelkit.configure(service_name="video-api", log_format="json", console=False, scrub=False)
    otelkit.auth_failure(
        "verification_failed",
        scheme="Bearer",
        detail=ValueError(f"signature mismatch for Bearer {TOKEN}"),
    )
    (line,) = _lines(capsys)
    assert TOKEN not in json.dumps(line)
    assert line["detail"].startswith("signature mismatch for Bearer ")


def test_an_api_error_is_found_by_the_seeds_insights_query(
    capsys: pytest.CaptureFixture[str],
) -> None:
    otelkit.configure(service_name="video-api", log_format="json", console=False)
    body = json.dumps({"error": "upstream overloaded", "api_key": "sk-" + "a" * 40})
    with otelkit.bind(job_id="job-abc123"):
        otelkit.api_error("kling", status=503, latency_ms=812.437, detail=body, scene=1)
    otelkit.get_logger("video").info("Scene 1 video generated")  # not an API error
    error, other = _lines(capsys)
    # fields @timestamp, job_id, @message | filter @message like /API error/ | filter job_id != ""
    found = [ln for ln in (error, other) if _insights_like(ln, "API error") and ln.get("job_id")]
    assert found == [error]
    assert error["level"] == "ERROR"
    assert error["job_id"] == "job-abc123"
    assert (error["provider"], error["status"], error["latency_ms"]) == ("kling", 503, 812.44)
    assert error["scene"] == 1
    assert "upstream overloaded" in error["detail"]
    assert "a" * 40 not in error["detail"]


def test_an_exception_gives_its_type_and_text(capsys: pytest.CaptureFixture[str]) -> None:
    otelkit.configure(service_name="video-api", log_format="json", console=False)
    otelkit.api_error("minimax", error=TimeoutError("read timed out after 30s"))
    (line,) = _lines(capsys)
    assert (line["error_type"], line["detail"]) == ("TimeoutError", "read timed out after 30s")
    assert "status" not in line


def test_a_long_detail_is_cut_to_200_characters(capsys: pytest.CaptureFixture[str]) -> None:
    otelkit.configure(service_name="video-api", log_format="json", console=False)
    otelkit.api_error("openai", status=500, detail="<html>" + "x" * 5000)
    (line,) = _lines(capsys)
    assert len(line["detail"]) == 200
    assert line["detail"].endswith("[truncated, 5006 chars]")


def test_a_blank_provider_or_reason_is_refused() -> None:
    with pytest.raises(ValueError, match="provider"):
        otelkit.api_error("")
    with pytest.raises(ValueError, match="reason"):
        otelkit.auth_failure("")


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    payload=st.binary(min_size=6, max_size=48),
    around=st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=40),
)
def test_no_jwt_in_a_detail_survives(
    capsys: pytest.CaptureFixture[str], payload: bytes, around: str
) -> None:
    otelkit.configure(service_name="video-api", log_format="json", console=False)
    capsys.readouterr()
    body = base64.urlsafe_b64encode(b'{"sub":' + payload).decode().rstrip("=")
    token = f"eyJhbGciOiJIUzI1NiJ9.{body}.sig"
    otelkit.auth_failure("invalid_token", detail=f"{around} {token} {around}")
    (line,) = _lines(capsys)
    assert token not in json.dumps(line)
