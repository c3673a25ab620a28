"""The browser-sessions example: its JSON lines answer the logging guide's Insights queries.

Each test runs a query of the guide (CloudWatch Logs Insights) over the example's stdout,
written as the list operations Insights would do, and checks the answer is the one a
person debugging sessions needs.
"""

from __future__ import annotations

import subprocess
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import pytest

from tests.support.examples import run_example
from tests.support.otlp_receiver import attributes, otlp_receiver

pytestmark = pytest.mark.slow  # each test runs an example as a program

Line = dict[str, Any]
SCRIPT = "browser_sessions.py"
SETUP = {"SESSION_CREATED", "SESSION_STARTING", "SESSION_READY"}
CUSTOM_METRICS = (
    "SessionErrors",
    "BrowserOperations",
    "BrowserOperationDuration",
    "SessionProvisioningDuration",
    "SessionProxyBytes",
    "SessionCpuPercent",
)


@pytest.fixture(scope="module")
def run() -> tuple[subprocess.CompletedProcess[str], list[Line]]:
    return run_example(SCRIPT)


@pytest.fixture(scope="module")
def lines(run: tuple[subprocess.CompletedProcess[str], list[Line]]) -> list[Line]:
    return run[1]


def where(lines: Iterable[Line], **equals: Any) -> list[Line]:
    """``filter key = value and …``"""
    return [line for line in lines if all(line.get(k) == v for k, v in equals.items())]


def by_timestamp(lines: Iterable[Line], *, desc: bool = False) -> list[Line]:
    """``sort @timestamp asc|desc`` (RFC 3339 UTC strings sort as times; the sort is stable)."""
    return sorted(lines, key=lambda line: line["timestamp"], reverse=desc)


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def session_ids(lines: list[Line]) -> list[str]:
    return [line["session_id"] for line in where(lines, event_type="SESSION_CREATED")]


def failed_session(lines: list[Line]) -> str:
    [failed] = where(lines, event_type="SESSION_TERMINATED", status="FAILED")
    return str(failed["session_id"])


def lifecycle(history: list[Line]) -> list[str]:
    """The event types of a session's history, without the periodic resource samples."""
    return [
        line["event_type"]
        for line in history
        if line.get("event_type") not in (None, "RESOURCE_METRICS")
    ]


def test_debug_specific_session_returns_its_whole_lifecycle_in_order(lines: list[Line]) -> None:
    # fields @timestamp, event_type, status, error | filter session_id = "…" | sort @timestamp asc
    ids = session_ids(lines)
    assert len(ids) == 4
    assert len(set(ids)) == 4
    failed = failed_session(lines)
    for session_id in ids:
        history = where(lines, session_id=session_id)
        assert by_timestamp(history) == history  # written in the order it happened
        events = lifecycle(history)
        assert events[:3] == ["SESSION_CREATED", "SESSION_STARTING", "SESSION_READY"]
        assert [line.get("status") for line in history if line.get("event_type") in SETUP] == [
            "CREATING",
            "STARTING",
            "READY",
        ]
        [terminated] = where(history, event_type="SESSION_TERMINATED")
        if session_id == failed:
            assert events[3:] == ["SESSION_ERROR"] * 3 + ["SESSION_TERMINATED"]
            assert terminated["status"] == "FAILED"
            assert terminated["reason"] == "error"
            assert "Navigation timeout" in terminated["error"]
        else:
            assert events[-1] == "SESSION_TERMINATED"
            assert "BROWSER_OPERATION" in events
            assert terminated["status"] == "STOPPED"
            assert "error" not in terminated
        # RESOURCE_METRICS only while the browser runs: after READY, before TERMINATED
        kinds = [line.get("event_type") for line in history]
        samples = [i for i, kind in enumerate(kinds) if kind == "RESOURCE_METRICS"]
        assert samples
        assert kinds.index("SESSION_READY") < min(samples)
        assert max(samples) < kinds.index("SESSION_TERMINATED")


