"""``Lifecycle``: a system's own event names, status spelling, metric, unit and dimensions
for ``job()`` and ``session()``; binding a frontend name."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import otelkit
from otelkit.testing import Capture

# Its own metric name: one metric has one unit per process, and other tests record the
# default SessionDuration in milliseconds.
BROWSER_SESSION = otelkit.Lifecycle(
    started="SESSION_CREATED",
    started_status="CREATING",
    completed="SESSION_TERMINATED",
    completed_status="STOPPED",
    failed="SESSION_TERMINATED",
    failed_status="FAILED",
    duration_metric="BrowserSessionDuration",
    unit="s",
)


def records(cap: Capture) -> list[tuple[str, str, str]]:
    return [
        (line["event_type"], line["status"], line["level"])
        for line in cap.logs
        if line["logger"] == "otelkit.session"
    ]


def test_a_session_writes_the_systems_own_names_and_statuses(otelkit_capture: Capture) -> None:
    with otelkit.session(
        "sess-1",
        lifecycle=BROWSER_SESSION,
        project_id="proj_123",
        dimensions={"ProjectId": "proj_123"},
        timeout=300,
    ) as running:
        otelkit.event("SESSION_READY", status="READY", duration_ms=412)
        running.add_fields(reason="manual", proxy_bytes=1234)
    assert records(otelkit_capture) == [
        ("SESSION_CREATED", "CREATING", "INFO"),
        ("SESSION_TERMINATED", "STOPPED", "INFO"),
    ]
    created, terminated = [
        line for line in otelkit_capture.logs if line["logger"] == "otelkit.session"
    ]
    assert created["timeout"] == 300
    assert created["project_id"] == "proj_123"
    assert (terminated["reason"], terminated["proxy_bytes"]) == ("manual", 1234)
    assert isinstance(terminated["duration_ms"], float)
    ready = next(line for line in otelkit_capture.logs if line["message"] == "SESSION_READY")
    assert ready["session_id"] == "sess-1"
    ((dims, value),) = otelkit_capture.metrics["BrowserSessionDuration"]
    assert dims == {"session_name": "session", "ProjectId": "proj_123", "outcome": "success"}
    assert value["count"] == 1
    assert value["sum"] == pytest.approx(terminated["duration_ms"] / 1000.0)
    assert "Sessions" not in otelkit_capture.metrics  # no count metric in this lifecycle


def test_a_failed_session_writes_the_failed_record_with_its_fields(
    otelkit_capture: Capture,
) -> None:
    def never_loads() -> None:
        with otelkit.session(
            "sess-2", lifecycle=BROWSER_SESSION, dimensions={"ProjectId": "p"}
        ) as running:
            running.add_fields(reason="error")
            raise TimeoutError("page never loaded")

    with pytest.raises(TimeoutError):
        never_loads()
    assert records(otelkit_capture)[-1] == ("SESSION_TERMINATED", "FAILED", "ERROR")
    failed = otelkit_capture.logs[-1]
    assert (failed["error"], failed["reason"]) == ("page never loaded", "error")
    ((dims, _),) = otelkit_capture.metrics["BrowserSessionDuration"]
    assert dims["outcome"] == "error"


def test_jobs_take_a_lifecycle_too_and_the_defaults_stay(otelkit_capture: Capture) -> None:
    upload = otelkit.Lifecycle(
        "UPLOAD_STARTED",
        "UPLOAD_DONE",
        "UPLOAD_FAILED",
        started_status="STARTED",
        completed_status="DONE",
        count_metric="Uploads",
        duration_metric="UploadTime",
    )

    @otelkit.job("upload", lifecycle=upload, dimensions={"bucket": "media"})
    def run() -> None:
        pass

    run()
    with otelkit.job("plain"):
        pass
    events = [
        (line["event_type"], line["status"])
        for line in otelkit_capture.logs
        if line["logger"] == "otelkit.job"
    ]
    assert events == [
        ("UPLOAD_STARTED", "STARTED"),
        ("UPLOAD_DONE", "DONE"),
        ("JOB_STARTED", "started"),
        ("JOB_COMPLETED", "completed"),
    ]
    assert otelkit_capture.metrics["Uploads"][0][0] == {
        "job_name": "upload",
        "bucket": "media",
        "outcome": "success",
    }
    assert "UploadTime" in otelkit_capture.metrics
    assert "JobDuration" in otelkit_capture.metrics


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"unit": "minutes"}, "unit"),
        ({"started": ""}, "started"),
        ({"failed_status": None}, "failed_status"),
        ({"duration_metric": ""}, "duration_metric"),
    ],
)
def test_a_malformed_lifecycle_is_refused_when_defined(options: dict[str, Any], error: str) -> None:
    fields: dict[str, Any] = {"started": "A", "completed": "B", "failed": "C", **options}
    with pytest.raises(ValueError, match=error):
        otelkit.Lifecycle(**fields)


@given(
    st.dictionaries(
        st.text(max_size=5),
        st.one_of(
            st.text(max_size=5), st.integers(), st.none(), st.lists(st.integers(), max_size=2)
        ),
        max_size=3,
    )
)
def test_dimensions_are_checked_at_the_call_site(dimensions: dict[str, Any]) -> None:
    valid = all(key and isinstance(value, (str, int)) for key, value in dimensions.items())
    if valid:
        otelkit.session("s", dimensions=dimensions)
    else:
        with pytest.raises(ValueError, match="dimension"):
            otelkit.session("s", dimensions=dimensions)


def test_add_fields_cannot_overwrite_what_the_lifecycle_writes(otelkit_capture: Capture) -> None:
    with (
        otelkit.session("sess-3", lifecycle=BROWSER_SESSION) as running,
        pytest.raises(ValueError, match="status"),
    ):
        running.add_fields(status="oops")


def test_the_rendered_lines_carry_the_custom_names(capsys: pytest.CaptureFixture[str]) -> None:
    otelkit.configure(log_format="json", console=False)
    with otelkit.session("sess-4", lifecycle=BROWSER_SESSION):
        pass
    lines = [
        json.loads(line)
        for line in capsys.readouterr().out.splitlines()
        if "otelkit.session" in line
    ]
    assert [(line["message"], line["event_type"], line["status"]) for line in lines] == [
        ("SESSION_CREATED", "SESSION_CREATED", "CREATING"),
        ("SESSION_TERMINATED", "SESSION_TERMINATED", "STOPPED"),
    ]


def test_binding_service_names_the_alternative_and_frontend_works(otelkit_capture: Capture) -> None:
    with pytest.raises(ValueError, match=r"bind\(frontend="):
        otelkit.bind(service="telegram_bot")
    with otelkit.bind(frontend="telegram_bot"):
        otelkit.get_logger("bot").info("message_received")
    line = otelkit_capture.logs[-1]
    assert (line["frontend"], line["service"]) == ("telegram_bot", "test-service")


def test_an_active_metric_gauges_the_scopes_open_now(otelkit_capture: Capture) -> None:
    calls = otelkit.Lifecycle(
        "CALL_STARTED", "CALL_ENDED", "CALL_FAILED", active_metric="ActiveCalls"
    )
    seen: list[float] = []

    def active() -> float:
        return float(
            next(
                value
                for dims, value in otelkit_capture.metrics["ActiveCalls"]
                if dims == {"session_name": "call", "line": "sales"}
            )
        )

    def dropped_call() -> None:
        with otelkit.session("b", name="call", lifecycle=calls, dimensions={"line": "sales"}):
            seen.append(active())
            raise RuntimeError("dropped")

    with otelkit.session("a", name="call", lifecycle=calls, dimensions={"line": "sales"}):
        seen.append(active())
        with pytest.raises(RuntimeError):
            dropped_call()
        seen.append(active())
    seen.append(active())
    assert seen == [1, 2, 1, 0]
