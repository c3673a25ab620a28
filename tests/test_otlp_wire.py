"""What reaches a collector: real OTLP/HTTP protobuf, decoded by a receiver on loopback."""

from __future__ import annotations

import logging

import pytest

import otelkit
from tests.support.otlp_receiver import attributes, otlp_receiver


def test_spans_logs_and_metrics_arrive_with_bound_ids_and_severities() -> None:
    with otlp_receiver() as (endpoint, received):
        otelkit.configure(
            service_name="wire-test",
            service_version="2.1.0",
            environment="staging",
            endpoint=endpoint,
            log_stdout=False,
        )
        log = otelkit.get_logger("wire")
        with (
            otelkit.job("video.generate", job_id="job-wire-1", user_id="u-7"),
            otelkit.span("render scene", scene=2),
        ):
            log.info("Scene rendered", video_url="s3://b/k")
            logging.getLogger("some.library").warning("plain stdlib warning")
            otelkit.count("MessagesProcessed", 2, status="completed")
        assert otelkit.flush(timeout=10)
        # Shut down while the receiver still listens: the final metrics export then
        # lands at once instead of waiting out the teardown's timeout on a closed port.
        otelkit.shutdown(timeout=10)

    spans = {span["name"]: span for span in received.spans()}
    assert set(spans) == {"video.generate", "render scene"}
    scene = attributes(spans["render scene"]["attributes"])
    assert scene["job_id"] == "job-wire-1"
    assert scene["user_id"] == "u-7"
    assert scene["scene"] == "2"  # protobuf JSON renders int64 as a string
    assert spans["render scene"]["parentSpanId"] == spans["video.generate"]["spanId"]

    resource = received.resources()[0]
    assert resource["service.name"] == "wire-test"
    assert resource["service.version"] == "2.1.0"
    assert resource["deployment.environment"] == "staging"

    logs = {record["body"]["stringValue"]: record for record in received.logs()}
    rendered = logs["Scene rendered"]
    assert rendered["severityNumber"] == "SEVERITY_NUMBER_INFO"
    assert rendered["severityText"] == "INFO"
    assert attributes(rendered["attributes"])["job_id"] == "job-wire-1"
    assert attributes(rendered["attributes"])["video_url"] == "s3://b/k"
    assert rendered["traceId"] == spans["render scene"]["traceId"]
    assert rendered["spanId"] == spans["render scene"]["spanId"]
    warning = logs["plain stdlib warning"]
    assert warning["severityNumber"] == "SEVERITY_NUMBER_WARN"
    assert attributes(warning["attributes"])["job_id"] == "job-wire-1"
    assert logs["JOB_COMPLETED"]["severityText"] == "INFO"
    assert attributes(logs["JOB_COMPLETED"]["attributes"])["event_type"] == "JOB_COMPLETED"

    metrics = {metric["name"]: metric for metric in received.metrics()}
    assert "MessagesProcessed" in metrics, "metric names keep the case the user wrote"
    point = metrics["MessagesProcessed"]["sum"]["dataPoints"][0]
    assert point["asInt"] == "2"
    assert attributes(point["attributes"]) == {"status": "completed"}, "IDs are never dimensions"
    assert {"Jobs", "JobDuration"} <= set(metrics)


def test_export_path_never_feeds_itself() -> None:
    """The exporters' own log records (urllib3, the SDK) are printed, never re-exported."""
    with otlp_receiver() as (endpoint, received):
        otelkit.configure(endpoint=endpoint, log_level="DEBUG", log_stdout=False)
        logging.getLogger("urllib3.connectionpool").warning("export request noise")
        otelkit.get_logger("app").info("application line")
        assert otelkit.flush(timeout=10)
        assert otelkit.flush(timeout=10)

    bodies = [record["body"]["stringValue"] for record in received.logs()]
    assert bodies.count("application line") == 1
    assert "export request noise" not in bodies


def test_every_exporter_gets_the_span_redacted(capsys: pytest.CaptureFixture[str]) -> None:
    """One redaction in front of all exporters: the collector and the console tree both
    get the redacted span, whatever was set on it after it started."""
    with otlp_receiver() as (endpoint, received):
        otelkit.configure(service_name="wire-test", endpoint=endpoint, console=True)
        with otelkit.span("GET /callback?token=sekrit-value-1") as current:
            current.set_attribute("password", "hunter2-hunter2")
            current.add_event("retry", {"url": "https://api.internal/cb?token=sekrit-value-2"})
        assert otelkit.flush(timeout=10)
        otelkit.shutdown(timeout=10)
    [span] = [s for s in received.spans() if s["name"].startswith("GET /callback")]
    assert "sekrit" not in span["name"]
    assert attributes(span["attributes"])["password"] == "[REDACTED]"
    [event] = span["events"]
    assert attributes(event["attributes"])["url"] == "https://api.internal/cb?token=[REDACTED]"
    console = capsys.readouterr().err
    assert "GET /callback?token=[REDACTED]" in console
    assert "sekrit" not in console
    assert "hunter2" not in console
