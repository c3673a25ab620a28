"""The seeds' own field names on otelkit's lines: 001's ``duration_ms``, 002's request
fields, 003's ``stage`` on lines inside a stage, 002's whole-line budget, and 001's
``Stage`` metric dimension."""

from __future__ import annotations

import json
from collections.abc import Iterator
from statistics import mean
from typing import Any

import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import otelkit
from otelkit._logs.line_budget import MIN_VALUE_CHARS
from otelkit.middleware.asgi import OtelkitASGIMiddleware
from tests.support.polling import eventually
from tests.support.servers import asgi_server, request

log = otelkit.get_logger("rez_agent.web_api")


def _lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.split("\n") if line.startswith('{"timestamp"')]


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    app = FastAPI()
    app.add_middleware(OtelkitASGIMiddleware)

    @app.post("/api/messages", status_code=202)
    async def create() -> dict[str, str]:
        return {"status": "created"}

    with asgi_server(app) as base:
        yield base


def _completed(capsys: pytest.CaptureFixture[str], count: int) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []

    def probe() -> list[dict[str, Any]] | None:
        seen.extend(
            line
            for line in _lines(capsys.readouterr().out)
            if line["message"] == "Request completed"
        )
        return seen if len(seen) >= count else None

    return eventually(probe)


