"""``otelkit metrics``, ``insights``, ``summary`` and ``logs tail --follow``: seed 002's
debug commands, over lines otelkit itself wrote to files and over CloudWatch (moto)."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import boto3
import pytest
from hypothesis import given
from hypothesis import strategies as st

import otelkit
from otelkit.__main__ import main
from otelkit._requests.telemetry import Request

log = otelkit.get_logger("bella.api")
HOSTILE = "Invalid phone\x1b]0;pwned\x07 number\u202eformat"


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def log_dir(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Path:
    """A service's LOG_TO_FILE folder after 4 requests (one 500) and 15 repeats of one
    validation error plus 2 of another, aggregated every 10th (seed 002's shape)."""
    monkeypatch.setenv("LOG_TO_FILE", "1")  # environment-only settings
    monkeypatch.setenv("LOG_DIR", str(tmp_path))
    otelkit.configure(
        service_name="bella",
        log_format="json",
        console=False,
        error_dedup_every=10,
        emf_namespace="Bella",
    )
    for status in (200, 202, 200, 500):
        request = Request("POST", "/api/assistant/book", "10.0.0.1", logs=True)
        request.routed("/api/assistant/book")
        request.status = status
        request.completed(124)
    for _ in range(15):
        log.error(HOSTILE, error_type="ValidationError")
    for _ in range(2):
        log.error("Twilio signature invalid", error_type="SignatureError")
    otelkit.count("TotalRequests", 4, endpoint="/api/assistant/book")
    otelkit.record("ResponseTime", 0.25, unit="s", endpoint="/api/assistant/book")
    otelkit.record("ResponseTime", 0.75, unit="s", endpoint="/api/assistant/book")
    otelkit.flush()
    otelkit.shutdown()
    (tmp_path / "emf.jsonl").write_text(capsys.readouterr().out)  # stdout, as captured
    return tmp_path / "bella"


def test_summary_of_local_files_has_the_seeds_metrics_shape(
    log_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(capsys, "summary", "--file", str(log_dir), "--json")
    assert code == 0
    summary = json.loads(out)
    performance = summary["performance"]
    assert performance["total_requests"] == 4
    assert performance["error_rate"] == 25.0
    assert 0 <= performance["avg_response_time"] < 1
    assert performance["slow_requests"] == 0
    errors = summary["errors"]
    # written at the 1st and every 10th occurrence, with the count so far: 15 repeats show
    # as 10 until the 20th; the 2 signature errors as their first line
    assert errors["total_error_count"] == 10 + 1 + 1  # the 500's Request completed too
    assert errors["total_unique_errors"] == 3
    top = errors["top_errors"][0]
    assert (top["error_type"], top["count"]) == ("ValidationError", 10)
    assert top["error_hash"]
    assert set(errors["by_severity"]) <= {"low", "medium", "high", "critical", "unknown"}


def test_summary_text_escapes_what_a_line_says(
    log_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(capsys, "summary", "--file", str(log_dir), "--slow-ms", "0")
    assert code == 0
    assert "requests: 4," in out
    assert "slow (>0 ms) 4" in out
    assert "\x1b" not in out
    assert "\u202e" not in out
    assert "Invalid phone\\x1b]0;pwned\\x07 number\\u202eformat" in out


def test_insights_runs_a_saved_query_over_local_files(
    log_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(capsys, "insights", "endpoints", "--file", str(log_dir), "--json")
    assert code == 0
    (row,) = [json.loads(line) for line in out.splitlines()]
    assert (row["method"], row["route"], row["requests"]) == ("POST", "/api/assistant/book", 4)
    assert row["max_ms"] >= row["avg_ms"] > 0


def test_insights_runs_seed_001s_query_2_text(
    log_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    query = (
        'fields error_type, @message | filter level = "ERROR" '
        "| stats count() as error_count by error_type | sort error_count desc"
    )
    code, out, _ = _run(capsys, "insights", query, "--file", str(log_dir))
    assert code == 0
    header, first, second, third = out.splitlines()
    assert header.split() == ["error_type", "error_count"]
    # the aggregated lines: ValidationError written at the 1st and 10th occurrence
    assert first.split() == ["ValidationError", "2"]
    assert sorted([second.split(), third.split()]) == [["-", "1"], ["SignatureError", "1"]]


def test_insights_refuses_what_it_cannot_run(
    log_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(capsys, "insights", "parse @message 'x'", "--file", str(log_dir))
    assert code == 2
    assert "unsupported command 'parse'" in err
    code, out, _ = _run(capsys, "insights", "--list")
    assert code == 0
    assert "api-errors" in out


def test_metrics_from_the_emf_lines_in_a_file(
    log_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    emf = log_dir.parent / "emf.jsonl"
    code, out, _ = _run(capsys, "metrics", "--file", str(emf), "--json")
    assert code == 0
    rows = {row["metric"]: row for row in map(json.loads, out.splitlines())}
    total = rows["TotalRequests"]
    assert (total["namespace"], total["sum"]) == ("Bella", 4)
    assert "endpoint=/api/assistant/book" in total["dimensions"]
    response = rows["ResponseTime"]
    assert (response["samples"], response["min"], response["max"]) == (2, 0.25, 0.75)
    assert response["avg"] == pytest.approx(0.5)


@pytest.fixture
def aws(aws_endpoint: str, aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> str:
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL"):
        monkeypatch.setenv(key, aws_env[key])
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return aws_endpoint


def _group_with(lines: list[dict[str, Any] | str]) -> str:
    client = boto3.client("logs", region_name="ca-central-1")
    group = f"/ecs/bella-prod-{time.time_ns()}"
    client.create_log_group(logGroupName=group)
    client.create_log_stream(logGroupName=group, logStreamName="task-1")
    now_ms = int(time.time() * 1000)
    texts = [ln if isinstance(ln, str) else json.dumps(ln) for ln in lines]
    client.put_log_events(
        logGroupName=group,
        logStreamName="task-1",
        logEvents=[{"timestamp": now_ms + i, "message": text} for i, text in enumerate(texts)],
    )
    return group


def _line(message: str, **fields: Any) -> dict[str, Any]:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
    return {"timestamp": stamp, "level": "INFO", "service": "bella", "message": message, **fields}


@pytest.mark.usefixtures("aws")
def test_summary_and_insights_over_cloudwatch(capsys: pytest.CaptureFixture[str]) -> None:
    group = _group_with(
        [
            _line("Request completed", status=200, latency_ms=1234.0),
            _line("Request completed", status=503, latency_ms=2500.0, level="ERROR"),
            _line(
                HOSTILE,
                level="ERROR",
                error_type="ValidationError",
                error_hash="abc12345",
                count=15,
                severity="low",
            ),
            "\x1b]0;pwned\x07 a plain-text line from another writer",
        ]
    )
    region = ("--region", "ca-central-1")
    code, out, _ = _run(capsys, "summary", "--group", group, *region, "--since", "10m", "--json")
    assert code == 0
    summary = json.loads(out)
    assert summary["performance"] == {
        "total_requests": 2,
        "avg_response_time": 1.867,
        "error_rate": 50.0,
        "slow_requests": 1,
    }
    assert summary["errors"]["by_severity"] == {"low": 15, "unknown": 1}
    query = "fields @timestamp, @message | sort @timestamp desc | limit 2"
    code, out, _ = _run(capsys, "insights", query, "--group", group, *region)
    assert code == 0
    assert out.splitlines()[0].split() == ["@timestamp", "@message"]
    assert len(out.splitlines()) == 3
    assert "\x1b" not in out
    assert "\\x1b]0;pwned\\x07 a plain-text line" in out  # the newest line, escaped


@pytest.mark.usefixtures("aws")
def test_metrics_over_cloudwatch(capsys: pytest.CaptureFixture[str]) -> None:
    client = boto3.client("cloudwatch", region_name="ca-central-1")
    namespace = f"RezAgent{time.time_ns()}"
    dimensions = [{"Name": "Stage", "Value": "prod"}, {"Name": "Status", "Value": "completed"}]
    for value in (1.0, 2.0, 6.0):
        client.put_metric_data(
            Namespace=namespace,
            MetricData=[
                {"MetricName": "MessagesProcessed", "Value": value, "Dimensions": dimensions}
            ],
        )
    argv = ("metrics", "--namespace", namespace, "--region", "ca-central-1", "--json")
    code, out, _ = _run(capsys, *argv)
    assert code == 0
    (row,) = map(json.loads, out.splitlines())
    assert row["metric"] == "MessagesProcessed"
    assert row["dimensions"] == "Stage=prod,Status=completed"
    assert (row["samples"], row["sum"], row["min"], row["max"]) == (3, 9.0, 1.0, 6.0)


@pytest.mark.usefixtures("aws")
def test_an_unknown_profile_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "summary", "--group", "/x", "--profile", "no-such-profile")
    assert code == 1
    assert "no-such-profile" in err
    assert "Traceback" not in err


def _append_until(path: Path, stop: threading.Event, rotate_at: int | None = None) -> None:
    for i in range(200):
        if stop.is_set():
            return
        if rotate_at is not None and i == rotate_at:
            path.rename(path.with_name(path.name + ".1"))
        with path.open("a") as stream:
            stream.write(json.dumps(_line(f"line {i}", seq=i, note="\x1b[2J")) + "\n")
        time.sleep(0.03)


@pytest.mark.parametrize("rotate_at", [None, 12])
def test_tail_follow_prints_appended_lines_in_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], rotate_at: int | None
) -> None:
    path = tmp_path / "bella.jsonl"
    path.write_text(json.dumps(_line("before the follow")) + "\n")
    stop = threading.Event()
    writer = threading.Thread(target=_append_until, args=(path, stop, rotate_at))
    writer.start()
    try:
        argv = ["logs", "tail", "--follow", "--file", str(path), "--max-lines", "25"]
        code, out, _ = _run(capsys, *argv, "--interval", "0.02")
    finally:
        stop.set()
        writer.join()
    assert code == 0
    printed = out.splitlines()
    assert len(printed) == 25
    assert not any("before the follow" in text for text in printed)
    numbers = [int(text.split("seq=")[1].split()[0]) for text in printed]
    assert numbers == list(range(numbers[0], numbers[0] + 25))  # none lost or repeated
    assert all("note=\\x1b[2J" in text for text in printed)
    assert "\x1b" not in out


def test_tail_help_names_follow(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "logs", "tail", "--help")
    assert code == 0
    assert "--follow" in out
    assert "keep printing lines a --file gains" in out


def test_tail_follow_needs_a_file(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "logs", "tail", "--follow", "--group", "/ecs/x")
    assert code == 2
    assert "--file" in err


def test_the_commands_are_listed(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "--help")
    assert code == 0
    for command in ("metrics", "insights", "summary", "logs"):
        assert f"\n  {command} " in out


def test_follow_skips_a_line_over_1_mib_and_holds_no_more(tmp_path: Path) -> None:
    from otelkit._cli.follow import Follower
    from otelkit._cli.log_reading import MAX_LINE_BYTES

    path = tmp_path / "bella.jsonl"
    path.write_text("")
    follower = Follower(path)
    assert follower.poll() == []  # opened at the end
    with path.open("a") as stream:
        stream.write(json.dumps(_line("first")) + "\n")
        stream.write("{" + "x" * (3 * MAX_LINE_BYTES))  # no newline yet
    got = follower.poll()
    assert len(follower.partial) <= MAX_LINE_BYTES + 65536
    with path.open("a") as stream:
        stream.write("x}\n" + json.dumps(_line("after")) + "\n")
    got += follower.poll()
    follower.close()
    assert [json.loads(text)["message"] for text in got] == ["first", "after"]
    assert follower.skipped == 1


@given(text=st.text(max_size=200))
def test_a_followed_line_prints_as_one_safe_line(text: str) -> None:
    from otelkit._cli.follow import render

    for candidate in (text, json.dumps({"message": text, text[:10] or "k": text})):
        shown = render(candidate, as_json=False)
        assert "\n" not in shown
        assert not any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in shown)
        assert not set(shown) & {"\u2028", "\u2029", "\u202e", "\u2066"}


def test_follow_says_when_it_skipped_a_line(tmp_path: Path) -> None:
    from otelkit._cli.follow import follow
    from otelkit._cli.log_reading import MAX_LINE_BYTES

    path = tmp_path / "bella.jsonl"
    path.write_text("")
    out: list[str] = []
    warnings: list[str] = []

    def write_later() -> None:
        time.sleep(0.1)
        with path.open("a") as stream:
            stream.write("x" * (MAX_LINE_BYTES + 10) + "\n" + json.dumps(_line("kept")) + "\n")

    writer = threading.Thread(target=write_later)
    writer.start()
    written = follow(path, out.append, max_lines=1, interval=0.02, warn=warnings.append)
    writer.join()
    assert written == 1
    assert "kept" in out[0]
    assert warnings == ["otelkit logs: skipped a line longer than 1 MiB (1 so far)\n"]


def test_a_line_over_1_mib_in_a_file_is_skipped_in_bounded_reads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from otelkit._cli.log_reading import MAX_LINE_BYTES

    path = tmp_path / "bella.jsonl"
    huge = json.dumps(_line("Request completed", status=200, pad="x" * (3 * MAX_LINE_BYTES)))
    kept = json.dumps(_line("Request completed", status=500, latency_ms=10.0))
    path.write_text(huge + "\n" + kept + "\n")
    code, out, _ = _run(capsys, "summary", "--file", str(path), "--json")
    assert code == 0
    assert json.loads(out)["performance"]["total_requests"] == 1


def test_follow_as_a_program_prints_each_line_as_it_comes(tmp_path: Path) -> None:
    import subprocess
    import sys

    path = tmp_path / "bella.jsonl"
    path.write_text("")
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "otelkit", "logs", "tail", "-f", "--file", str(path)),
            *("--max-lines", "3", "--interval", "0.02"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    stop = threading.Event()
    writer = threading.Thread(target=_append_until, args=(path, stop))
    writer.start()
    try:
        out, err = process.communicate(timeout=30)
    finally:
        stop.set()
        writer.join()
    assert process.returncode == 0, err
    printed = out.splitlines()
    assert len(printed) == 3
    first = int(printed[0].split("seq=")[1].split()[0])
    assert [f"line {n}" in text for n, text in enumerate(printed, first)] == [True] * 3


@pytest.mark.parametrize("command", ["metrics", "insights", "summary"])
def test_lines_too_long_or_too_deep_are_skipped_and_said(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from otelkit._cli.log_reading import MAX_LINE_BYTES

    path = tmp_path / "bella.jsonl"
    with path.open("w") as stream:
        stream.write(json.dumps(_line("kept")) + "\n")
        stream.write('{"message": "' + "x" * MAX_LINE_BYTES + '"}\n')
        stream.write('{"deep": ' + "[" * 100 + "]" * 100 + "}\n")
    query = ["fields message"] if command == "insights" else []
    code, _, err = _run(capsys, command, *query, "--file", str(path), "--since", "7d")
    assert code == 0, err
    assert f"otelkit {command}: skipped 1 line longer than 1 MiB" in err
    assert f"otelkit {command}: skipped 1 line nested deeper than 64 levels" in err
