"""Seed queries run by the local Logs Insights subset over lines the examples really write.

The query text is the example model's saved query (what ``otelkit ops render`` turns into
a CloudWatch query definition); the lines are the example's JSON stdout, as CloudWatch
would receive them. Seed 001's query 3 (``duration_ms`` of ``POST /api/messages``) over
the rez example's web API lines, seed 003's performance query (``total_time`` by video
``duration``) over the video pipeline's completion lines.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from statistics import mean
from typing import Any

import pytest

import otelkit
from otelkit._cli.insights_local import parse_query
from otelkit.ops import load_model
from tests.support.examples import run_example

OPS = Path(__file__).resolve().parents[1] / "examples" / "ops"


def _saved(model_file: str, name: str) -> str:
    [query] = [q for q in load_model(OPS / model_file).queries if q.name == name]
    assert query.insights is not None
    return query.insights


@pytest.mark.slow  # runs an example as a program
def test_seed_001_query_3_over_the_rez_web_api_lines() -> None:
    _, lines = run_example("message_pipeline.py")
    completed = [line for line in lines if line["message"] == "Request completed"]
    assert len(completed) == 3
    for line in completed:  # otelkit's name is kept beside the seed's
        assert (line["method"], line["path"], line["status"]) == ("POST", "/api/messages", 202)
        assert line["duration_ms"] == line["latency_ms"] > 0
    # a duration_ms on another kind of line (the processor's) is not an API response
    assert any("duration_ms" in line and "path" not in line for line in lines)
    [row] = parse_query(_saved("rez_agent.yaml", "api-response-time")).run(lines)
    values = [line["duration_ms"] for line in completed]
    assert row["avg_duration_ms"] == pytest.approx(mean(values))
    assert row["max_duration_ms"] == max(values)


@pytest.mark.slow  # runs an example as a program
def test_seed_003_total_time_by_video_duration_over_the_video_pipeline_lines() -> None:
    _, lines = run_example("video_pipeline.py")
    [done] = [line for line in lines if line["message"] == "Video generation complete"]
    # the seed's fields: the video's length (3 scenes of 5 s) and the job's time so far
    assert done["duration"] == 15
    completed = next(line for line in lines if line["message"] == "JOB_COMPLETED")
    assert 0 < done["total_time"] <= completed["duration_ms"] / 1000
    assert done["job_id"] == completed["job_id"]
    rows = parse_query(_saved("video_pipeline.yaml", "job-duration")).run(lines)
    assert rows == [
        {"duration": 15, "avg_time": done["total_time"], "max_time": done["total_time"]}
    ]


def test_log_complete_writes_total_time_and_refuses_to_be_given_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    otelkit.configure(service_name="video-pipeline", log_format="json", console=False)
    with otelkit.job("video.generate") as job:
        time.sleep(0.05)
        job.log_complete("Video generation complete", duration=10, video_key="videos/final.mp4")
        with pytest.raises(ValueError, match="total_time"):
            job.log_complete("again", total_time=1)
    otelkit.flush()
    lines: list[dict[str, Any]] = [
        json.loads(text) for text in capsys.readouterr().out.splitlines() if text.startswith("{")
    ]
    [line] = [ln for ln in lines if ln["message"] == "Video generation complete"]
    assert (line["job_id"], line["duration"], line["video_key"]) == (
        job.job_id,
        10,
        "videos/final.mp4",
    )
    assert 0.05 <= line["total_time"] < 5
    assert line["level"] == "INFO"


@pytest.mark.parametrize(("at", "end"), [(0.1366, 0.136941), (0.4996, 0.4999), (0.5, 0.5000004)])
def test_the_summary_line_never_reads_later_than_the_job_end(
    at: float, end: float, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``total_time`` and ``duration_ms`` round alike: a summary written at 136.6 ms of a
    job that ends at 136.941 ms must not say 0.137 s."""
    otelkit.configure(service_name="video-pipeline", log_format="json", console=False)
    clock = iter([100.0, 100.0 + at, 100.0 + end])  # the job's start, the summary, its end
    monkeypatch.setattr(time, "perf_counter", lambda: next(clock, 200.0))
    with otelkit.job("video.generate") as job:
        job.log_complete("Video generation complete", duration=15)
    monkeypatch.undo()
    lines = [json.loads(t) for t in capsys.readouterr().out.splitlines() if t.startswith("{")]
    [done] = [line for line in lines if line["message"] == "Video generation complete"]
    [completed] = [line for line in lines if line["message"] == "JOB_COMPLETED"]
    assert done["total_time"] <= completed["duration_ms"] / 1000
