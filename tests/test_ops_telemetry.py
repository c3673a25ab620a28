"""One declaration of a service's telemetry: the ops model's ``metrics:`` (unit, dimension
sets) renders the sidecar's ``awsemf`` settings, and a threshold can only be written in
the unit its metric is declared in."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from otelkit.collector._cli import main as collector_main
from otelkit.ops import ModelError, load_model, parse_model, telemetry_of
from otelkit.ops._model import CLOUDWATCH_UNITS
from otelkit.ops._telemetry import FROM_LOG_LINES, declared, log_fields, targets

ROOT = Path(__file__).resolve().parents[1]
MODELS = sorted((ROOT / "examples" / "ops").glob("*.yaml"))

BASE: dict[str, Any] = {
    "service": "svc",
    "workload": "job_pipeline",
    "namespace": "Svc",
    "runbooks": "https://example.com/runbooks",
    "retention": {"prod": 30},
    "resources": {"jobs": ["work"]},
    "metrics": {"Latency": {"unit": "Seconds", "dimensions": [["route"]]}},
}


def alarm(**changes: Any) -> dict[str, Any]:
    return {
        "name": "Slow",
        "metric": "Latency",
        "dimensions": {"route": "/a"},
        "stat": "Maximum",
        "threshold": 600,
        "description": "d",
        "runbook": "r",
        **changes,
    }


def render_model(path: Path, *extra: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    import contextlib

    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = collector_main(["render", "--model", str(path), *extra])
    return code, out.getvalue(), err.getvalue()


def test_a_threshold_in_another_unit_than_its_metric_is_refused() -> None:
    with pytest.raises(ModelError, match=r"600000 is in Milliseconds, but Latency .* Seconds"):
        parse_model({**BASE, "alarms": [alarm(threshold=600000, unit="Milliseconds")]})
    model = parse_model({**BASE, "alarms": [alarm(unit="Seconds")]})
    assert model.alarms[0].unit == "Seconds"


def test_a_watched_metric_must_be_declared() -> None:
    with pytest.raises(ModelError, match=r"alarm 'Slow': metric 'Other' is not declared"):
        parse_model({**BASE, "alarms": [alarm(metric="Other")]})


@given(st.text(max_size=20).filter(lambda u: u not in CLOUDWATCH_UNITS))
def test_a_unit_cloudwatch_does_not_know_is_refused(unit: str) -> None:
    with pytest.raises(ModelError, match=r"metrics\.Latency\.unit: .* is not a CloudWatch unit"):
        parse_model({**BASE, "metrics": {"Latency": {"unit": unit}}})


@given(
    st.one_of(
        st.integers(),
        st.lists(st.integers(), max_size=2),
        st.dictionaries(st.sampled_from(["unit", "dimensions", "colour"]), st.integers()),
    )
)
def test_a_malformed_declaration_is_a_model_error(spec: object) -> None:
    with pytest.raises(ModelError, match=r"metrics\.Latency"):
        parse_model({**BASE, "metrics": {"Latency": spec}})


@pytest.mark.parametrize("path", MODELS, ids=[p.stem for p in MODELS])
def test_every_watched_metric_is_declared_with_its_exact_dimension_set(path: Path) -> None:
    model = load_model(path)
    telemetry = telemetry_of(model, "prod")
    published = {m.name: m for m in telemetry.metrics}
    assert telemetry.namespace == model.namespace
    for target in targets(model):
        if target.ref.metric in FROM_LOG_LINES:
            assert target.ref.metric not in published  # a metric filter makes it, not the app
            continue
        metric = published[target.ref.metric]
        assert tuple(sorted(model.dimensions(target.ref, "prod"))) in metric.dimension_sets
        assert metric.unit == declared(model)[target.ref.metric].unit
    for alarm_ in model.alarms:
        if alarm_.unit is not None:
            assert alarm_.unit == declared(model)[alarm_.metric.metric].unit


def test_the_session_duration_alarm_is_in_the_unit_the_example_emits() -> None:
    model = load_model(ROOT / "examples" / "ops" / "wallcrawler_sessions.yaml")
    long_sessions = next(a for a in model.alarms if a.name == "LongRunningSessions")
    assert (long_sessions.threshold, long_sessions.unit) == (600, "Seconds")
    assert declared(model)["SessionDuration"].unit == "Seconds"


@pytest.mark.parametrize("path", MODELS, ids=[p.stem for p in MODELS])
def test_collector_render_takes_the_ops_model(path: Path) -> None:
    code, text, err = render_model(path, "--stage", "stage")
    assert code == 0, err
    config = yaml.safe_load(text)
    telemetry = telemetry_of(load_model(path), "stage")
    emf = config["exporters"]["awsemf"]
    assert emf["namespace"] == telemetry.namespace
    assert emf["dimension_rollup_option"] == "NoDimensionRollup"
    assert emf["resource_to_telemetry_conversion"] == {"enabled": True}
    selected = {}
    for rule in emf["metric_declarations"]:
        for selector in rule["metric_name_selectors"]:
            selected[selector] = {tuple(d) for d in rule["dimensions"]}
    for metric in telemetry.metrics:
        assert selected[f"^{metric.name.replace('.', chr(92) + '.')}$"] == set(
            metric.dimension_sets
        )
    units = {d["metric_name"]: d["unit"] for d in emf["metric_descriptors"]}
    assert units == {m.name: m.unit for m in telemetry.metrics}
    assert all(d["overwrite"] is True for d in emf["metric_descriptors"])
    # ``service`` is what the alarms name; the SDK sends it as resource service.name.
    assert config["processors"]["resource/service"]["attributes"] == [
        {"key": "service", "from_attribute": "service.name", "action": "insert"}
    ]
    metrics_pipeline = config["service"]["pipelines"]["metrics"]
    assert "resource/service" in metrics_pipeline["processors"]
    assert text.splitlines()[5].startswith(f"# Publishes what {telemetry.service!r} declares")


def test_the_lambda_layer_cannot_label_a_model_s_metrics() -> None:
    code, _, err = render_model(MODELS[0], "--target", "lambda")
    assert code == 2
    assert "runs no processors" in err


def test_a_bad_model_file_is_a_usage_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("service: x\nworkload: nope\n")
    code, _, err = render_model(bad)
    assert code == 2
    assert "workload: 'nope' is not one of" in err


@pytest.mark.parametrize("path", MODELS, ids=[p.stem for p in MODELS])
def test_the_built_collector_accepts_the_rendered_config(path: Path) -> None:
    from tests.collector.real_collector import validate

    code, text, err = render_model(path)
    assert code == 0, err
    ok, output = validate(text)
    assert ok, output


def test_the_model_names_the_log_fields_each_consumer_reads() -> None:
    fields = log_fields(load_model(ROOT / "examples" / "ops" / "wallcrawler_sessions.yaml"))
    assert fields["query failed-sessions"] == {
        "session_id",
        "error",
        "operation",
        "event_type",
        "project_id",
    }
    assert fields["query usage-by-project"] == {
        "event_type",
        "proxy_bytes",
        "cpu_usage",
        "project_id",
    }
    assert fields["metric filter ErrorLines"] == {"level", "service"}