def test_every_line_of_a_session_carries_its_session_and_project(lines: list[Line]) -> None:
    projects: dict[str, set[str]] = defaultdict(set)
    for line in lines:
        if "session_id" in line:
            assert line.get("project_id", "").startswith("proj_"), line
            projects[line["session_id"]].add(line["project_id"])
    assert all(len(found) == 1 for found in projects.values()), projects
    assert sorted(p for found in projects.values() for p in found) == [
        "proj_123",
        "proj_123",
        "proj_456",
        "proj_456",
    ]
    # every line written inside a session's trace, whatever wrote it, carries its IDs
    session_of_trace = {
        line["trace_id"]: line["session_id"] for line in where(lines, event_type="SESSION_CREATED")
    }
    in_sessions = [line for line in lines if line.get("trace_id") in session_of_trace]
    assert len(in_sessions) >= 30
    for line in in_sessions:
        assert line.get("session_id") == session_of_trace[line["trace_id"]], line
        assert line.get("project_id") in projects[line["session_id"]], line
    for created in where(lines, event_type="SESSION_CREATED"):
        assert is_number(created["timeout"])
        assert created["user_id"].startswith("user-")


def test_find_failed_sessions_by_project(lines: list[Line]) -> None:
    # fields @timestamp, session_id, error, operation
    # | filter event_type = "SESSION_ERROR" and project_id = "proj_123"
    # | sort @timestamp desc | limit 100
    rows = by_timestamp(where(lines, event_type="SESSION_ERROR", project_id="proj_123"), desc=True)[
        :100
    ]
    assert {row["session_id"] for row in rows} == {failed_session(lines)}
    assert [row["retry_count"] for row in rows] == [2, 1, 0]
    assert [row["fatal"] for row in rows] == [True, False, False]
    assert [row["level"] for row in rows] == ["ERROR", "WARNING", "WARNING"]
    assert all(
        row["operation"] == "navigate" and "Navigation timeout" in row["error"] for row in rows
    )
    # the other project's recovered error is there, and the project filter leaves it out
    [recovered] = where(lines, event_type="SESSION_ERROR", project_id="proj_456")
    assert recovered["fatal"] is False
    assert recovered["operation"] == "screenshot"


def test_filter_status_failed_finds_the_failed_session(lines: list[Line]) -> None:
    failed = failed_session(lines)
    # filter status = "FAILED": the guide's own status value
    [row] = where(lines, status="FAILED")
    assert row["event_type"] == "SESSION_TERMINATED"
    assert row["session_id"] == failed
    assert row["level"] == "ERROR"
    # written by otelkit.session with the system's lifecycle: the traceback comes with it
    assert row["error_type"] == "TimeoutError"
    assert "Traceback" in row["exception"]
    assert where(lines, status="failed") == []  # no second, lowercase record


def test_session_duration_analysis(lines: list[Line]) -> None:
    # filter event_type = "SESSION_TERMINATED"
    # | stats avg(duration_ms), max(duration_ms), min(duration_ms)
    durations = [line["duration_ms"] for line in where(lines, event_type="SESSION_TERMINATED")]
    assert len(durations) == 4
    assert all(is_number(value) and value > 0 for value in durations)
    assert min(durations) <= sum(durations) / len(durations) <= max(durations)
    # provisioning time is on SESSION_READY
    for event_type in ("SESSION_READY", "SESSION_TERMINATED"):
        rows = where(lines, event_type=event_type)
        assert rows
        assert all(is_number(row["duration_ms"]) for row in rows)