def test_seed_001_query_3_averages_duration_ms(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    otelkit.configure(service_name="rez-agent-web-api", log_format="json", console=False)
    for _ in range(3):
        assert request("POST", f"{url}/api/messages").status_code == 202
    lines = _completed(capsys, 3)
    # fields duration_ms | filter path = "/api/messages" and method = "POST"
    # | stats avg(duration_ms) as avg_duration_ms, max(duration_ms) as max_duration_ms
    picked = [
        ln["duration_ms"] for ln in lines if (ln["path"], ln["method"]) == ("/api/messages", "POST")
    ]
    assert len(picked) == 3
    assert all(isinstance(value, float) and value > 0 for value in picked)
    assert [ln["duration_ms"] for ln in lines] == [ln["latency_ms"] for ln in lines]
    assert 0 < mean(picked) <= max(picked)
    assert "endpoint" not in lines[0]  # 002's names only when asked for


def test_seed_002_request_fields_with_the_aliases_setting(
    url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTELKIT_REQUEST_FIELD_ALIASES", "1")
    otelkit.configure(service_name="bella", log_format="json", console=False)
    assert request("POST", f"{url}/api/messages").status_code == 202
    (line,) = _completed(capsys, 1)
    assert line["event"] == "request_complete"
    assert line["endpoint"] == "/api/messages"
    assert line["method"] == "POST"
    assert line["status_code"] == line["status"] == 202
    assert line["duration"] == pytest.approx(line["latency_ms"] / 1000, abs=0.001)
    assert line["correlation_id"]  # the middleware's, as in the seed's example


def test_seed_003_lines_inside_a_stage_carry_it(capsys: pytest.CaptureFixture[str]) -> None:
    otelkit.configure(service_name="video-api", log_format="json", console=False)
    video = otelkit.get_logger("video")

    @otelkit.traced("generate script", stage="script")
    def script() -> None:
        video.info("Generating script with GPT-4o")
        with otelkit.span("openai call"):  # a nested span without a stage keeps it
            video.info("Script generated successfully")

    @otelkit.traced("compose", stage="composition")
    async def compose() -> None:
        video.info("Composing final video")

    with otelkit.bind(job_id="job-abc123"):
        video.info("Starting fully async generation")
        script()
        import asyncio

        asyncio.run(compose())
        with otelkit.span("audio", stage="audio"):
            video.info("Generating audio")
            video.info("Audio generated", stage="audio-mix")  # the call's own field wins
        video.info("Video generation complete")
    lines = _lines(capsys.readouterr().out)
    # fields @timestamp, @message, job_id, stage, status | filter job_id = "job-abc123"
    assert [(ln["message"], ln.get("stage")) for ln in lines if ln["job_id"] == "job-abc123"] == [
        ("Starting fully async generation", None),
        ("Generating script with GPT-4o", "script"),
        ("Script generated successfully", "script"),
        ("Composing final video", "composition"),
        ("Generating audio", "audio"),
        ("Audio generated", "audio-mix"),
        ("Video generation complete", None),
    ]


def test_a_generator_stage_holds_only_while_its_body_runs(
    capsys: pytest.CaptureFixture[str],
) -> None:
    otelkit.configure(log_format="json", console=False)

    @otelkit.traced("scenes", stage="scenes")
    def scenes() -> Iterator[int]:
        log.info("in body")
        yield 1

    for _ in scenes():
        log.info("in consumer")
    assert [ln.get("stage") for ln in _lines(capsys.readouterr().out)] == ["scenes", None]


def test_a_line_is_cut_to_max_line_chars(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTELKIT_MAX_LINE_CHARS", "500")
    otelkit.configure(service_name="bella", log_format="json", console=False)
    log.info(
        "twilio_webhook_start",
        path="/twilio/voice",
        body="x" * 900,
        headers={"User-Agent": "TwilioProxy/1.1", "X-Twilio-Signature": "s" * 20, "pad": "p" * 300},
    )
    log.info("short line", path="/twilio/voice")
    cut_line, short = _lines(capsys.readouterr().out)
    text = json.dumps(cut_line, ensure_ascii=False, separators=(",", ":"))
    assert len(text) <= 500
    assert cut_line["message"] == "twilio_webhook_start"  # the message is cut last
    assert cut_line["path"] == "/twilio/voice"
    assert cut_line["body"].endswith("[truncated, 900 chars]")
    assert short["message"] == "short line"
    assert "truncated" not in json.dumps(short)


def test_a_max_line_chars_below_256_is_refused() -> None:
    with pytest.raises(ValueError, match="max_line_chars"):
        otelkit.configure(log_format="json", console=False, max_line_chars=100)


_values = st.one_of(
    st.text(max_size=400),
    st.integers(),
    st.lists(st.text(max_size=80), max_size=8),
    st.dictionaries(st.text(max_size=10), st.text(max_size=120), max_size=5),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    limit=st.integers(min_value=256, max_value=2000),
    message=st.text(max_size=600),
    fields=st.dictionaries(
        st.from_regex(r"[a-z][a-z_]{0,12}", fullmatch=True), _values, max_size=8
    ),
)
def test_any_line_fits_its_budget(
    capsys: pytest.CaptureFixture[str], limit: int, message: str, fields: dict[str, Any]
) -> None:
    otelkit.configure(log_format="json", console=False, max_line_chars=limit)
    capsys.readouterr()
    log.info(message, **fields)
    out = capsys.readouterr().out
    line = out[: out.index("\n", out.index('{"timestamp"'))]
    parsed = json.loads(line)
    assert parsed["level"] == "INFO"
    if len(line) <= limit:
        return
    # Over the budget only when every value left is at the documented floor.
    structure = {"timestamp", "level", "logger", "service", "environment", "source"}
    texts = [
        value
        if isinstance(value, str)
        else json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        for key, value in parsed.items()
        if key not in structure and not isinstance(value, (bool, int, float))
    ]
    assert all(len(text) <= MIN_VALUE_CHARS for text in texts), (line, texts)


def test_seed_001_metrics_carry_a_stage_dimension(capsys: pytest.CaptureFixture[str]) -> None:
    otelkit.configure(
        service_name="rez-agent-processor",
        environment="prod",
        emf_namespace="RezAgent",
        emf_stage_dimension=True,
        console=False,
        log_stdout=False,
    )
    otelkit.count("MessagesProcessed", 1, Status="completed")
    otelkit.record("ProcessingDuration", 41.0, unit="ms", MessageType="scheduled_hello")
    otelkit.flush()
    documents = [json.loads(ln) for ln in capsys.readouterr().out.splitlines() if '"_aws"' in ln]
    by_metric = {
        metric["Name"]: (doc, directive["Dimensions"])
        for doc in documents
        for directive in doc["_aws"]["CloudWatchMetrics"]
        for metric in directive["Metrics"]
    }
    processed, dims = by_metric["MessagesProcessed"]
    assert dims == [["Stage", "Status", "service"]]
    assert (processed["Stage"], processed["Status"]) == ("prod", "completed")
    duration, dims = by_metric["ProcessingDuration"]
    assert dims == [["MessageType", "Stage", "service"]]
    assert duration["Stage"] == "prod"


def test_without_the_setting_no_stage_dimension(capsys: pytest.CaptureFixture[str]) -> None:
    otelkit.configure(environment="prod", emf_namespace="RezAgent", console=False, log_stdout=False)
    otelkit.count("MessagesProcessed", 1, Status="completed")
    otelkit.flush()
    (document,) = [json.loads(ln) for ln in capsys.readouterr().out.splitlines() if '"_aws"' in ln]
    assert document["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["Status", "service"]]
    assert "Stage" not in document
