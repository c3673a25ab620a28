"""Metrics as CloudWatch EMF documents on stdout, for Lambda and jobs without a collector."""

from __future__ import annotations

import json
from typing import Any

import pytest

import otelkit


def _documents(out: str) -> list[dict[str, Any]]:
    return [
        doc for doc in (json.loads(line) for line in out.splitlines() if line.startswith('{"_aws"'))
    ]


def _by_metric(documents: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [
        doc
        for doc in documents
        if any(m["Name"] == name for m in doc["_aws"]["CloudWatchMetrics"][0]["Metrics"])
    ]


def test_metrics_become_valid_emf_documents(capsys: pytest.CaptureFixture[str]) -> None:
    otelkit.configure(
        service_name="rez-agent", emf_namespace="RezAgent", console=False, log_stdout=False
    )
    with otelkit.bind(correlation_id="c-1", message_id="m-1"):
        otelkit.count("MessagesProcessed", 2, status="completed")
        otelkit.count("MessagesProcessed", 1, status="failed")
        otelkit.record("ProcessingDuration", 12.5, unit="ms", status="completed")
        otelkit.record("ProcessingDuration", 7.5, unit="ms", status="completed")
        otelkit.gauge("QueueDepth", 4)
    assert otelkit.flush()
    documents = _documents(capsys.readouterr().out)

    (completed,) = (doc for doc in documents if doc.get("status") == "completed")
    directive = completed["_aws"]["CloudWatchMetrics"][0]
    assert directive["Namespace"] == "RezAgent"
    assert directive["Dimensions"] == [["service", "status"]], "never an ID"
    assert {m["Name"]: m["Unit"] for m in directive["Metrics"]} == {
        "MessagesProcessed": "Count",
        "ProcessingDuration": "Milliseconds",
    }
    assert completed["MessagesProcessed"] == 2
    assert completed["ProcessingDuration"] == {"Min": 7.5, "Max": 12.5, "Sum": 20.0, "Count": 2}
    assert (completed["service"], completed["status"]) == ("rez-agent", "completed")
    assert isinstance(completed["_aws"]["Timestamp"], int)
    (failed,) = (doc for doc in documents if doc.get("status") == "failed")
    assert failed["MessagesProcessed"] == 1
    (depth,) = _by_metric(documents, "QueueDepth")
    assert depth["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["service"]]
    assert depth["QueueDepth"] == 4
    assert not any("correlation_id" in doc or "message_id" in doc for doc in documents)


def test_each_flush_reports_only_what_happened_since_the_last(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Delta temporality: one flush per Lambda invocation reports that invocation."""
    otelkit.configure(emf_namespace="Jobs", console=False, log_stdout=False)
    otelkit.count("Invocations", 1)
    otelkit.flush()
    otelkit.count("Invocations", 1)
    otelkit.flush()
    otelkit.flush()  # nothing new: no document, not a zero
    values = [
        doc["Invocations"] for doc in _by_metric(_documents(capsys.readouterr().out), "Invocations")
    ]
    assert values == [1, 1]


def test_lambda_invocation_flushes_its_metrics_as_emf(capsys: pytest.CaptureFixture[str]) -> None:
    otelkit.configure(
        service_name="scheduler", emf_namespace="RezAgent", console=False, log_stdout=False
    )

    @otelkit.aws.lambda_handler
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        otelkit.count("MessagesCreated", 1, message_type="scheduled")
        return {"ok": True}

    handler({}, None)
    (created,) = _by_metric(_documents(capsys.readouterr().out), "MessagesCreated")
    assert created["message_type"] == "scheduled"


def test_too_many_dimensions_are_cut_and_said(capsys: pytest.CaptureFixture[str]) -> None:
    otelkit.configure(emf_namespace="Wide", console=False, log_format="json")
    otelkit.count("WideMetric", 1, **{f"d{n:02d}": "x" for n in range(35)})
    otelkit.flush()
    out = capsys.readouterr().out
    (wide,) = _by_metric(_documents(out), "WideMetric")
    assert len(wide["_aws"]["CloudWatchMetrics"][0]["Dimensions"][0]) == 30
    assert "metric WideMetric has 36 dimensions; EMF allows 30" in out


def test_points_past_thirty_dimensions_are_never_merged(capsys: pytest.CaptureFixture[str]) -> None:
    otelkit.configure(emf_namespace="Wide", console=False, log_stdout=False)
    wide = {f"d{n:02d}": "x" for n in range(34)}
    otelkit.count("Wide", 1, **wide, tail="a")
    otelkit.count("Wide", 2, **wide, tail="b")  # differs only past the 30th dimension
    otelkit.flush()
    documents = _by_metric(_documents(capsys.readouterr().out), "Wide")
    assert sorted((doc["tail"], doc["Wide"]) for doc in documents) == [("a", 1), ("b", 2)]


def test_a_gauge_is_written_only_by_the_flush_after_it_was_set(
    capsys: pytest.CaptureFixture[str],
) -> None:
    otelkit.configure(emf_namespace="Jobs", console=False, log_stdout=False)
    otelkit.gauge("QueueDepth", 7)
    otelkit.flush()
    otelkit.count("Other", 1)
    otelkit.flush()  # a later invocation that set no gauge
    depths = [
        d["QueueDepth"] for d in _by_metric(_documents(capsys.readouterr().out), "QueueDepth")
    ]
    assert depths == [7]


def test_dimension_values_are_strings_of_at_most_1024_chars(
    capsys: pytest.CaptureFixture[str],
) -> None:
    otelkit.configure(emf_namespace="Jobs", console=False, log_stdout=False)
    otelkit.count("Requests", 1, route="/b", size=3, long="v" * 1100)
    otelkit.count("route", 1, route="/b")  # a metric named like a dimension: not guessed
    otelkit.flush()
    documents = _documents(capsys.readouterr().out)
    (requests,) = _by_metric(documents, "Requests")
    assert requests["size"] == "3"
    assert len(requests["long"]) == 1024
    assert all(doc.get("route") in (None, "/b") for doc in documents)