def test_resource_usage_by_project(lines: list[Line]) -> None:
    # filter event_type = "SESSION_TERMINATED"
    # | stats sum(proxy_bytes) as total_bytes, avg(cpu_usage) as avg_cpu,
    #         count(*) as session_count by project_id
    stats: dict[str, dict[str, Any]] = {}
    for project in ("proj_123", "proj_456"):
        rows = where(lines, event_type="SESSION_TERMINATED", project_id=project)
        assert all(
            is_number(row["proxy_bytes"])
            and is_number(row["cpu_usage"])
            and is_number(row["memory_usage"])
            for row in rows
        )
        stats[project] = {
            "total_bytes": sum(row["proxy_bytes"] for row in rows),
            "avg_cpu": sum(row["cpu_usage"] for row in rows) / len(rows),
            "session_count": len(rows),
        }
    assert {p: s["session_count"] for p, s in stats.items()} == {"proj_123": 2, "proj_456": 2}
    for project, row in stats.items():
        moved = sum(
            op["bytes"] for op in where(lines, event_type="BROWSER_OPERATION", project_id=project)
        )
        assert row["total_bytes"] == moved > 0
        assert row["avg_cpu"] >= 0.0
    samples = where(lines, event_type="RESOURCE_METRICS")
    assert samples, "otelkit's resource events ran in every live session"
    assert all(
        is_number(s["cpu_percent"]) and is_number(s["memory_mb"]) and is_number(s["network_bytes"])
        for s in samples
    )
    assert all(s["memory_mb"] > 10 and s["num_threads"] >= 1 for s in samples), (
        "measured from the process (psutil), not invented"
    )
    assert all(s["session_id"] and s["project_id"] for s in samples)


def test_console_shows_session_traces_and_metrics(
    run: tuple[subprocess.CompletedProcess[str], list[Line]],
) -> None:
    result, lines = run
    failed = failed_session(lines)
    header = next(
        line
        for line in result.stderr.splitlines()
        if line.startswith("── trace") and f"session_id={failed}" in line
    )
    assert "project_id=proj_123" in header
    assert "✗ browser.session" in result.stderr
    assert "DynamoDB.UpdateItem" in result.stderr
    metrics = result.stderr.split("── metrics", 1)[1]
    for name in ("SessionDuration", *CUSTOM_METRICS):
        assert f"\n{name} " in metrics, name
    # the guide's SessionDuration: seconds, by ProjectId
    durations = [line for line in metrics.splitlines() if line.startswith("SessionDuration ")]
    assert len(durations) == 3  # proj_123 ok and failed, proj_456 ok
    assert all(" s " in line and "ProjectId=proj_" in line for line in durations)
    assert "outcome=error" in metrics
    assert "session_id" not in metrics  # IDs are never dimensions


def test_structured_logging_false_writes_plain_text() -> None:
    result, lines = run_example(SCRIPT, env={"LOG_FORMAT": "", "STRUCTURED_LOGGING": "false"})
    assert lines == []
    text = result.stdout.splitlines()
    assert text
    assert not any(line.lstrip().startswith("{") for line in text)
    events = [line for line in text if " SESSION_" in line]
    assert len(events) >= 4 * 5
    assert all("session_id=sess-" in line and "project_id=proj_" in line for line in events)
    [failed] = [line for line in events if "status=FAILED" in line]
    assert "SESSION_TERMINATED" in failed
    assert 'error="Navigation timeout' in failed


def test_dynamodb_spans_carry_the_session_ids() -> None:
    with otlp_receiver() as (endpoint, received):
        run_example(SCRIPT, env={"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint})
    spans = received.spans()
    sessions = {
        attributes(span["attributes"])["session_id"]: span
        for span in spans
        if span["name"] == "browser.session"
    }
    assert len(sessions) == 4
    calls = [span for span in spans if span["name"] in {"DynamoDB.PutItem", "DynamoDB.UpdateItem"}]
    assert len(calls) == 4 * 4  # create, STARTING, READY, stopped
    for call in calls:
        found = attributes(call["attributes"])
        assert found["session_id"] in sessions
        assert found["project_id"] in {"proj_123", "proj_456"}
        assert call["traceId"] == sessions[found["session_id"]]["traceId"]
    logged = [attributes(record["attributes"]) for record in received.logs()]
    assert {entry.get("session_id") for entry in logged} >= set(sessions)
    assert {"SessionErrors", "SessionDuration"} <= {m["name"] for m in received.metrics()}
