"""Seed 004's Loki labels from what otelkit sends, through the rendered fragments.

The fleet's lines go from otelkit over OTLP to the real collector running the rendered
``collector/loki-labels.yaml``, then to a local OTLP receiver standing where Loki's
``/otlp`` endpoint would; each received record is mapped as Loki stores it with the
rendered ``loki/otlp-labels.yaml`` (its ``index_label`` resource attributes become stream
labels). The saved LogQL queries then run over those entries with the seed's own label
names: ``service``, ``level``, ``worker_id``, ``hostname``, ``deployment_env``.
"""

from __future__ import annotations

import re
import socket
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import otelkit
from otelkit.ops import ModelError, load_model, parse_model
from otelkit.ops._loki_labels import LEVELS, collector_labels, indexed_attributes, loki_labels
from tests.collector.real_collector import Ports, free_port, running
from tests.support.logql import Entry, evaluate, from_otlp, select
from tests.support.otlp_receiver import attributes, otlp_receiver

ROOT = Path(__file__).resolve().parents[1]
FLEET = load_model(ROOT / "examples" / "ops" / "bot_worker_fleet.yaml")
SEED_LABELS = ("service", "level", "worker_id", "hostname", "deployment_env")
log = otelkit.get_logger("bot.worker")


def _queries() -> dict[str, str]:
    return {q.name: FLEET.fill(q.logql, "prod") for q in FLEET.queries if q.logql}


def _collector_config(loki_endpoint: str, ports: Ports) -> dict[str, Any]:
    fragment = yaml.safe_load(collector_labels(FLEET))
    return {
        "receivers": {"otlp": {"protocols": {"http": {"endpoint": f"127.0.0.1:{ports.http}"}}}},
        "processors": fragment["processors"],
        "exporters": {"otlphttp/loki": {"endpoint": loki_endpoint}, "debug": {}},
        "service": {
            # spans and metrics are not this test's: taken and let go
            "pipelines": {
                **fragment["service"]["pipelines"],
                "traces": {"receivers": ["otlp"], "exporters": ["debug"]},
                "metrics": {"receivers": ["otlp"], "exporters": ["debug"]},
            },
            "telemetry": {"metrics": {"level": "none"}},
        },
    }


def _fleet_lines(endpoint: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two worker processes' lines (one configure each, as each is its own process)."""
    monkeypatch.setenv("DEPLOYMENT_ENV", "production")
    for worker_id, write in (("worker-1", _worker_one), ("worker-2", _worker_two)):
        monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", f"worker_id={worker_id}")
        otelkit.configure(
            service_name="bot-worker",
            endpoint=endpoint,
            log_stdout=False,
            console=False,
            platform_fields=True,
            log_level="DEBUG",
        )
        with otelkit.bind(worker_id=worker_id):
            write()
        assert otelkit.flush(timeout=5.0)


def _worker_one() -> None:
    with otelkit.job("browser.navigate", job_id="job-ok"):
        log.info("Page loaded", url="https://example.com", memory_mb=612.5)
    try:
        with otelkit.job("browser.navigate", job_id="job-bad"):
            log.error("browser crashed: tab closed")
            raise TimeoutError("page load")
    except TimeoutError:
        pass


def _worker_two() -> None:
    log.error("disk full", memory_mb=120.0)  # an ERROR line without "browser"
    log.warning("browser slow to start")
    log.debug("DOM ready")


def _through_collector(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[Entry]:
    indexed = yaml.safe_load(loki_labels(FLEET))["limits_config"]["otlp_config"][
        "resource_attributes"
    ]["attributes_config"][0]["attributes"]
    with otlp_receiver() as (loki, received):
        ports = Ports(free_port(), free_port(), free_port())
        with running(_collector_config(loki, ports), ports, tmp_path) as collector:
            _fleet_lines(collector.otlp_http, monkeypatch)
        otelkit.shutdown()
        return [
            from_otlp(resource, record, attributes(record.get("attributes", [])), indexed)
            for resource, record in received.with_resource("/v1/logs")
        ]


@pytest.mark.slow  # runs the collector binary
def test_seed_004_labels_and_queries_through_the_rendered_collector(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    entries = _through_collector(tmp_path, monkeypatch)
    host = socket.gethostname()
    # every line once (no level pipeline lost or doubled one), each with all five labels
    assert sorted(e.line for e in entries) == sorted(
        [
            *["JOB_STARTED", "Page loaded", "JOB_COMPLETED"],
            *["JOB_STARTED", "browser crashed: tab closed", "JOB_FAILED"],
            *["disk full", "browser slow to start", "DOM ready"],
        ]
    )
    for entry in entries:
        assert set(SEED_LABELS) <= set(entry.labels), entry.labels
        assert entry.labels["service"] == "bot-worker"
        assert entry.labels["deployment_env"] == "production"
        assert entry.labels["hostname"] == host
    levels = {e.line: e.labels["level"] for e in entries}
    assert (levels["DOM ready"], levels["Page loaded"], levels["browser slow to start"]) == (
        "DEBUG",
        "INFO",
        "WARNING",
    )
    assert levels["disk full"] == levels["JOB_FAILED"] == "ERROR"
    queries = _queries()
    # seed 004: {service="worker", level="ERROR"} |= "browser"
    [crashed] = select(queries["worker-errors"], entries)
    assert (crashed.line, crashed.labels["worker_id"]) == (
        "browser crashed: tab closed",
        "worker-1",
    )
    # seed 004: {deployment_env="production"} | json | memory_mb > 500 (metadata, no json)
    assert [e.line for e in select(queries["high-memory"], entries)] == ["Page loaded"]
    one = select(queries["one-worker"], entries)
    assert {e.labels["worker_id"] for e in one} == {"worker-1"}
    assert len(one) == 6
    [failed] = select(queries["failed-jobs"], entries)
    assert (failed.line, failed.metadata["job_id"], failed.metadata["error"]) == (
        "JOB_FAILED",
        "job-bad",
        "page load",
    )
    per_worker = evaluate(queries["failures-per-worker"], entries, at=time.time() + 1)
    assert per_worker == {(("worker_id", "worker-1"),): 1.0}
    # The old query shape: ``| json`` on a plain OTLP body marks each line with an error
    # and Loki refuses a metric query over them.
    old = '{service="bot-worker"} | json | event_type = `JOB_FAILED`'
    assert {e.extracted.get("__error__") for e in select(old, entries)} == {"JSONParserErr"}
    with pytest.raises(ValueError, match="pipeline error"):
        evaluate(f"sum by (worker_id) (count_over_time({old} [5m]))", entries, at=time.time())


def test_rendered_fragments_name_the_seeds_labels() -> None:
    indexed = indexed_attributes(FLEET)
    assert indexed[: len(SEED_LABELS)] == list(SEED_LABELS)
    # the retention rule's selector labels stay indexed
    assert {"service.name", "deployment.environment.name"} <= set(indexed)
    collector = yaml.safe_load(collector_labels(FLEET))
    copies = {
        a["key"]: a["from_attribute"]
        for a in collector["processors"]["resource/loki_labels"]["attributes"]
    }
    assert copies == {
        "service": "service.name",
        "hostname": "host.name",
        "deployment_env": "deployment.environment.name",
    }
    assert sorted(collector["service"]["pipelines"]) == sorted(
        f"logs/loki_{value.lower()}" for value in LEVELS
    )


def test_without_a_level_label_one_pipeline_and_a_bad_label_is_a_model_error() -> None:
    base = yaml.safe_load((ROOT / "examples" / "ops" / "bot_worker_fleet.yaml").read_text())
    model = parse_model({**base, "loki_labels": {"hostname": "host.name"}})
    assert list(yaml.safe_load(collector_labels(model))["service"]["pipelines"]) == ["logs/loki"]
    plain = parse_model({**base, "loki_labels": {}})
    assert collector_labels(plain) == loki_labels(plain) == ""
    for bad in (
        {"host-name": "host.name"},
        {"a": "severity", "b": "severity"},
        {"a": "x y"},
        {"service_name": "service.name"},
    ):
        with pytest.raises(ModelError, match="loki_labels"):
            parse_model({**base, "loki_labels": bad})


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.one_of(st.text(max_size=12), st.sampled_from(SEED_LABELS)),
        st.one_of(st.text(max_size=20), st.sampled_from(["severity", "host.name"])),
        max_size=4,
    )
)
def test_any_loki_labels_render_valid_names_or_are_a_model_error(labels: dict[str, str]) -> None:
    base = yaml.safe_load((ROOT / "examples" / "ops" / "bot_worker_fleet.yaml").read_text())
    try:
        model = parse_model({**base, "loki_labels": labels})
    except ModelError:
        return
    if not labels:
        assert loki_labels(model) == collector_labels(model) == ""
        return
    indexed = yaml.safe_load(loki_labels(model))["limits_config"]["otlp_config"][
        "resource_attributes"
    ]["attributes_config"][0]["attributes"]
    for name in indexed[: len(labels)]:
        assert re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name)
    collector = yaml.safe_load(collector_labels(model))
    for pipeline in collector["service"]["pipelines"].values():
        assert set(pipeline["processors"]) <= set(collector["processors"])
